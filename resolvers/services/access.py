"""Customer access grants: a secret link token per contact, revocable."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal
from resolvers.auth import new_link_token
from resolvers.services.cases import MANAGE
from resolvers.services.common import case_for_update, require
from resolvers.services.outbox import Outbox
from server.db.models import CaseContact, CustomerAccessGrant
from server.errors import not_found


async def grant_customer_access(
    *,
    session: AsyncSession,
    actor: Principal,
    case_id: int,
    contact_id: int,
    outbox: Outbox | None = None,
) -> tuple[CustomerAccessGrant, str]:
    """A new grant for the contact; returns it with the link token (shown only now).

    An existing live grant of the contact is revoked: one working link per contact.
    """
    case = await case_for_update(session, actor, case_id)
    require(rules.can_manage_case(actor) or rules.is_external_case_handler(actor, case), MANAGE)
    contact = await session.get(CaseContact, contact_id)
    if contact is None or contact.case_id != case.id:
        raise not_found("contact")
    live = await session.execute(
        select(CustomerAccessGrant).where(
            CustomerAccessGrant.contact_id == contact.id, CustomerAccessGrant.revoked_at.is_(None)
        )
    )
    for grant in live.scalars():
        grant.revoked_at = func.now()
        if outbox is not None:  # open subscriptions of the old grant end at once
            outbox.access_changed(case.insurer_id)
    token, token_hash = new_link_token()
    grant = CustomerAccessGrant(
        insurer_id=case.insurer_id,
        case_id=case.id,
        contact_id=contact.id,
        token_hash=token_hash,
        granted_by_user_id=actor.user_id,
    )
    session.add(grant)
    await session.flush()
    return grant, token

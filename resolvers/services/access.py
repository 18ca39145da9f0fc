"""Customer access: a secret link per contact, granted by staff or sent automatically,
revocable, and a list of who has access.

A contact has at most one live grant. Links go out through the notification outbox (email
when the contact has an address, else SMS), in the transaction that grants them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules, scopes
from permissions.customer_page import contact_gets_access, trigger_milestone
from permissions.principal import Principal
from permissions.rights import Right
from resolvers.auth import new_link_token
from resolvers.services import customer_page, event_log, notification_texts
from resolvers.services.common import case_for_update, require
from resolvers.services.customer_page import PageState
from resolvers.services.notifications import PUBLIC_URL, Channel
from resolvers.services.outbox import Outbox
from server.db.models import Case, CaseContact, CustomerAccessGrant
from server.errors import AppError, ErrorCode, bad_input, not_found

CUSTOMER_ACCESS = (
    "Only the insurer's staff and the case's external case handler manage customer access."
)


def _require_access_manager(actor: Principal, case: Case) -> None:
    """The insurer's side, or the external case handler with customer_contact."""
    require(
        rules.can_contact_customer(actor, case),
        rules.refusal(actor, case, Right.CUSTOMER_CONTACT, CUSTOMER_ACCESS),
    )


def customer_link(token: str) -> str:
    """The link a customer opens (the dispatcher fills in the public URL)."""
    return f"{PUBLIC_URL}/customer?token={token}"


async def grant_customer_access(
    *,
    session: AsyncSession,
    actor: Principal,
    case_id: int,
    contact_id: int,
    outbox: Outbox | None = None,
    send: bool = False,
    logged: bool = True,
) -> tuple[CustomerAccessGrant, str]:
    """A new grant for the contact; returns it with the link token (shown only now).
    With `send`, the link also goes to the contact by email or SMS. `logged=False` when
    the caller writes the event log entry itself (naming who really asked).

    An existing live grant of the contact is revoked: one working link per contact.
    """
    case = await case_for_update(session, actor, case_id)
    _require_access_manager(actor, case)
    contact = await _contact_of(session, case, contact_id)
    if send and not (contact.email or contact.phone):
        raise bad_input("The contact has neither an email address nor a phone.", "contactId")
    if await _revoke_live(session, contact.id) and outbox is not None:
        outbox.access_changed(case.insurer_id)  # open subscriptions of the old grant end
    grant, token = await _new_grant(session, case, contact, granted_by=actor.user_id)
    if send:
        await _send_link(session, case, contact, grant, token)
    if logged:
        await _log(session, actor, grant, "customerAccess.grant", sent=send)
    return grant, token


async def revoke_customer_access(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, case_id: int, contact_id: int
) -> CustomerAccessGrant:
    """End the contact's access at once: their link, signed-in sessions and open
    subscriptions stop working. Returns the revoked grant."""
    case = await case_for_update(session, actor, case_id)
    _require_access_manager(actor, case)
    contact = await _contact_of(session, case, contact_id)
    revoked = await _revoke_live(session, contact.id)
    if not revoked:
        raise AppError(
            ErrorCode.CONFLICT, "This contact has no access to revoke.", field="contactId"
        )
    outbox.access_changed(case.insurer_id)
    await _log(session, actor, revoked[0], "customerAccess.revoke")
    return revoked[0]


async def _log(
    session: AsyncSession,
    actor: Principal | None,
    grant: CustomerAccessGrant,
    action: str,
    **details: Any,
) -> None:
    """The event log's entry of an access change: which contact of which case, never the
    link token or its hash."""
    access = {"caseId": grant.case_id, "contactId": grant.contact_id, **details}
    revoking = action.endswith("revoke")
    await event_log.record(
        session,
        actor=actor,
        insurer_id=grant.insurer_id,
        action=action,
        subject_type="CustomerAccessGrant",
        subject_id=grant.id,
        before={**access, "hasAccess": True} if revoking else None,
        after={**access, "hasAccess": not revoking},
        actor_label=None if actor is not None else "server (linkTrigger)",
    )


async def send_due_links(*, session: AsyncSession, case: Case, state: PageState) -> list[int]:
    """Automatic links: once the case has reached the portal's link trigger, every contact
    the "who gets access" setting selects gets a grant and the link, unless they were
    ever granted access on this case (so passing the milestone again sends nothing, and a
    revoked contact stays revoked). Contacts without email or phone are left to staff.
    Returns the contact ids that were sent a link."""
    if trigger_milestone(state.settings.link_trigger) not in state.milestones:
        return []
    ever_granted = select(CustomerAccessGrant.id).where(
        CustomerAccessGrant.contact_id == CaseContact.id
    )
    stmt = (
        select(CaseContact)
        .where(CaseContact.case_id == case.id, ~ever_granted.exists())
        .order_by(CaseContact.id)
    )
    sent = []
    for contact in (await session.execute(stmt)).scalars():
        if not contact_gets_access(state.settings.access_recipients, contact.role):
            continue
        if not (contact.email or contact.phone):
            continue
        grant, token = await _new_grant(session, case, contact, granted_by=None)
        await _send_link(session, case, contact, grant, token)
        await _log(session, None, grant, "customerAccess.grant", sent=True)
        sent.append(contact.id)
    return sent


@dataclass(frozen=True, slots=True)
class ContactAccess:
    """One contact and their access (all their grants on the case taken together)."""

    contact: Any  # case_contacts row
    selected: bool  # chosen by the "who gets access" setting
    granted_at: dt.datetime | None  # of the live grant; None: no access now
    link_sent_at: dt.datetime | None
    last_login_at: dt.datetime | None
    login_count: int


async def access_overview(
    *, session: AsyncSession, actor: Principal, case_id: int
) -> list[ContactAccess]:
    """Every contact of the case with their access, in one statement."""
    case = (
        await session.execute(select(Case).where(Case.id == case_id, scopes.visible_cases(actor)))
    ).scalar_one_or_none()
    if case is None:
        raise not_found("case")
    _require_access_manager(actor, case)
    state = await customer_page.page_state(session, case.id)
    live = CustomerAccessGrant.revoked_at.is_(None)
    grants = (
        select(
            CustomerAccessGrant.contact_id,
            func.max(CustomerAccessGrant.created_at).filter(live).label("granted_at"),
            func.max(CustomerAccessGrant.link_sent_at).label("link_sent_at"),
            func.max(CustomerAccessGrant.last_login_at).label("last_login_at"),
            func.sum(CustomerAccessGrant.login_count).label("login_count"),
        )
        .where(CustomerAccessGrant.case_id == case.id)
        .group_by(CustomerAccessGrant.contact_id)
        .subquery()
    )
    stmt = (
        select(CaseContact, grants)
        .outerjoin(grants, grants.c.contact_id == CaseContact.id)
        .where(CaseContact.case_id == case.id)
        .order_by(CaseContact.id)
    )
    return [
        ContactAccess(
            contact=row.CaseContact,
            selected=contact_gets_access(state.settings.access_recipients, row.CaseContact.role),
            granted_at=row.granted_at,
            link_sent_at=row.link_sent_at,
            last_login_at=row.last_login_at,
            login_count=int(row.login_count or 0),
        )
        for row in await session.execute(stmt)
    ]


async def _contact_of(session: AsyncSession, case: Case, contact_id: int) -> CaseContact:
    contact = await session.get(CaseContact, contact_id)
    if contact is None or contact.case_id != case.id:
        raise not_found("contact")
    return contact


async def _revoke_live(session: AsyncSession, contact_id: int) -> list[CustomerAccessGrant]:
    stmt = (
        select(CustomerAccessGrant)
        .where(
            CustomerAccessGrant.contact_id == contact_id, CustomerAccessGrant.revoked_at.is_(None)
        )
        .with_for_update()
    )
    revoked = list((await session.execute(stmt)).scalars())
    for grant in revoked:
        grant.revoked_at = func.now()
    return revoked


async def _new_grant(
    session: AsyncSession, case: Case, contact: CaseContact, *, granted_by: int | None
) -> tuple[CustomerAccessGrant, str]:
    token, token_hash = new_link_token()
    grant = CustomerAccessGrant(
        insurer_id=case.insurer_id,
        case_id=case.id,
        contact_id=contact.id,
        token_hash=token_hash,
        granted_by_user_id=granted_by,
    )
    session.add(grant)
    await session.flush()
    return grant, token


async def _send_link(
    session: AsyncSession,
    case: Case,
    contact: CaseContact,
    grant: CustomerAccessGrant,
    token: str,
) -> None:
    """Queue the link to the contact: email if they have an address, else SMS."""
    channel, recipient = (
        (Channel.EMAIL, contact.email) if contact.email else (Channel.SMS, contact.phone or "")
    )
    await notification_texts.send(
        session,
        kind="customer_link",
        channel=channel,
        recipient=recipient,
        case=case,
        values={"contact_name": contact.name, "link": customer_link(token)},
    )
    grant.link_sent_at = func.now()

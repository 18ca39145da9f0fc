"""Changing the customer-page configuration: the portal's (authority level 6) and one
case's override ("Sending customer access" on a case)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.customer_page import CustomerPageSettings, effective_settings, merge_settings
from permissions.principal import Principal, Role
from resolvers.services import customer_page, event_log, milestones
from resolvers.services.cases import MANAGE
from resolvers.services.common import camel_case, case_for_update, require
from resolvers.services.outbox import Outbox
from resolvers.services.settings_changes import camel_keys, changed
from server.db.models import CaseCustomerPageOverride
from server.db.models import CustomerPageSettings as SettingsRow
from server.errors import bad_input

ADMIN_LEVEL = 6
SETTING_NAMES = tuple(CustomerPageSettings.model_fields)


def _validated(insurer: dict[str, Any], override: dict[str, Any] | None) -> CustomerPageSettings:
    """The effective settings, or BAD_USER_INPUT naming the first offending setting."""
    try:
        settings = effective_settings(insurer, override, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(camel_case(str(part)) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        raise bad_input(f"{path or 'settings'}: {message}", path or None) from exc
    for name, why in settings.contradictions():
        raise bad_input(f"{name}: {why}.", name)
    return settings


async def update_portal_settings(
    *, session: AsyncSession, actor: Principal, changes: dict[str, Any]
) -> CustomerPageSettings:
    """Change the portal's settings; only what `changes` names. Company admins only."""
    require(
        actor.role is Role.STAFF and actor.authority_level >= ADMIN_LEVEL,
        "Only company admins (authority level 6) change the customer page configuration.",
    )
    stmt = select(SettingsRow).where(SettingsRow.insurer_id == actor.insurer_id).with_for_update()
    row = (await session.execute(stmt)).scalar_one_or_none()
    previous = dict(row.settings) if row else {}
    stored = merge_settings(previous, changes)
    settings = _validated(stored, None)
    before, after = changed(camel_keys(previous), camel_keys(stored))
    if after:
        await event_log.record(
            session,
            actor=actor,
            insurer_id=actor.insurer_id,
            action="customerPageSettings.update",
            subject_type="CustomerPageSettings",
            subject_id=actor.insurer_id,
            before=before,
            after=after,
        )
    upsert = insert(SettingsRow).values(
        insurer_id=actor.insurer_id, settings=stored, updated_by_user_id=actor.user_id
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[SettingsRow.insurer_id],
            set_={
                "settings": stored,
                "updated_at": func.now(),
                "updated_by_user_id": actor.user_id,
            },
        )
    )
    return settings


async def set_case_override(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    changes: dict[str, Any],
    reset: list[str],
) -> CustomerPageSettings:
    """Override settings for one case; `reset` names settings that follow the portal's
    again. Passing a milestone may now auto-share reports or send links, as for any
    progress of the case."""
    case = await case_for_update(session, actor, case_id)
    require(rules.can_manage_case(actor), MANAGE)
    unknown = [name for name in reset if name not in SETTING_NAMES]
    if unknown:
        raise bad_input(f"Unknown settings: {', '.join(unknown)}.", "reset")
    stored = await customer_page.case_override(session, case.id)
    previous = dict(stored)
    for name in reset:
        stored.pop(name, None)
    stored = merge_settings(stored, changes)
    portal = await customer_page.insurer_settings(session, case.insurer_id)
    settings = _validated(portal, stored)
    await session.execute(
        delete(CaseCustomerPageOverride).where(CaseCustomerPageOverride.case_id == case.id)
    )
    if stored:
        session.add(
            CaseCustomerPageOverride(
                case_id=case.id,
                insurer_id=case.insurer_id,
                settings=stored,
                updated_by_user_id=actor.user_id,
            )
        )
    await session.flush()
    before, after = changed(camel_keys(previous), camel_keys(stored))
    if after:  # a reset setting is logged as null after: it follows the portal's again
        await event_log.record(
            session,
            actor=actor,
            insurer_id=case.insurer_id,
            action="caseCustomerPageOverride.set",
            subject_type="Case",
            subject_id=case.id,
            before=before,
            after=after,
        )
    await milestones.on_case_progress(session=session, outbox=outbox, actor=actor, case=case)
    return settings

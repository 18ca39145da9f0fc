"""The external case handler: the portal's role definition, and putting the role on a case.

The role is defined once per portal (which of the 16 rights it has; company admins).
On a case it is assigned to an office first (only offices with an active eligible user
can be chosen), and then the office, or staff, names one of its eligible users. Both
steps write a feed entry, email the people concerned, and tell live subscriptions to
re-check access, since the assignment changes who sees the case.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from permissions import rules
from permissions.principal import Principal
from permissions.rights import Right
from resolvers.services import event_log, feed, notification_texts
from resolvers.services.cases import MANAGE
from resolvers.services.common import case_for_update, ensure_not_closed, portal_row, require
from resolvers.services.notifications import Channel
from resolvers.services.outbox import Outbox
from server.db.enums import FeedEventType, UserKind
from server.db.models import Case, ExternalCaseHandlerRole, Office, User
from server.errors import AppError, ErrorCode, bad_input, forbidden

DEFINE = "Only company admins (authority level 6) define the external case handler role."
NAME_HANDLER = (
    "Only the insurer's staff or a user of the office holding the case's external case "
    "handler role name the external case handler."
)


def _eligible_user() -> list[object]:
    """Conditions of a user who can be the external case handler."""
    return [
        User.kind == UserKind.PARTNER,
        User.external_case_handler_eligible.is_(True),
        User.active.is_(True),
    ]


async def role_rights(conn: AsyncConnection | AsyncSession, insurer_id: int) -> list[Right]:
    """The rights the portal gives the role, in the enum's order (none when undefined)."""
    stmt = select(ExternalCaseHandlerRole.rights).where(
        ExternalCaseHandlerRole.insurer_id == insurer_id
    )
    stored = set((await conn.execute(stmt)).scalar_one_or_none() or ())
    return [right for right in Right if right.value in stored]


async def define_role(
    *, session: AsyncSession, actor: Principal, rights: Iterable[Right]
) -> list[Right]:
    """Set the portal's role to exactly `rights`; returns them. Company admins only. The
    next request of every external case handler acts with the new set."""
    require(rules.can_define_ech_role(actor), DEFINE)
    values = sorted({Right(right).value for right in rights})
    previous = [right.value for right in await role_rights(session, actor.insurer_id)]
    if sorted(previous) != values:
        await event_log.record(
            session,
            actor=actor,
            insurer_id=actor.insurer_id,
            action="externalCaseHandlerRole.update",
            subject_type="ExternalCaseHandlerRole",
            subject_id=actor.insurer_id,
            before={"rights": sorted(previous)},
            after={"rights": values},
        )
    stmt = (
        insert(ExternalCaseHandlerRole)
        .values(insurer_id=actor.insurer_id, rights=values, updated_by_user_id=actor.user_id)
        .on_conflict_do_update(
            index_elements=[ExternalCaseHandlerRole.insurer_id],
            set_={"rights": values, "updated_by_user_id": actor.user_id, "updated_at": func.now()},
        )
    )
    await session.execute(stmt)
    return [right for right in Right if right.value in values]


def eligible_offices_query(insurer_id: int) -> object:
    """Offices of the portal with at least one active eligible user, by name."""
    has_eligible = exists().where(User.office_id == Office.id, *_eligible_user())
    return (
        select(Office)
        .where(Office.insurer_id == insurer_id, has_eligible)
        .order_by(Office.name, Office.id)
    )


async def eligible_offices(*, session: AsyncSession, actor: Principal) -> list[Office]:
    """The offices that may hold the role (the assignment picker); for case managers."""
    require(rules.can_assign_ech_office(actor), MANAGE)
    return list((await session.execute(eligible_offices_query(actor.insurer_id))).scalars())


async def _eligible_users_of(session: AsyncSession, office_id: int) -> list[User]:
    stmt = select(User).where(User.office_id == office_id, *_eligible_user()).order_by(User.id)
    return list((await session.execute(stmt)).scalars())


async def assign_office(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    office_id: int | None,
) -> Case:
    """Give the case's external case handler role to an office (None: take it away). Any
    named handler is cleared, for the office to name one of its own; the office's
    eligible users are emailed."""
    case = await case_for_update(session, actor, case_id)
    require(rules.can_assign_ech_office(actor), MANAGE)
    ensure_not_closed(case)
    office: Office | None = None
    users: list[User] = []
    if office_id is not None:
        office = await portal_row(session, Office, office_id, case.insurer_id, "office")
        users = await _eligible_users_of(session, office.id)
        if not users:
            raise bad_input(
                f"The office '{office.name}' has no active user eligible as external case handler.",
                "officeId",
            )
    if case.external_case_handler_office_id == office_id:
        return case
    case.external_case_handler_office_id = office_id
    case.external_case_handler_id = None
    case.updated_at = func.now()
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.EXTERNAL_CASE_HANDLER_OFFICE_ASSIGNED,
        payload={"officeId": office_id, "officeName": office.name if office else None},
    )
    for user in users:
        await _notify(
            session,
            case,
            user,
            kind="external_case_handler_office_assigned",
            values={"office_name": office.name if office else ""},
        )
    outbox.access_changed(case.insurer_id)  # the office's users now see the case, or not
    return case


async def assign_handler(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    user_id: int | None,
) -> Case:
    """Name the case's external case handler (None: unname): an active eligible user of
    the office holding the role. Staff or a user of that office may do it; the named user
    is emailed."""
    case = await case_for_update(session, actor, case_id)
    require(rules.can_assign_ech(actor, case), NAME_HANDLER)
    ensure_not_closed(case)
    office_id = case.external_case_handler_office_id
    if office_id is None:
        raise AppError(
            ErrorCode.CONFLICT,
            "Give the external case handler role to an office first "
            "(caseAssignExternalCaseHandlerOffice).",
            field="caseId",
        )
    user: User | None = None
    if user_id is not None:
        user = await portal_row(session, User, user_id, case.insurer_id, "user")
        eligible = (
            user.kind is UserKind.PARTNER
            and user.external_case_handler_eligible
            and user.active
            and user.office_id == office_id
        )
        if not eligible:
            raise bad_input(
                "The external case handler must be an active user of the office holding the "
                "role, marked eligible as external case handler.",
                "userId",
            )
    if case.external_case_handler_id == user_id:
        return case
    case.external_case_handler_id = user_id
    case.updated_at = func.now()
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.EXTERNAL_CASE_HANDLER_ASSIGNED,
        payload={"userId": user_id, "userName": user.name if user else None},
    )
    if user is not None:
        await _notify(
            session,
            case,
            user,
            kind="external_case_handler_assigned",
        )
    outbox.access_changed(case.insurer_id)  # the previous handler may no longer see it
    return case


async def _notify(
    session: AsyncSession,
    case: Case,
    user: User,
    *,
    kind: str,
    values: dict[str, str] | None = None,
) -> None:
    await notification_texts.send(
        session, kind=kind, channel=Channel.EMAIL, recipient=user.email, case=case, values=values
    )


def ensure_may_read_role(actor: Principal) -> None:
    if not rules.can_read_ech_role(actor):
        raise forbidden("Only the insurer's staff and partner users read the role definition.")

"""The portal's workflow statuses and priorities, defined by company admins.

Every change is written to the event log in its transaction (before and after). At most
one status and one priority is the default, which new cases start in: making one the
default takes it from the others, under a per-portal lock so two admins doing it at once
cannot leave two defaults. A default must stay active. Names are unique per portal and
checked under the same lock, so a duplicate is always BAD_USER_INPUT on `name`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import sla
from permissions.principal import Principal
from resolvers.services import event_log
from resolvers.services.common import require, text
from server.db.casework import CasePriority, CaseWorkflowStatus
from server.errors import bad_input, not_found

ADMINS_ONLY = "Only company admins (authority level 6) configure statuses and priorities."
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_POSITION = 10_000
MAX_MINUTES = 366 * 24 * 60  # a target longer than a year is a typo
UNSET: Any = object()  # "not given" for values where null means "clear"


@dataclass(slots=True)
class StatusData:
    """A status as the admin gives it; UNSET (or None for required ones) = keep."""

    name: str | None = None
    color: str | None = None
    position: int | None = None
    visible_to_customer: bool | None = None
    customer_label: Any = UNSET
    pauses_sla: bool | None = None
    is_default: bool | None = None
    active: bool | None = None


@dataclass(slots=True)
class PriorityData:
    name: str | None = None
    position: int | None = None
    first_response_minutes: Any = UNSET
    resolution_minutes: Any = UNSET
    at_risk_percent: int | None = None
    is_default: bool | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class _Kind:
    """What differs between statuses and priorities when they are saved."""

    model: Any
    data_type: type
    noun: str  # in event log actions: "workflowStatus.update"
    subject: str  # the GraphQL type, the event log's subject type
    missing: str  # the not-found message's noun
    apply: Callable[[Any, Any], None]


def _snapshot(row: Any, data_type: type) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in fields(data_type)}


def _position(value: int, field: str) -> int:
    if not 0 <= value <= MAX_POSITION:
        raise bad_input(f"'{field}' must be between 0 and {MAX_POSITION}.", field)
    return value


def _minutes(value: int | None, field: str) -> int | None:
    if value is not None and not 1 <= value <= MAX_MINUTES:
        raise bad_input(f"'{field}' must be between 1 and {MAX_MINUTES} minutes.", field)
    return value


async def _lock_portal(session: AsyncSession, insurer_id: int, what: str) -> None:
    """Serialises default changes of one portal's `what` (statuses or priorities)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(what), insurer_id)))


async def _name_taken(
    session: AsyncSession, model: Any, insurer_id: int, name: str, own_id: int | None
) -> None:
    """BAD_USER_INPUT on `name` when another row of the portal has it. Under the portal's
    lock (held to commit): two admins saving the same name at once are checked one after
    the other, so the second is told so, instead of failing on the unique index (a 500)."""
    with session.no_autoflush:
        await _lock_portal(session, insurer_id, model.__tablename__)
    stmt = select(model.id).where(model.insurer_id == insurer_id, model.name == name)
    if own_id is not None:
        stmt = stmt.where(model.id != own_id)
    with session.no_autoflush:  # the changed row must not be written before the check
        taken = (await session.execute(stmt)).first() is not None
    if taken:
        raise bad_input(f"Another one is already called '{name}'.", "name")


async def _apply_default(session: AsyncSession, actor: Principal, row: Any, kind: _Kind) -> None:
    """Make `row` the only default; the one that stops being it is logged too."""
    if not row.is_default:
        return
    if not row.active:
        raise bad_input("The default must be active.", "active")
    model = kind.model
    await _lock_portal(session, row.insurer_id, model.__tablename__)
    replaced = await session.execute(
        update(model)
        .where(model.insurer_id == row.insurer_id, model.id != row.id, model.is_default)
        .values(is_default=False)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    for (other_id,) in replaced.all():
        await event_log.record(
            session,
            actor=actor,
            insurer_id=row.insurer_id,
            action=f"{kind.noun}.update",
            subject_type=kind.subject,
            subject_id=other_id,
            before={"is_default": True},
            after={"is_default": False},
        )


async def _create(session: AsyncSession, actor: Principal, kind: _Kind, row: Any, data: Any) -> Any:
    """Save a new row (its defaults set by the caller) with the admin's values."""
    kind.apply(row, data)
    await _name_taken(session, kind.model, actor.insurer_id, row.name, None)
    session.add(row)
    await session.flush()
    await _apply_default(session, actor, row, kind)
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action=f"{kind.noun}.create",
        subject_type=kind.subject,
        subject_id=row.id,
        after=_snapshot(row, kind.data_type),
    )
    return row


async def _update(
    session: AsyncSession, actor: Principal, kind: _Kind, row_id: int, data: Any
) -> Any:
    """Change a row of the portal; nothing is written (or logged) when nothing changes."""
    model = kind.model
    # The portal's lock first, as every write here takes it before any row's: a rename
    # or a default change never waits for the lock while holding a row another waits on.
    await _lock_portal(session, actor.insurer_id, model.__tablename__)
    stmt = select(model).where(model.id == row_id, model.insurer_id == actor.insurer_id)
    row = (await session.execute(stmt.with_for_update())).scalar_one_or_none()
    if row is None:
        raise not_found(kind.missing)
    before = _snapshot(row, kind.data_type)
    kind.apply(row, data)
    after = _snapshot(row, kind.data_type)
    if after == before:
        return row
    if after["name"] != before["name"]:
        await _name_taken(session, model, actor.insurer_id, row.name, row.id)
    await session.flush()
    await _apply_default(session, actor, row, kind)
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action=f"{kind.noun}.update",
        subject_type=kind.subject,
        subject_id=row.id,
        before=before,
        after=after,
    )
    return row


# --- statuses ---------------------------------------------------------------------------


def _apply_status(row: CaseWorkflowStatus, data: StatusData) -> None:
    if data.name is not None:
        row.name = text(data.name, "name", max_length=100)  # type: ignore[assignment]
    if data.color is not None:
        if not COLOR.match(data.color):
            raise bad_input("'color' must be a colour like #1A7F37 (#RRGGBB).", "color")
        row.color = data.color.upper()
    if data.position is not None:
        row.position = _position(data.position, "position")
    if data.customer_label is not UNSET:
        row.customer_label = text(
            data.customer_label, "customerLabel", max_length=100, required=False
        )
    for name in ("visible_to_customer", "pauses_sla", "is_default", "active"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    if row.visible_to_customer and not row.customer_label:
        # Customers see the label, never the internal name: a visible status needs one.
        raise bad_input(
            "A status visible to customers needs the 'customerLabel' they see.", "customerLabel"
        )


STATUS = _Kind(
    CaseWorkflowStatus, StatusData, "workflowStatus", "WorkflowStatus", "status", _apply_status
)


async def create_status(
    *, session: AsyncSession, actor: Principal, data: StatusData
) -> CaseWorkflowStatus:
    require(sla.can_configure(actor), ADMINS_ONLY)
    if data.name is None:
        raise bad_input("'name' is required.", "name")
    if data.color is None:
        raise bad_input("'color' is required.", "color")
    row = CaseWorkflowStatus(
        insurer_id=actor.insurer_id,
        position=0,
        visible_to_customer=False,
        customer_label=None,
        pauses_sla=False,
        is_default=False,
        active=True,
    )
    return await _create(session, actor, STATUS, row, data)  # type: ignore[no-any-return]


async def update_status(
    *, session: AsyncSession, actor: Principal, status_id: int, data: StatusData
) -> CaseWorkflowStatus:
    require(sla.can_configure(actor), ADMINS_ONLY)
    return await _update(session, actor, STATUS, status_id, data)  # type: ignore[no-any-return]


# --- priorities -------------------------------------------------------------------------


def _apply_priority(row: CasePriority, data: PriorityData) -> None:
    if data.name is not None:
        row.name = text(data.name, "name", max_length=100)  # type: ignore[assignment]
    if data.position is not None:
        row.position = _position(data.position, "position")
    if data.first_response_minutes is not UNSET:
        row.first_response_minutes = _minutes(data.first_response_minutes, "firstResponseMinutes")
    if data.resolution_minutes is not UNSET:
        row.resolution_minutes = _minutes(data.resolution_minutes, "resolutionMinutes")
    if data.at_risk_percent is not None:
        if not 1 <= data.at_risk_percent <= 100:
            raise bad_input("'atRiskPercent' must be between 1 and 100.", "atRiskPercent")
        row.at_risk_percent = data.at_risk_percent
    for name in ("is_default", "active"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)


PRIORITY = _Kind(CasePriority, PriorityData, "priority", "Priority", "priority", _apply_priority)


async def create_priority(
    *, session: AsyncSession, actor: Principal, data: PriorityData
) -> CasePriority:
    require(sla.can_configure(actor), ADMINS_ONLY)
    if data.name is None:
        raise bad_input("'name' is required.", "name")
    row = CasePriority(
        insurer_id=actor.insurer_id,
        position=0,
        first_response_minutes=None,
        resolution_minutes=None,
        at_risk_percent=80,
        is_default=False,
        active=True,
    )
    return await _create(session, actor, PRIORITY, row, data)  # type: ignore[no-any-return]


async def update_priority(
    *, session: AsyncSession, actor: Principal, priority_id: int, data: PriorityData
) -> CasePriority:
    require(sla.can_configure(actor), ADMINS_ONLY)
    return await _update(session, actor, PRIORITY, priority_id, data)  # type: ignore[no-any-return]

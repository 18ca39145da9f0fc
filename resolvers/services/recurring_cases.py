"""Recurring case schedules: define, change and delete them (reads are in
resolvers/queries/recurring_schedules.py).

A schedule stores the case to open as JSON in the shape of `CaseData` and its contacts.
Saving one dry-runs `cases.create_case` with that data inside a savepoint that is rolled
back, so a schedule can only hold data that would open a case today; what can still go
wrong later (the case handler deactivated, the case type switched off) is caught by the
runner (resolvers/services/recurring_runs.py) and recorded, not retried forever.

Timing: occurrences before the moment a schedule is saved are never opened (no backfill).
Creating a schedule, or changing its timing or reactivating it, sets the next occurrence
to the first one at or after max(now, startsAt); occurrences missed while the servers
were down (not while the schedule was inactive) are caught up by the runner.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal, Role
from resolvers.services import cases, event_log
from resolvers.services.common import require, text
from resolvers.services.custom_fields import FieldValue
from resolvers.services.outbox import Outbox
from resolvers.services.recurrence import next_occurrence
from server.db.casework import CaseType, RecurringCaseSchedule
from server.db.enums import CaseOrigin, ContactRole, DamageType, RecurrenceFrequency, UserKind
from server.db.models import User
from server.errors import AppError, ErrorCode, bad_input, not_found

MANAGE = "Only company admins (authority level 6) manage recurring case schedules."
WAKE_CHANNEL = "casegraph_recurring"  # runners LISTEN: a saved schedule may be due sooner
SCHEDULER_LABEL = "scheduler"
MAX_INTERVAL = 1000


@dataclass(slots=True)
class ScheduleData:
    """A schedule as given by a client; None means 'not given' (on update: unchanged)."""

    name: str | None = None
    case_type_id: int | None = None
    case_data: cases.CaseData | None = None
    contacts: list[cases.ContactData] | None = None
    frequency: RecurrenceFrequency | None = None
    interval: int | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    clear_ends_at: bool = False
    active: bool | None = None


def scheduler(insurer_id: int) -> Principal:
    """The system actor recurring cases are opened as: the portal's staff side, but no
    user, so the case and its feed entry are created by nobody."""
    return Principal(role=Role.STAFF, insurer_id=insurer_id)


# -- stored case data -------------------------------------------------------------------


def case_data_to_json(data: cases.CaseData, contacts: list[cases.ContactData]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for name, value in asdict(data).items():
        if value is None or name == "origin":
            continue
        if isinstance(value, DamageType):
            value = value.value
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        plain[name] = value
    plain["contacts"] = [
        {"role": c.role.value, "name": c.name, "email": c.email, "phone": c.phone} for c in contacts
    ]
    return plain


def case_data_from_json(
    raw: dict[str, Any],
) -> tuple[cases.CaseData, list[cases.ContactData]]:
    """The stored data back as service input; unknown keys (from a newer or older server)
    are ignored, malformed values are BAD_USER_INPUT naming the field."""
    known = {f.name for f in fields(cases.CaseData)}
    values = {k: v for k, v in raw.items() if k in known}
    try:
        if values.get("damage_type") is not None:
            values["damage_type"] = DamageType(values["damage_type"])
        if values.get("damage_date") is not None:
            values["damage_date"] = dt.date.fromisoformat(values["damage_date"])
        if values.get("budget") is not None:
            values["budget"] = Decimal(values["budget"])
        values.pop("origin", None)  # always RECURRING when a schedule opens it
        if values.get("custom_fields") is not None:
            values["custom_fields"] = [
                FieldValue(key=v["key"], value=v.get("value")) for v in values["custom_fields"]
            ]
        contacts = [
            cases.ContactData(
                role=ContactRole(c["role"]),
                name=c["name"],
                email=c.get("email"),
                phone=c.get("phone"),
            )
            for c in raw.get("contacts", [])
        ]
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise bad_input(f"The stored case data is malformed: {exc}", "caseData") from exc
    return cases.CaseData(**values), contacts


# -- checks -------------------------------------------------------------------------------


def nested(exc: AppError, prefix: str) -> AppError:
    """The same error with its field under `prefix` (caseData.street)."""
    field = exc.extensions.get("field")
    extensions = {k: v for k, v in exc.extensions.items() if k != "field"}
    path = f"{prefix}.{field}" if field else prefix
    return AppError(exc.code, exc.message, field=path, **extensions)


async def check_runnable(
    session: AsyncSession,
    *,
    insurer_id: int,
    case_type_id: int | None,
    data: cases.CaseData,
) -> None:
    """What create_case does not check but a case opened unattended needs: an active case
    handler, an active case type of the portal."""
    if data.case_handler_id is not None:
        user = await session.get(User, data.case_handler_id)
        if user is None or user.insurer_id != insurer_id or user.kind is not UserKind.STAFF:
            raise bad_input(
                "The case handler must be a staff user of the insurer.", "caseData.caseHandlerId"
            )
        if not user.active:
            raise bad_input("The case handler is deactivated.", "caseData.caseHandlerId")
    if case_type_id is not None:
        case_type = await session.get(CaseType, case_type_id)
        if case_type is None or case_type.insurer_id != insurer_id:
            raise bad_input("No case type with that id in your portal.", "caseTypeId")
        if not case_type.active:
            raise bad_input("The case type is deactivated.", "caseTypeId")


def for_schedule(data: cases.CaseData, case_type_id: int | None) -> cases.CaseData:
    """The case data as a schedule opens it: its case type (with the type's defaults and
    task template) and origin RECURRING."""
    data.case_type_id = case_type_id if case_type_id is not None else data.case_type_id
    data.origin = CaseOrigin.RECURRING
    return data


async def _dry_run(
    session: AsyncSession,
    *,
    insurer_id: int,
    case_type_id: int | None,
    data: cases.CaseData,
    contacts: list[cases.ContactData],
) -> None:
    """Open the case in a savepoint and roll it back: the checks are exactly run time's."""
    await check_runnable(session, insurer_id=insurer_id, case_type_id=case_type_id, data=data)

    class _Discard(Exception):
        pass

    try:
        async with session.begin_nested():
            await cases.create_case(
                session=session,
                outbox=Outbox(),  # never published
                actor=scheduler(insurer_id),
                data=for_schedule(data, case_type_id),
                contacts=contacts,
            )
            raise _Discard
    except _Discard:
        pass
    except AppError as exc:
        if exc.code is ErrorCode.BAD_USER_INPUT:
            raise nested(exc, "caseData") from exc
        if exc.code is ErrorCode.NOT_FOUND:  # a referenced row outside the portal
            raise bad_input(exc.message, "caseData") from exc
        raise


def _check_timing(schedule: RecurringCaseSchedule) -> None:
    if not 1 <= schedule.interval <= MAX_INTERVAL:
        raise bad_input(f"'interval' must be between 1 and {MAX_INTERVAL}.", "interval")
    for name, field in (("starts_at", "startsAt"), ("ends_at", "endsAt")):
        value = getattr(schedule, name)
        if value is not None and value.tzinfo is None:
            raise bad_input("Give a time zone (e.g. 2027-01-31T08:00:00Z).", field)
        if value is not None and not 1970 <= value.year <= 2999:
            raise bad_input(f"'{field}' must be between the years 1970 and 2999.", field)
    if schedule.ends_at is not None and schedule.ends_at < schedule.starts_at:
        raise bad_input("'endsAt' must not be before 'startsAt'.", "endsAt")


def _reschedule(schedule: RecurringCaseSchedule, now: dt.datetime) -> None:
    """Next occurrence from now on (occurrences before a save are never opened)."""
    after = max(now, schedule.starts_at)
    schedule.next_occurrence_at = next_occurrence(schedule, after, inclusive=True)
    if schedule.active and schedule.next_occurrence_at is None:
        raise bad_input("'endsAt' leaves no occurrence from now on.", "endsAt")


def snapshot(schedule: RecurringCaseSchedule) -> dict[str, Any]:
    """What the event log keeps of a schedule, before and after a change."""
    return {
        "name": schedule.name,
        "caseTypeId": schedule.case_type_id,
        "caseData": schedule.case_data,
        "frequency": schedule.frequency,
        "interval": schedule.interval,
        "startsAt": schedule.starts_at,
        "endsAt": schedule.ends_at,
        "active": schedule.active,
    }


async def _wake_runners(session: AsyncSession) -> None:
    """Delivered at commit (and dropped on rollback): runners re-read when the next is due."""
    await session.execute(sql("SELECT pg_notify(:channel, '')"), {"channel": WAKE_CHANNEL})


# -- writes -------------------------------------------------------------------------------


async def create_schedule(
    *, session: AsyncSession, actor: Principal, data: ScheduleData, now: dt.datetime | None = None
) -> RecurringCaseSchedule:
    require(rules.can_manage_recurring_cases(actor), MANAGE)
    if data.case_data is None or data.frequency is None or data.starts_at is None:
        raise bad_input("'caseData', 'frequency' and 'startsAt' are required.", "caseData")
    schedule = RecurringCaseSchedule(
        insurer_id=actor.insurer_id,
        name=text(data.name, "name", max_length=200),
        case_type_id=data.case_type_id,
        case_data=case_data_to_json(data.case_data, data.contacts or []),
        frequency=data.frequency,
        interval=1 if data.interval is None else data.interval,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        active=True if data.active is None else data.active,
        created_by_user_id=actor.user_id,
    )
    _check_timing(schedule)
    await _dry_run(
        session,
        insurer_id=actor.insurer_id,
        case_type_id=data.case_type_id,
        data=data.case_data,
        contacts=data.contacts or [],
    )
    _reschedule(schedule, now or dt.datetime.now(dt.UTC))
    session.add(schedule)
    await session.flush()
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="recurringCaseSchedule.create",
        subject_type="RecurringCaseSchedule",
        subject_id=schedule.id,
        after=snapshot(schedule),
    )
    await _wake_runners(session)
    return schedule


async def _schedule_for_update(
    session: AsyncSession, actor: Principal, schedule_id: int
) -> RecurringCaseSchedule:
    """The schedule, locked (a runner opening one of its occurrences finishes first)."""
    stmt = (
        select(RecurringCaseSchedule)
        .where(
            RecurringCaseSchedule.id == schedule_id,
            RecurringCaseSchedule.insurer_id == actor.insurer_id,
        )
        .with_for_update()
    )
    schedule = (await session.execute(stmt)).scalar_one_or_none()
    if schedule is None:
        raise not_found("recurring case schedule")
    return schedule


async def update_schedule(
    *,
    session: AsyncSession,
    actor: Principal,
    schedule_id: int,
    data: ScheduleData,
    now: dt.datetime | None = None,
) -> RecurringCaseSchedule:
    """Omitted fields stay. `caseData` replaces the stored case as a whole."""
    require(rules.can_manage_recurring_cases(actor), MANAGE)
    schedule = await _schedule_for_update(session, actor, schedule_id)
    before = snapshot(schedule)
    if data.case_data is not None or data.case_type_id is not None:
        # Checked before anything is assigned: the dry run's savepoint flushes the
        # schedule, and an unchecked value (a NUL in the case data's JSON, an unknown
        # case type) would fail there in the database rather than here as input.
        case_json = (
            case_data_to_json(data.case_data, data.contacts or [])
            if data.case_data is not None
            else schedule.case_data
        )
        stored, contacts = case_data_from_json(case_json)
        await _dry_run(
            session,
            insurer_id=actor.insurer_id,
            case_type_id=(
                data.case_type_id if data.case_type_id is not None else schedule.case_type_id
            ),
            data=stored,
            contacts=contacts,
        )
        schedule.case_data = case_json
    if data.name is not None:
        schedule.name = text(data.name, "name", max_length=200)  # type: ignore[assignment]
    if data.case_type_id is not None:
        schedule.case_type_id = data.case_type_id
    if data.frequency is not None:
        schedule.frequency = data.frequency
    if data.interval is not None:
        schedule.interval = data.interval
    if data.starts_at is not None:
        schedule.starts_at = data.starts_at
    if data.ends_at is not None or data.clear_ends_at:
        schedule.ends_at = None if data.clear_ends_at else data.ends_at
    if data.active is not None:
        schedule.active = data.active
    _check_timing(schedule)
    after = snapshot(schedule)
    if after == before:
        return schedule
    timing = ("frequency", "interval", "startsAt", "endsAt")
    reactivated = after["active"] and not before["active"]
    if reactivated or any(after[k] != before[k] for k in timing):
        _reschedule(schedule, now or dt.datetime.now(dt.UTC))
    schedule.updated_at = func.now()
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="recurringCaseSchedule.update",
        subject_type="RecurringCaseSchedule",
        subject_id=schedule.id,
        before=before,
        after=after,
    )
    await _wake_runners(session)
    await session.flush()
    await session.refresh(schedule)
    return schedule


async def delete_schedule(*, session: AsyncSession, actor: Principal, schedule_id: int) -> int:
    """Removes the schedule and its run records; the cases it opened stay."""
    require(rules.can_manage_recurring_cases(actor), MANAGE)
    schedule = await _schedule_for_update(session, actor, schedule_id)
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="recurringCaseSchedule.delete",
        subject_type="RecurringCaseSchedule",
        subject_id=schedule.id,
        before=snapshot(schedule),
    )
    await session.delete(schedule)
    await session.flush()
    return schedule_id

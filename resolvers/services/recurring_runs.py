"""Opening due occurrences of recurring schedules: exactly once, whichever process runs.

One transaction per occurrence: claim the schedule with the earliest due occurrence
(`FOR UPDATE SKIP LOCKED`: another process working on it is skipped, not waited for),
insert the run row (its primary key (schedule, occurrence) makes a second run of the same
occurrence impossible even if the lock were bypassed), open the case through
`cases.create_case` as the scheduler, advance `next_occurrence_at`, commit, then publish.

Catch-up: after downtime every missed occurrence is due; each transaction takes the
earliest due occurrence across all schedules, so they open in order and a schedule far
behind interleaves with the others by time. One pass opens at most `limit` occurrences
(the loop then yields and goes on), so a long backlog does not hold a process.

Bad stored data (a deactivated case handler, a malformed value) does not wedge anything:
the occurrence gets a run row with `error` and no case, the event log says why, and the
schedule moves on to its next occurrence. An unexpected exception rolls the occurrence
back; the schedule is skipped for the rest of the pass and retried on the next one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.services import cases, event_log
from resolvers.services.outbox import Outbox
from resolvers.services.recurrence import next_occurrence
from resolvers.services.recurring_cases import (
    SCHEDULER_LABEL,
    case_data_from_json,
    check_runnable,
    for_schedule,
    scheduler,
)
from server.db.casework import RecurringCaseRun, RecurringCaseSchedule
from server.errors import AppError
from server.pubsub.broker import Broker

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Run:
    """One occurrence handled: the case it opened, or why none was."""

    schedule_id: int
    occurrence_at: dt.datetime
    case_id: int | None
    error: str | None


@dataclass(slots=True)
class Pass:
    """What one pass did: occurrences handled, schedules that failed unexpectedly."""

    runs: list[Run] = field(default_factory=list)
    failed: set[int] = field(default_factory=set)


class _Failed(Exception):
    def __init__(self, schedule_id: int) -> None:
        super().__init__(schedule_id)
        self.schedule_id = schedule_id


def _claim(now: dt.datetime, skip: Collection[int]) -> Any:
    stmt = select(RecurringCaseSchedule).where(
        RecurringCaseSchedule.active,
        RecurringCaseSchedule.next_occurrence_at.is_not(None),
        RecurringCaseSchedule.next_occurrence_at <= now,
    )
    if skip:
        stmt = stmt.where(RecurringCaseSchedule.id.not_in(list(skip)))
    return (
        stmt.order_by(RecurringCaseSchedule.next_occurrence_at, RecurringCaseSchedule.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def _open_case(session: AsyncSession, outbox: Outbox, schedule: RecurringCaseSchedule) -> int:
    """Open the schedule's case in a savepoint; its events join `outbox` only if it holds."""
    attempt = Outbox()
    async with session.begin_nested():
        data, contacts = case_data_from_json(schedule.case_data)
        await check_runnable(
            session, insurer_id=schedule.insurer_id, case_type_id=schedule.case_type_id, data=data
        )
        case = await cases.create_case(
            session=session,
            outbox=attempt,
            actor=scheduler(schedule.insurer_id),
            data=for_schedule(data, schedule.case_type_id),
            contacts=contacts,
        )
    outbox.events.extend(attempt.events)
    return case.id


async def _run_occurrence(
    session: AsyncSession, outbox: Outbox, schedule: RecurringCaseSchedule
) -> Run:
    occurrence = schedule.next_occurrence_at
    assert occurrence is not None  # the claim asks for it
    claimed = await session.execute(
        insert(RecurringCaseRun)
        .values(schedule_id=schedule.id, occurrence_at=occurrence)
        .on_conflict_do_nothing()
        .returning(RecurringCaseRun.schedule_id)
    )
    case_id = error = None
    if claimed.first() is not None:
        try:
            case_id = await _open_case(session, outbox, schedule)
        except AppError as exc:
            field = exc.extensions.get("field")
            error = f"{exc.message} ({field})" if field else exc.message
            await event_log.record(
                session,
                actor=None,
                actor_label=SCHEDULER_LABEL,
                insurer_id=schedule.insurer_id,
                action="recurringCaseSchedule.runFailed",
                subject_type="RecurringCaseSchedule",
                subject_id=schedule.id,
                after={"occurrenceAt": occurrence, "error": error},
            )
        await session.execute(
            update(RecurringCaseRun)
            .where(
                RecurringCaseRun.schedule_id == schedule.id,
                RecurringCaseRun.occurrence_at == occurrence,
            )
            .values(case_id=case_id, error=error)
        )
    schedule.next_occurrence_at = next_occurrence(schedule, occurrence)
    return Run(schedule.id, occurrence, case_id, error)


async def open_next_due(
    *,
    sessions: async_sessionmaker[AsyncSession],
    broker: Broker,
    now: dt.datetime,
    skip: Collection[int] = (),
) -> Run | None:
    """Handle the earliest due occurrence no other process holds; None when there is none."""
    outbox = Outbox()
    claimed: int | None = None
    try:
        async with sessions() as session, session.begin():
            schedule = (await session.execute(_claim(now, skip))).scalar_one_or_none()
            if schedule is None:
                return None
            claimed = schedule.id
            run = await _run_occurrence(session, outbox, schedule)
    except Exception as exc:
        if claimed is None:
            raise
        raise _Failed(claimed) from exc
    await outbox.publish(broker)
    return run


async def run_due(
    *,
    sessions: async_sessionmaker[AsyncSession],
    broker: Broker,
    now: dt.datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Pass:
    """One pass: due occurrences in order until none is left or `limit` were handled.
    `now` (default: the current time) fixes what counts as due for the whole pass."""
    done = Pass()
    while len(done.runs) < limit:
        moment = now or dt.datetime.now(dt.UTC)
        try:
            run = await open_next_due(
                sessions=sessions, broker=broker, now=moment, skip=done.failed
            )
        except _Failed as exc:
            log.exception("recurring case occurrence failed", extra={"schedule": exc.schedule_id})
            done.failed.add(exc.schedule_id)
            continue
        if run is None:
            break
        done.runs.append(run)
    return done


async def earliest_due(sessions: async_sessionmaker[AsyncSession]) -> dt.datetime | None:
    """When the next occurrence of any active schedule is due (runners sleep until then)."""
    stmt = select(func.min(RecurringCaseSchedule.next_occurrence_at)).where(
        RecurringCaseSchedule.active
    )
    async with sessions() as session:
        return (await session.execute(stmt)).scalar_one_or_none()

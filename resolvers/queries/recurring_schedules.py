"""Reading recurring case schedules and their latest runs (staff only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from permissions import rules
from permissions.principal import Principal
from server.db.casework import RecurringCaseRun, RecurringCaseSchedule
from server.errors import forbidden

READ = "Only the insurer's staff see recurring case schedules."
MAX_RUNS_LISTED = 100


async def list_schedules(
    *, conn: AsyncConnection, actor: Principal, schedule_ids: list[int] | None = None
) -> list[Any]:
    """The portal's schedules by name (one statement)."""
    if not rules.can_read_recurring_cases(actor):
        raise forbidden(READ)
    stmt = select(*RecurringCaseSchedule.__table__.c).where(
        RecurringCaseSchedule.insurer_id == actor.insurer_id
    )
    if schedule_ids is not None:
        stmt = stmt.where(RecurringCaseSchedule.id.in_(schedule_ids))
    stmt = stmt.order_by(RecurringCaseSchedule.name, RecurringCaseSchedule.id)
    return list((await conn.execute(stmt)).all())


async def runs_by_schedule(conn: AsyncConnection, schedule_ids: list[int]) -> dict[int, list[Any]]:
    """The latest runs of each schedule (at most MAX_RUNS_LISTED each), newest first, in
    one statement whatever the number of schedules."""
    if not schedule_ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=RecurringCaseRun.schedule_id,
            order_by=RecurringCaseRun.occurrence_at.desc(),
        )
        .label("rank")
    )
    ranked = (
        select(*RecurringCaseRun.__table__.c, rank)
        .where(RecurringCaseRun.schedule_id.in_(schedule_ids))
        .subquery()
    )
    stmt = (
        select(ranked)
        .where(ranked.c.rank <= MAX_RUNS_LISTED)
        .order_by(ranked.c.schedule_id, ranked.c.occurrence_at.desc())
    )
    found: dict[int, list[Any]] = {i: [] for i in schedule_ids}
    for row in (await conn.execute(stmt)).all():
        found[row.schedule_id].append(row)
    return found

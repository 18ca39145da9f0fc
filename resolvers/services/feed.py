"""The feed: every change a person would call an event writes one entry, in the same
transaction as the change; the outbox publishes it once that transaction commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal
from resolvers.services.outbox import Outbox
from server.db.enums import FeedEventType, TaskKind
from server.db.models import Case, FeedEntry


async def record(
    session: AsyncSession,
    outbox: Outbox,
    *,
    actor: Principal,
    case: Case,
    type: FeedEventType,
    payload: dict[str, Any] | None = None,
) -> FeedEntry:
    entry = FeedEntry(
        insurer_id=case.insurer_id,
        case_id=case.id,
        type=type,
        payload=payload or {},
        actor_user_id=actor.user_id,
        actor_contact_id=actor.contact_id,
    )
    session.add(entry)
    await session.flush()
    outbox.case_event(case.id, "feed", entry.id)
    return entry


OFFICE_CHANGED = {
    TaskKind.MAIN_INSPECTION: FeedEventType.MAIN_INSPECTION_OFFICE_CHANGED,
    TaskKind.PROJECT_MANAGEMENT: FeedEventType.PROJECT_MANAGEMENT_OFFICE_CHANGED,
    TaskKind.REPAIR: FeedEventType.REPAIR_TASK_OFFICE_CHANGED,
}
RESPONSIBLE_CHANGED = {
    TaskKind.MAIN_INSPECTION: FeedEventType.INSPECTOR_ASSIGNED,
    TaskKind.PROJECT_MANAGEMENT: FeedEventType.PROJECT_MANAGER_CHANGED,
    TaskKind.REPAIR: FeedEventType.REPAIR_TASK_RESPONSIBLE_CHANGED,
}


def task_progress_event(kind: TaskKind, started: bool) -> FeedEventType:
    if kind is TaskKind.MAIN_INSPECTION:
        if started:
            return FeedEventType.MAIN_INSPECTION_STARTED
        return FeedEventType.MAIN_INSPECTION_COMPLETED
    return FeedEventType.TASK_STARTED_OR_ENDED


def schedule_event(kind: TaskKind) -> FeedEventType:
    """Customers follow repair schedules; other tasks' schedules are internal."""
    if kind is TaskKind.REPAIR:
        return FeedEventType.REPAIR_TASK_SCHEDULE_CHANGED
    return FeedEventType.TASK_SCHEDULE_CHANGED

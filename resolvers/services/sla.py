"""A case's workflow status, priority and SLA clock.

- `start_case`: the create_case hook; a new case starts in the portal's default status and
  priority (a priority already set on the case, e.g. its case type's, wins).
- `set_workflow_status` / `set_priority`: staff (and insurer keys with cases:write), one
  feed entry each. Entering a status that pauses the SLA starts a pause; leaving it adds
  the pause to `sla_paused_seconds`. A new priority means new targets: breaches recorded
  for targets still running are cleared, so the new targets decide (the feed keeps the
  earlier SLA_BREACHED entry).
- `on_message_to_customer`: the message-send hook; the first message to the customer
  is the first response, and a late one records its breach at once (the watcher may not
  have seen it yet, and later pauses must not hide it).
- `on_close_or_reopen`: the lifecycle hook (cases._transition), run before `closed_at`
  changes. Closing a case nobody has answered yet is its first response (recorded as
  such, so reopening cannot take it back); reopening adds the time the case was closed
  to `sla_paused_seconds`, so the resolution clock runs on from where closing stopped it.
- `record_due_breaches`: what the breach watcher (server/sla_watcher.py) runs: it marks
  each breached target once and writes one SLA_BREACHED feed entry for it, however many
  processes run it at the same time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal
from permissions.sla import SlaState, evaluate
from resolvers.queries.sla import TARGETS, Target
from resolvers.services import feed
from resolvers.services.common import case_for_update, ensure_not_closed, require
from resolvers.services.outbox import Outbox
from server.db.casework import CasePriority, CaseWorkflowStatus
from server.db.enums import CaseStatus, FeedEventType
from server.db.models import Case, FeedEntry
from server.errors import bad_input

# Targets finished longer ago than this are not looked at again by the watcher, which
# keeps its scan to open cases and those closed lately (a case closed late between two
# polls still gets its entry).
RECENT = text("interval '1 day'")
MANAGE = "Only the insurer's staff (or an insurer API key with cases:write) manage cases."


async def _default_id(session: AsyncSession, model: Any, insurer_id: int) -> Any:
    stmt = (
        select(model)
        .where(model.insurer_id == insurer_id, model.is_default, model.active)
        .order_by(model.position, model.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def start_case(*, session: AsyncSession, case: Case) -> None:
    """New cases start in the default status and priority, unless already given."""
    if case.workflow_status_id is None:
        status = await _default_id(session, CaseWorkflowStatus, case.insurer_id)
        if status is not None:
            case.workflow_status_id = status.id
            if status.pauses_sla:
                case.sla_paused_since = func.now()  # type: ignore[assignment]
    if case.priority_id is None:
        priority = await _default_id(session, CasePriority, case.insurer_id)
        if priority is not None:
            case.priority_id = priority.id


async def _active(
    session: AsyncSession, model: Any, row_id: int, insurer_id: int, field: str
) -> Any:
    row = await session.get(model, row_id)
    if row is None or row.insurer_id != insurer_id:
        raise bad_input(f"'{field}' is not one of your portal's.", field)
    if not row.active:
        raise bad_input(f"'{field}' names an inactive one.", field)
    return row


def _named(row: Any | None) -> dict[str, Any] | None:
    return None if row is None else {"id": row.id, "name": row.name}


async def set_workflow_status(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, case_id: int, status_id: int
) -> Case:
    case = await case_for_update(session, actor, case_id)
    require(rules.can_manage_case(actor), MANAGE)
    ensure_not_closed(case)
    status = await _active(session, CaseWorkflowStatus, status_id, case.insurer_id, "statusId")
    if case.workflow_status_id == status.id:
        return case
    previous = None
    if case.workflow_status_id is not None:
        previous = await session.get(CaseWorkflowStatus, case.workflow_status_id)
    paused = case.sla_paused_since is not None
    if status.pauses_sla and not paused:
        case.sla_paused_since = func.now()  # type: ignore[assignment]
    elif not status.pauses_sla and paused:
        # Both in one UPDATE: the right-hand side reads the pause's start before it clears.
        elapsed = func.floor(func.extract("epoch", func.now() - Case.sla_paused_since))
        case.sla_paused_seconds = Case.sla_paused_seconds + elapsed  # type: ignore[assignment]
        case.sla_paused_since = None
    case.workflow_status_id = status.id
    case.updated_at = func.now()  # type: ignore[assignment]
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.WORKFLOW_STATUS_CHANGED,
        payload={"from": _named(previous), "to": _named(status), "pausesSla": status.pauses_sla},
    )
    return case


async def set_priority(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, case_id: int, priority_id: int
) -> Case:
    case = await case_for_update(session, actor, case_id)
    require(rules.can_manage_case(actor), MANAGE)
    ensure_not_closed(case)
    priority = await _active(session, CasePriority, priority_id, case.insurer_id, "priorityId")
    if case.priority_id == priority.id:
        return case
    previous = None
    if case.priority_id is not None:
        previous = await session.get(CasePriority, case.priority_id)
    case.priority_id = priority.id
    # The new targets decide from now on (the case is open: resolution still runs).
    if case.first_response_at is None:
        case.first_response_breached_at = None
    case.resolution_breached_at = None
    case.updated_at = func.now()  # type: ignore[assignment]
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.PRIORITY_CHANGED,
        payload={"from": _named(previous), "to": _named(priority)},
    )
    return case


async def on_message_to_customer(*, session: AsyncSession, outbox: Outbox, case: Case) -> None:
    """The first message to the customer is the first response (the case row is locked)."""
    if case.first_response_at is not None:
        return
    now = (await session.execute(select(func.now()))).scalar_one()
    case.first_response_at = now
    if case.priority_id is None or case.first_response_breached_at is not None:
        return
    priority = await session.get(CasePriority, case.priority_id)
    view = evaluate(case, priority, now)
    target = view.first_response if view is not None else None
    if target is not None and target.state is SlaState.BREACHED:
        case.first_response_breached_at = target.due_at
        await _breach_entry(
            session, outbox, case.insurer_id, case.id, "firstResponse", target.due_at
        )


async def on_close_or_reopen(
    *, session: AsyncSession, outbox: Outbox, case: Case, to: CaseStatus
) -> None:
    """Called with the case row locked, before its `closed_at` is set or cleared."""
    if to is CaseStatus.CLOSED:
        # Closing answers the customer too. Stored as the first response (a late one
        # records its breach now, as a message would), so it outlives a reopen.
        await on_message_to_customer(session=session, outbox=outbox, case=case)
    elif case.closed_at is not None and case.sla_paused_since is None:
        # Reopened: the closed time does not count. (A pause that ran through the closed
        # time already covers it.)
        now = (await session.execute(select(func.now()))).scalar_one()
        closed = max(int((now - case.closed_at).total_seconds()), 0)
        case.sla_paused_seconds = (case.sla_paused_seconds or 0) + closed


async def _breach_entry(
    session: AsyncSession,
    outbox: Outbox,
    insurer_id: int,
    case_id: int,
    target: str,
    due_at: dt.datetime,
) -> None:
    """The server's own entry: no actor."""
    entry = FeedEntry(
        insurer_id=insurer_id,
        case_id=case_id,
        type=FeedEventType.SLA_BREACHED,
        payload={"target": target, "dueAt": due_at.isoformat()},
    )
    session.add(entry)
    await session.flush()
    outbox.case_event(case_id, "feed", entry.id)


def _claim(target: Target, batch: int) -> Any:
    """Mark up to `batch` newly breached targets. Rows another transaction holds are
    skipped (SKIP LOCKED: the next poll gets them), and `breached_at IS NULL` is checked
    again on the locked row, so each breach is marked by exactly one transaction."""
    recent = or_(target.done.is_(None), target.done > func.now() - RECENT)
    due = (
        select(Case.id)
        .join(CasePriority, CasePriority.id == Case.priority_id)
        .where(target.breached_at.is_(None), target.late(), recent)
        .order_by(Case.id)
        .limit(batch)
        .with_for_update(of=Case, skip_locked=True)
    )
    return (
        update(Case)
        .where(
            Case.id.in_(due.scalar_subquery()),
            CasePriority.id == Case.priority_id,
            target.breached_at.is_(None),
        )
        .values({target.breached_at.key: target.due_at()})
        .returning(Case.id, Case.insurer_id, target.breached_at)
        .execution_options(synchronize_session=False)
    )


async def record_due_breaches(*, session: AsyncSession, outbox: Outbox, batch: int = 100) -> int:
    """Mark the targets whose due time has passed, one SLA_BREACHED entry each; returns
    how many were marked."""
    marked = 0
    for target in TARGETS:
        rows = (await session.execute(_claim(target, batch))).all()
        for case_id, insurer_id, due_at in rows:
            await _breach_entry(session, outbox, insurer_id, case_id, target.name, due_at)
        marked += len(rows)
    return marked

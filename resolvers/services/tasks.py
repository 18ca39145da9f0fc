"""Tasks on a case: add, remove, assign (office, then person), progress, schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal
from permissions.rights import Right
from resolvers.services import feed, milestones, offices
from resolvers.services.cases import MANAGE
from resolvers.services.common import (
    case_for_update,
    ensure_not_closed,
    money,
    portal_row,
    require,
    task_for_update,
    text,
)
from resolvers.services.outbox import Outbox
from server.db.enums import BudgetStatus, FeedEventType, TaskKind, TaskStatus, UserKind
from server.db.models import Budget, Case, Document, Office, Task, User
from server.errors import AppError, ErrorCode, bad_input

WORK = "Only staff or a user of the office holding the task may do this."
APPROVE = "Only the insurer's staff approve completed tasks."


async def _record(
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case: Case,
    type: FeedEventType,
    **payload: Any,
) -> None:
    case.updated_at = func.now()
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=type,
        payload=payload,
    )


async def add_task(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    kind: TaskKind,
    title: str,
    description: str | None = None,
    budget_estimate: Decimal | None = None,
) -> Task:
    case = await case_for_update(session, actor, case_id)
    require(
        rules.can_manage_tasks(actor, case), rules.refusal(actor, case, Right.MANAGE_TASKS, MANAGE)
    )
    ensure_not_closed(case)
    money(budget_estimate, "budgetEstimate")
    task = Task(
        insurer_id=case.insurer_id,
        case_id=case.id,
        kind=kind,
        title=text(title, "title", max_length=200),
        description=text(description, "description", max_length=10_000, required=False),
        budget_estimate=budget_estimate,
        status=TaskStatus.NEW,
    )
    session.add(task)
    await session.flush()
    await _record(
        session,
        outbox,
        actor,
        case,
        FeedEventType.NEW_TASKS_ADDED,
        taskId=task.id,
        kind=kind.value,
        title=task.title,
    )
    return task


async def remove_task(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, task_id: int
) -> Case:
    task, case = await task_for_update(session, actor, task_id)
    require(
        rules.can_manage_tasks(actor, case), rules.refusal(actor, case, Right.MANAGE_TASKS, MANAGE)
    )
    ensure_not_closed(case)
    if task.status in (TaskStatus.STARTED, TaskStatus.COMPLETED, TaskStatus.APPROVED):
        raise AppError(
            ErrorCode.CONFLICT, "A task that has started cannot be removed.", field="taskId"
        )
    # Its documents would become the case's general documents, visible to every partner.
    has_documents = select(Document.id).where(Document.task_id == task.id).limit(1)
    if (await session.execute(has_documents)).first() is not None:
        raise AppError(
            ErrorCode.CONFLICT, "The task has documents; it cannot be removed.", field="taskId"
        )
    # Its budgets (approved ones are money promised) would vanish with it.
    has_budgets = select(Budget.id).where(Budget.task_id == task.id).limit(1)
    if (await session.execute(has_budgets)).first() is not None:
        raise AppError(
            ErrorCode.CONFLICT, "The task has budgets; it cannot be removed.", field="taskId"
        )
    await session.delete(task)
    await _record(
        session,
        outbox,
        actor,
        case,
        FeedEventType.TASK_REMOVED,
        taskId=task.id,
        kind=task.kind.value,
        title=task.title,
    )
    return case


async def assign_office(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, task_id: int, office_id: int
) -> Task:
    """Hand the task to an office; the person responsible is cleared for the office to pick."""
    task, case = await task_for_update(session, actor, task_id)
    require(
        rules.can_assign_tasks(actor, case), rules.refusal(actor, case, Right.ASSIGN_TASKS, MANAGE)
    )
    ensure_not_closed(case)
    office = await portal_row(session, Office, office_id, case.insurer_id, "office")
    if not office.available_for_new_tasks and task.office_id != office.id:
        raise bad_input(f"The office '{office.name}' takes no new tasks.", "officeId")
    if task.status not in (TaskStatus.NEW, TaskStatus.ASSIGNED):
        raise AppError(ErrorCode.CONFLICT, "A started task cannot change office.", field="taskId")
    if task.office_id == office.id:
        return task
    # A budget is the office's; it must not pass to (or be approved for) the next one.
    waiting = select(Budget.id).where(
        Budget.task_id == task.id, Budget.status == BudgetStatus.SUBMITTED
    )
    if (await session.execute(waiting.limit(1))).first() is not None:
        raise AppError(
            ErrorCode.CONFLICT,
            "The task has a budget waiting for a decision; approve or reject it first.",
            field="taskId",
        )
    task.office_id = office.id
    task.responsible_id = None
    task.status = TaskStatus.NEW
    await _record(
        session,
        outbox,
        actor,
        case,
        feed.OFFICE_CHANGED[task.kind],
        taskId=task.id,
        officeId=office.id,
        officeName=office.name,
    )
    await offices.notify_office_assigned(session=session, case=case, task=task, office=office)
    return task


async def assign_responsible(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, task_id: int, user_id: int
) -> Task:
    """The office names the person responsible; staff may do it for them."""
    task, case = await task_for_update(session, actor, task_id)
    require(
        rules.can_name_responsible(actor, case, task),
        rules.refusal(actor, case, Right.ASSIGN_TASKS, WORK),
    )
    ensure_not_closed(case)
    if task.office_id is None:
        raise AppError(ErrorCode.CONFLICT, "Assign the task to an office first.", field="taskId")
    user = await portal_row(session, User, user_id, case.insurer_id, "user")
    if user.kind is not UserKind.PARTNER or user.office_id != task.office_id or not user.active:
        raise bad_input(
            "The responsible person must be an active user of the task's office.", "userId"
        )
    if task.status not in (TaskStatus.NEW, TaskStatus.ASSIGNED, TaskStatus.STARTED):
        raise AppError(ErrorCode.CONFLICT, "A completed task keeps its responsible person.")
    if task.responsible_id == user.id:
        return task
    task.responsible_id = user.id
    if task.status is TaskStatus.NEW:
        task.status = TaskStatus.ASSIGNED
    await _record(
        session,
        outbox,
        actor,
        case,
        feed.RESPONSIBLE_CHANGED[task.kind],
        taskId=task.id,
        userId=user.id,
        userName=user.name,
    )
    await offices.notify_responsible_assigned(session=session, case=case, task=task, user=user)
    if task.kind is TaskKind.MAIN_INSPECTION:  # the inspector-assigned milestone
        await milestones.on_case_progress(session=session, outbox=outbox, actor=actor, case=case)
    return task


_NEXT = {
    "start": (TaskStatus.ASSIGNED, TaskStatus.STARTED),
    "complete": (TaskStatus.STARTED, TaskStatus.COMPLETED),
    "approve": (TaskStatus.COMPLETED, TaskStatus.APPROVED),
}


async def advance_task(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, task_id: int, step: str
) -> Task:
    """start (assigned → started), complete (started → completed), approve (→ approved).

    Approval is the insurer's; starting and completing are the office's or staff's.
    """
    task, case = await task_for_update(session, actor, task_id)
    if step == "approve":
        require(
            rules.can_approve_tasks(actor, case),
            rules.refusal(actor, case, Right.APPROVE_TASKS, APPROVE),
        )
    elif step == "start" and task.kind is TaskKind.MAIN_INSPECTION:
        # The external case handler may start the main inspection whichever office holds it.
        require(
            rules.can_work_on_task(actor, task) or rules.can_start_inspection(actor, case),
            rules.refusal(actor, case, Right.START_INSPECTION, WORK),
        )
    else:
        require(rules.can_work_on_task(actor, task), WORK)
    ensure_not_closed(case)
    required, target = _NEXT[step]
    if task.status is not required:
        raise AppError(
            ErrorCode.CONFLICT,
            f"Only a task that is {required.value} can be {target.value}; "
            f"it is {task.status.value}.",
            field="taskId",
        )
    task.status = target
    if step == "approve":
        event = FeedEventType.TASK_APPROVED
    else:
        event = feed.task_progress_event(task.kind, started=step == "start")
    await _record(
        session,
        outbox,
        actor,
        case,
        event,
        taskId=task.id,
        kind=task.kind.value,
        title=task.title,
        status=target.value,
    )
    return task


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise bad_input(
            f"'{field}' needs a time zone offset (e.g. 2026-05-01T09:00:00+02:00).", field
        )
    return value


async def set_schedule(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    task_id: int,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> Task:
    task, case = await task_for_update(session, actor, task_id)
    require(rules.can_work_on_task(actor, task), WORK)
    ensure_not_closed(case)
    _ensure_not_finished(task)
    start, end = _aware(start, "start"), _aware(end, "end")
    if start is not None and end is not None and end < start:
        raise bad_input("'end' must not be before 'start'.", "end")
    if (task.scheduled_start, task.scheduled_end) == (start, end):
        return task
    task.scheduled_start, task.scheduled_end = start, end
    await _record(
        session,
        outbox,
        actor,
        case,
        feed.schedule_event(task.kind),
        taskId=task.id,
        start=_iso(start),
        end=_iso(end),
    )
    return task


async def set_customer_meeting(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, task_id: int, at: dt.datetime | None
) -> Task:
    task, case = await task_for_update(session, actor, task_id)
    require(rules.can_work_on_task(actor, task), WORK)
    ensure_not_closed(case)
    _ensure_not_finished(task)
    at = _aware(at, "at")
    if task.customer_meeting_at == at:
        return task
    task.customer_meeting_at = at
    await _record(
        session,
        outbox,
        actor,
        case,
        FeedEventType.CUSTOMER_MEETING_TIME_CHANGED,
        taskId=task.id,
        at=_iso(at),
    )
    return task


def _ensure_not_finished(task: Task) -> None:
    if task.status in (TaskStatus.COMPLETED, TaskStatus.APPROVED):
        raise AppError(
            ErrorCode.CONFLICT,
            f"The task is {task.status.value}; its plan is final.",
            field="taskId",
        )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None

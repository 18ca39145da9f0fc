"""Mutations on tasks: add, remove, assign, progress, schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from resolvers.services import tasks
from schema.enums import TaskKind
from schema.mutations.payloads import CasePayload, TaskPayload
from schema.mutations.runner import run_mutation
from schema.node import decode_typed_id


@strawberry.input(description="A new task on a case.")
class TaskAddInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    kind: TaskKind = strawberry.field(description="Main inspection, project management, repair.")
    title: str = strawberry.field(description="Trade or title, e.g. 'Drying'.")
    description: str | None = strawberry.field(default=None, description="What is to be done.")
    budget_estimate: Decimal | None = strawberry.field(default=None, description="Estimate.")


@strawberry.input(description="Names one task.")
class TaskInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")


@strawberry.input(description="Hand a task to an office (step one of assigning it).")
class TaskAssignOfficeInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    office_id: strawberry.ID = strawberry.field(description="The office taking it.")


@strawberry.input(description="Name the person responsible (step two, done by the office).")
class TaskAssignResponsibleInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    user_id: strawberry.ID = strawberry.field(description="A user of the task's office.")


@strawberry.input(description="Planned start and end of a task; null clears.")
class TaskScheduleInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    start: dt.datetime | None = strawberry.field(default=None, description="Planned start.")
    end: dt.datetime | None = strawberry.field(default=None, description="Planned end.")


@strawberry.input(description="Meeting time agreed with the customer; null clears.")
class TaskCustomerMeetingInput:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    at: dt.datetime | None = strawberry.field(default=None, description="Meeting time.")


def _task_id(global_id: strawberry.ID) -> int:
    return decode_typed_id(global_id, "Task", "taskId")


async def task_add(info: strawberry.Info, input: TaskAddInput) -> TaskPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await tasks.add_task(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=decode_typed_id(input.case_id, "Case", "caseId"),
            kind=input.kind,
            title=input.title,
            description=input.description,
            budget_estimate=input.budget_estimate,
        )

    return TaskPayload.of(await run_mutation(info, work))


async def task_remove(info: strawberry.Info, input: TaskInput) -> CasePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await tasks.remove_task(
            session=session, outbox=outbox, actor=actor, task_id=_task_id(input.task_id)
        )

    return CasePayload.of(await run_mutation(info, work))


async def task_assign_office(info: strawberry.Info, input: TaskAssignOfficeInput) -> TaskPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await tasks.assign_office(
            session=session,
            outbox=outbox,
            actor=actor,
            task_id=_task_id(input.task_id),
            office_id=decode_typed_id(input.office_id, "Office", "officeId"),
        )

    return TaskPayload.of(await run_mutation(info, work))


async def task_assign_responsible(
    info: strawberry.Info, input: TaskAssignResponsibleInput
) -> TaskPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await tasks.assign_responsible(
            session=session,
            outbox=outbox,
            actor=actor,
            task_id=_task_id(input.task_id),
            user_id=decode_typed_id(input.user_id, "User", "userId"),
        )

    return TaskPayload.of(await run_mutation(info, work))


def _step(step: str):  # type: ignore[no-untyped-def]
    async def mutate(info: strawberry.Info, input: TaskInput) -> TaskPayload:
        async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
            return await tasks.advance_task(
                session=session,
                outbox=outbox,
                actor=actor,
                task_id=_task_id(input.task_id),
                step=step,
            )

        return TaskPayload.of(await run_mutation(info, work))

    return mutate


task_start = _step("start")
task_complete = _step("complete")
task_approve = _step("approve")


async def task_set_schedule(info: strawberry.Info, input: TaskScheduleInput) -> TaskPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await tasks.set_schedule(
            session=session,
            outbox=outbox,
            actor=actor,
            task_id=_task_id(input.task_id),
            start=input.start,
            end=input.end,
        )

    return TaskPayload.of(await run_mutation(info, work))


async def task_set_customer_meeting(
    info: strawberry.Info, input: TaskCustomerMeetingInput
) -> TaskPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await tasks.set_customer_meeting(
            session=session,
            outbox=outbox,
            actor=actor,
            task_id=_task_id(input.task_id),
            at=input.at,
        )

    return TaskPayload.of(await run_mutation(info, work))

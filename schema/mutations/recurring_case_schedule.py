"""Mutations on recurring case schedules (company admins, authority level 6).

The case to open reuses `CaseCreateInput`, and saving dry-runs the case creation, so a
schedule never holds data that `caseCreate` would refuse today; errors name the field under
`caseData` (['input', 'caseData', 'street']). Every change is in the event log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from resolvers.services import cases, recurring_cases
from schema.mutations.case import CaseCreateInput, _case_data
from schema.mutations.payloads import ERRORS_HELP
from schema.mutations.runner import Outcome, UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.recurring import (
    TIMING,
    RecurrenceFrequency,
    RecurringCaseSchedule,
    load_schedules,
)
from server.errors import AppError


@strawberry.input(description="A new recurring case schedule. " + TIMING)
class RecurringCaseScheduleCreateInput:
    name: str = strawberry.field(description="Name, e.g. 'Property inspection'.")
    case_data: CaseCreateInput = strawberry.field(
        description="The case each occurrence opens, checked as `caseCreate` checks it."
    )
    case_type_id: strawberry.ID | None = strawberry.field(
        default=None, description="A case type of your portal each case gets."
    )
    frequency: RecurrenceFrequency = strawberry.field(description="Weekly, monthly, every N days.")
    interval: int = strawberry.field(
        default=1, description="Every how many weeks, months or days: 1–1000."
    )
    starts_at: dt.datetime = strawberry.field(
        description="The first occurrence, with a time zone. Occurrences before now are "
        "skipped: the first case opens at the first occurrence from now on."
    )
    ends_at: dt.datetime | None = strawberry.field(
        default=None,
        description="The last possible occurrence (inclusive); not before "
        "`startsAt`. Null: no end.",
    )
    active: bool = strawberry.field(default=True, description="False: defined but paused.")


@strawberry.input(description="Changes to a recurring case schedule; omitted fields stay.")
class RecurringCaseScheduleUpdateInput:
    schedule_id: strawberry.ID = strawberry.field(description="The schedule.")
    name: str | None = strawberry.field(default=None, description="New name.")
    case_data: CaseCreateInput | None = strawberry.field(
        default=None, description="Replaces the case each occurrence opens."
    )
    case_type_id: strawberry.ID | None = strawberry.field(
        default=None, description="A case type of your portal each case gets."
    )
    frequency: RecurrenceFrequency | None = strawberry.field(
        default=None, description="New frequency."
    )
    interval: int | None = strawberry.field(default=None, description="New interval: 1–1000.")
    starts_at: dt.datetime | None = strawberry.field(default=None, description="New start.")
    ends_at: dt.datetime | None = strawberry.field(
        default=None, description="New end (inclusive); see `clearEndsAt` to remove it."
    )
    clear_ends_at: bool = strawberry.field(
        default=False, description="True: the schedule no longer ends."
    )
    active: bool | None = strawberry.field(
        default=None,
        description="False pauses the schedule; true resumes it from now on (occurrences "
        "while it was paused are not opened).",
    )


@strawberry.input(description="Names one recurring case schedule.")
class RecurringCaseScheduleDeleteInput:
    schedule_id: strawberry.ID = strawberry.field(description="The schedule.")


@strawberry.type(description="Result of a mutation on a recurring case schedule.")
class RecurringCaseSchedulePayload:
    schedule_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The schedule after the change; null if it failed.")
    async def schedule(self, info: strawberry.Info) -> RecurringCaseSchedule | None:
        if self.schedule_id is None:
            return None
        found = await load_schedules(info, [self.schedule_id])
        return found[0] if found else None

    @classmethod
    def of(cls, outcome: Outcome[Any]) -> RecurringCaseSchedulePayload:
        value = outcome.value
        return cls(schedule_id=value.id if value else None, errors=outcome.errors)


@strawberry.type(description="Result of deleting a recurring case schedule.")
class RecurringCaseScheduleDeletePayload:
    deleted_schedule_id: strawberry.ID | None = strawberry.field(
        description="The id of the deleted schedule; null if it failed."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


def _schedule_id(global_id: strawberry.ID) -> int:
    return decode_typed_id(global_id, "RecurringCaseSchedule", "scheduleId")


def _case(case_input: CaseCreateInput | None) -> cases.CaseData | None:
    if case_input is None:
        return None
    try:
        return _case_data(case_input)
    except AppError as exc:  # a malformed caseHandlerId: name it under caseData
        raise recurring_cases.nested(exc, "caseData") from exc


def _data(
    input: RecurringCaseScheduleCreateInput | RecurringCaseScheduleUpdateInput,
) -> recurring_cases.ScheduleData:
    case_input = input.case_data
    type_id = input.case_type_id
    return recurring_cases.ScheduleData(
        name=input.name,
        case_type_id=decode_typed_id(type_id, "CaseType", "caseTypeId") if type_id else None,
        case_data=_case(case_input),
        contacts=[cases.ContactData(c.role, c.name, c.email, c.phone) for c in case_input.contacts]
        if case_input is not None
        else None,
        frequency=input.frequency.stored() if input.frequency is not None else None,
        interval=input.interval,
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        clear_ends_at=getattr(input, "clear_ends_at", False),
        active=input.active,
    )


async def recurring_case_schedule_create(
    info: strawberry.Info, input: RecurringCaseScheduleCreateInput
) -> RecurringCaseSchedulePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await recurring_cases.create_schedule(
            session=session, actor=actor, data=_data(input)
        )

    return RecurringCaseSchedulePayload.of(await run_mutation(info, work))


async def recurring_case_schedule_update(
    info: strawberry.Info, input: RecurringCaseScheduleUpdateInput
) -> RecurringCaseSchedulePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await recurring_cases.update_schedule(
            session=session,
            actor=actor,
            schedule_id=_schedule_id(input.schedule_id),
            data=_data(input),
        )

    return RecurringCaseSchedulePayload.of(await run_mutation(info, work))


async def recurring_case_schedule_delete(
    info: strawberry.Info, input: RecurringCaseScheduleDeleteInput
) -> RecurringCaseScheduleDeletePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await recurring_cases.delete_schedule(
            session=session, actor=actor, schedule_id=_schedule_id(input.schedule_id)
        )

    outcome = await run_mutation(info, work)
    deleted = input.schedule_id if outcome.value is not None else None
    return RecurringCaseScheduleDeletePayload(deleted_schedule_id=deleted, errors=outcome.errors)

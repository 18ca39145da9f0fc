"""Mutations on workflow statuses and priorities (company admins), and on a case's status
and priority (staff and insurer API keys with cases:write)."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.services import sla, sla_settings
from schema.mutations.payloads import ERRORS_HELP, CasePayload
from schema.mutations.runner import Outcome, UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.sla import Priority, WorkflowStatus


def _given(value: Any) -> Any:
    """strawberry.UNSET (not given) as the services' UNSET; null stays null (clear)."""
    return sla_settings.UNSET if value is strawberry.UNSET else value


@strawberry.input(description="A new workflow status of your portal.")
class WorkflowStatusCreateInput:
    name: str = strawberry.field(description="Internal name, unique in the portal.")
    color: str = strawberry.field(description="Colour as #RRGGBB, e.g. #1A7F37.")
    position: int = strawberry.field(default=0, description="Order in lists, 0–10000.")
    visible_to_customer: bool = strawberry.field(
        default=False, description="Whether customers see it (as `customerLabel`)."
    )
    customer_label: str | None = strawberry.field(
        default=None, description="What customers see; required when `visibleToCustomer`."
    )
    pauses_sla: bool = strawberry.field(
        default=False, description="Stop the SLA clock while a case is in this status."
    )
    is_default: bool = strawberry.field(
        default=False, description="New cases start in it (the previous default stops being it)."
    )
    active: bool = strawberry.field(default=True, description="Whether cases can be given it.")


@strawberry.input(description="Changes to a workflow status; omitted fields stay.")
class WorkflowStatusUpdateInput:
    status_id: strawberry.ID = strawberry.field(description="The status.")
    name: str | None = strawberry.field(default=None, description="Internal name.")
    color: str | None = strawberry.field(default=None, description="Colour as #RRGGBB.")
    position: int | None = strawberry.field(default=None, description="Order in lists, 0–10000.")
    visible_to_customer: bool | None = strawberry.field(
        default=None, description="Whether customers see it (as `customerLabel`)."
    )
    customer_label: str | None = strawberry.field(
        default=strawberry.UNSET, description="What customers see; null or empty clears it."
    )
    pauses_sla: bool | None = strawberry.field(
        default=None,
        description="Stop the SLA clock in this status (cases already in it follow when they "
        "next change status).",
    )
    is_default: bool | None = strawberry.field(
        default=None, description="New cases start in it (true takes it from the previous one)."
    )
    active: bool | None = strawberry.field(
        default=None, description="Whether cases can be given it; a default must stay active."
    )


_FIRST = "Minutes to the first message to the customer; null: no such target."
_RESOLUTION = "Minutes to closing the case; null: no such target."


@strawberry.input(description="A new priority of your portal, with its SLA targets.")
class PriorityCreateInput:
    name: str = strawberry.field(description="Name, unique in the portal.")
    position: int = strawberry.field(default=0, description="Order in lists, 0–10000.")
    first_response_minutes: int | None = strawberry.field(default=None, description=_FIRST)
    resolution_minutes: int | None = strawberry.field(default=None, description=_RESOLUTION)
    at_risk_percent: int = strawberry.field(
        default=80, description="AT_RISK once this share (1–100) of a target's time has passed."
    )
    is_default: bool = strawberry.field(
        default=False, description="New cases get it (the previous default stops being it)."
    )
    active: bool = strawberry.field(default=True, description="Whether cases can be given it.")


@strawberry.input(description="Changes to a priority; omitted fields stay, null clears a target.")
class PriorityUpdateInput:
    priority_id: strawberry.ID = strawberry.field(description="The priority.")
    name: str | None = strawberry.field(default=None, description="Name.")
    position: int | None = strawberry.field(default=None, description="Order in lists, 0–10000.")
    first_response_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description=_FIRST
    )
    resolution_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description=_RESOLUTION
    )
    at_risk_percent: int | None = strawberry.field(
        default=None, description="AT_RISK once this share (1–100) of a target's time has passed."
    )
    is_default: bool | None = strawberry.field(
        default=None, description="New cases get it (true takes it from the previous one)."
    )
    active: bool | None = strawberry.field(
        default=None, description="Whether cases can be given it; a default must stay active."
    )


@strawberry.input(description="Moves a case to a workflow status.")
class CaseSetWorkflowStatusInput:
    case_id: strawberry.ID = strawberry.field(description="The case (not closed).")
    status_id: strawberry.ID = strawberry.field(description="An active status of your portal.")


@strawberry.input(description="Gives a case a priority.")
class CaseSetPriorityInput:
    case_id: strawberry.ID = strawberry.field(description="The case (not closed).")
    priority_id: strawberry.ID = strawberry.field(description="An active priority of your portal.")


@strawberry.type(description="Result of a mutation on a workflow status.")
class WorkflowStatusPayload:
    status: WorkflowStatus | None = strawberry.field(
        description="The status after the change; null if it failed."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @classmethod
    def of(cls, outcome: Outcome[Any]) -> WorkflowStatusPayload:
        value = outcome.value
        return cls(status=WorkflowStatus.from_row(value) if value else None, errors=outcome.errors)


@strawberry.type(description="Result of a mutation on a priority.")
class PriorityPayload:
    priority: Priority | None = strawberry.field(
        description="The priority after the change; null if it failed."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @classmethod
    def of(cls, outcome: Outcome[Any]) -> PriorityPayload:
        value = outcome.value
        return cls(priority=Priority.from_row(value) if value else None, errors=outcome.errors)


def _status_data(input: WorkflowStatusCreateInput | WorkflowStatusUpdateInput) -> Any:
    return sla_settings.StatusData(
        name=input.name,
        color=input.color,
        position=input.position,
        visible_to_customer=input.visible_to_customer,
        customer_label=_given(input.customer_label),
        pauses_sla=input.pauses_sla,
        is_default=input.is_default,
        active=input.active,
    )


def _priority_data(input: PriorityCreateInput | PriorityUpdateInput) -> Any:
    return sla_settings.PriorityData(
        name=input.name,
        position=input.position,
        first_response_minutes=_given(input.first_response_minutes),
        resolution_minutes=_given(input.resolution_minutes),
        at_risk_percent=input.at_risk_percent,
        is_default=input.is_default,
        active=input.active,
    )


async def workflow_status_create(
    info: strawberry.Info, input: WorkflowStatusCreateInput
) -> WorkflowStatusPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await sla_settings.create_status(
            session=session, actor=actor, data=_status_data(input)
        )

    return WorkflowStatusPayload.of(await run_mutation(info, work))


async def workflow_status_update(
    info: strawberry.Info, input: WorkflowStatusUpdateInput
) -> WorkflowStatusPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        status_id = decode_typed_id(input.status_id, "WorkflowStatus", "statusId")
        return await sla_settings.update_status(
            session=session, actor=actor, status_id=status_id, data=_status_data(input)
        )

    return WorkflowStatusPayload.of(await run_mutation(info, work))


async def priority_create(info: strawberry.Info, input: PriorityCreateInput) -> PriorityPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await sla_settings.create_priority(
            session=session, actor=actor, data=_priority_data(input)
        )

    return PriorityPayload.of(await run_mutation(info, work))


async def priority_update(info: strawberry.Info, input: PriorityUpdateInput) -> PriorityPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        priority_id = decode_typed_id(input.priority_id, "Priority", "priorityId")
        return await sla_settings.update_priority(
            session=session, actor=actor, priority_id=priority_id, data=_priority_data(input)
        )

    return PriorityPayload.of(await run_mutation(info, work))


async def case_set_workflow_status(
    info: strawberry.Info, input: CaseSetWorkflowStatusInput
) -> CasePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await sla.set_workflow_status(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=decode_typed_id(input.case_id, "Case", "caseId"),
            status_id=decode_typed_id(input.status_id, "WorkflowStatus", "statusId"),
        )

    return CasePayload.of(await run_mutation(info, work))


async def case_set_priority(info: strawberry.Info, input: CaseSetPriorityInput) -> CasePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await sla.set_priority(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=decode_typed_id(input.case_id, "Case", "caseId"),
            priority_id=decode_typed_id(input.priority_id, "Priority", "priorityId"),
        )

    return CasePayload.of(await run_mutation(info, work))

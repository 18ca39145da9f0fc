"""Workflow statuses, priorities and the SLA clock as the schema shows them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import strawberry

from permissions import sla
from resolvers.queries.sla import list_priorities, list_statuses
from schema.node import encode_global_id
from server.errors import forbidden


@strawberry.enum(
    description="Where an SLA target stands. A case's state is its worst target's, in this "
    "order (see each value)."
)
class SlaState(enum.Enum):
    BREACHED = strawberry.enum_value(
        sla.SlaState.BREACHED.value,
        description="The due time has come (`due <= now`), or a breach was recorded; it stays "
        "after the target is met late.",
    )
    PAUSED = strawberry.enum_value(
        sla.SlaState.PAUSED.value,
        description="The case is in a status that pauses the SLA: its due time moves on with "
        "the clock and is never reached while paused.",
    )
    AT_RISK = strawberry.enum_value(
        sla.SlaState.AT_RISK.value,
        description="The priority's `atRiskPercent` of the target's time has passed.",
    )
    ON_TRACK = strawberry.enum_value(
        sla.SlaState.ON_TRACK.value, description="Running, with time to spare."
    )
    MET = strawberry.enum_value(sla.SlaState.MET.value, description="Finished in time.")

    def stored(self) -> sla.SlaState:
        return sla.SlaState(self.value)


@strawberry.type(
    description="A status the insurer's staff move cases through (besides the lifecycle "
    "`Case.status`), configured by company admins."
)
class WorkflowStatus:
    row: strawberry.Private[Any]
    id: strawberry.ID = strawberry.field(
        description="Opaque id; give it as `statusId` to `caseSetWorkflowStatus`."
    )
    name: str = strawberry.field(description="The internal name, unique in the portal.")
    color: str = strawberry.field(description="Colour as #RRGGBB.")
    position: int = strawberry.field(description="Order in lists, smallest first.")
    visible_to_customer: bool = strawberry.field(
        description="Whether customers see this status, as its `customerLabel`."
    )
    customer_label: str | None = strawberry.field(
        description="What customers see while a case is in this status (several statuses may "
        "share one label); required when `visibleToCustomer`."
    )
    pauses_sla: bool = strawberry.field(
        description="Whether the SLA clock stops while a case is in this status (waiting for "
        "the customer or a third party)."
    )
    is_default: bool = strawberry.field(description="New cases start in this status.")
    active: bool = strawberry.field(description="Inactive statuses cannot be given to cases.")

    @classmethod
    def from_row(cls, row: Any) -> WorkflowStatus:
        return cls(
            row=row,
            id=encode_global_id("WorkflowStatus", row.id),
            name=row.name,
            color=row.color,
            position=row.position,
            visible_to_customer=row.visible_to_customer,
            customer_label=row.customer_label,
            pauses_sla=row.pauses_sla,
            is_default=row.is_default,
            active=row.active,
        )


@strawberry.type(description="A case priority with its SLA targets, configured by admins.")
class Priority:
    row: strawberry.Private[Any]
    id: strawberry.ID = strawberry.field(
        description="Opaque id; give it as `priorityId` to `caseSetPriority`."
    )
    name: str = strawberry.field(description="Name, unique in the portal.")
    position: int = strawberry.field(description="Order in lists, smallest first.")
    first_response_minutes: int | None = strawberry.field(
        description="Target from the case's creation to the first message to the customer, "
        "in minutes of unpaused time; null: no such target."
    )
    resolution_minutes: int | None = strawberry.field(
        description="Target from the case's creation to closing it, in minutes of unpaused "
        "time; null: no such target."
    )
    at_risk_percent: int = strawberry.field(
        description="A running target is AT_RISK once this share of its time has passed."
    )
    is_default: bool = strawberry.field(description="New cases get this priority.")
    active: bool = strawberry.field(description="Inactive priorities cannot be given to cases.")

    @classmethod
    def from_row(cls, row: Any) -> Priority:
        return cls(
            row=row,
            id=encode_global_id("Priority", row.id),
            name=row.name,
            position=row.position,
            first_response_minutes=row.first_response_minutes,
            resolution_minutes=row.resolution_minutes,
            at_risk_percent=row.at_risk_percent,
            is_default=row.is_default,
            active=row.active,
        )


@strawberry.type(description="One SLA target of a case: first response or resolution.")
class SlaTarget:
    state: SlaState = strawberry.field(description="Where this target stands.")
    minutes: int = strawberry.field(description="The target's length, from the priority.")
    due_at: dt.datetime = strawberry.field(
        description="created + target + paused time; while paused it moves on with the clock. "
        "For a finished target, when it was due at the time it finished."
    )
    met_at: dt.datetime | None = strawberry.field(
        description="When it finished (first message to the customer, or closing); null while "
        "running."
    )
    breached_at: dt.datetime | None = strawberry.field(
        description="When it was breached (its due time); null unless BREACHED."
    )

    @classmethod
    def of(cls, view: sla.TargetView | None) -> SlaTarget | None:
        if view is None:
            return None
        return cls(
            state=SlaState(view.state.value),
            minutes=view.minutes,
            due_at=view.due_at,
            met_at=view.met_at,
            breached_at=view.breached_at,
        )


@strawberry.type(
    description="A case's SLA clock under its priority: the case's state (its worst target) "
    "and each target. Computed at the time of the request."
)
class CaseSla:
    state: SlaState = strawberry.field(description="The worst of the targets' states.")
    paused: bool = strawberry.field(description="The clock is stopped now (a pausing status).")
    paused_seconds: int = strawberry.field(
        description="Time the clock has been stopped in all, the running pause included."
    )
    first_response: SlaTarget | None = strawberry.field(
        description="Until the first message to the customer; null without that target."
    )
    resolution: SlaTarget | None = strawberry.field(
        description="Until the case is closed; null without that target."
    )

    @classmethod
    def of(cls, view: sla.SlaView | None) -> CaseSla | None:
        if view is None:
            return None
        return cls(
            state=SlaState(view.state.value),
            paused=view.paused,
            paused_seconds=view.paused_seconds,
            first_response=SlaTarget.of(view.first_response),
            resolution=SlaTarget.of(view.resolution),
        )


# --- Case fields (schema/types/case.py delegates to these) ------------------------------


async def case_workflow_status(info: strawberry.Info, row: Any) -> WorkflowStatus | None:
    if row.workflow_status_id is None:
        return None
    found = await info.context.loaders.workflow_status_by_id.load(row.workflow_status_id)
    return WorkflowStatus.from_row(found) if found is not None else None


async def case_customer_status_label(info: strawberry.Info, row: Any) -> str | None:
    if row.workflow_status_id is None:
        return None
    found = await info.context.loaders.workflow_status_by_id.load(row.workflow_status_id)
    return sla.customer_label(found)


async def case_priority(info: strawberry.Info, row: Any) -> Priority | None:
    if row.priority_id is None:
        return None
    found = await info.context.loaders.priority_by_id.load(row.priority_id)
    return Priority.from_row(found) if found is not None else None


async def case_sla(info: strawberry.Info, row: Any) -> CaseSla | None:
    if row.priority_id is None:
        return None
    priority = await info.context.loaders.priority_by_id.load(row.priority_id)
    return CaseSla.of(sla.evaluate(row, priority, dt.datetime.now(dt.UTC)))


# --- Query fields ---------------------------------------------------------------------


def _reader(info: strawberry.Info) -> Any:
    principal = info.context.require_principal()
    if not sla.can_read_configuration(principal):
        raise forbidden("Customers do not read the portal's statuses and priorities.")
    return principal


async def workflow_statuses(
    info: strawberry.Info,
    include_inactive: Annotated[
        bool, strawberry.argument(description="Also the inactive ones.")
    ] = False,
) -> list[WorkflowStatus]:
    principal = _reader(info)
    rows = await list_statuses(info.context.engine, principal.insurer_id, include_inactive)
    return [WorkflowStatus.from_row(row) for row in rows]


async def priorities(
    info: strawberry.Info,
    include_inactive: Annotated[
        bool, strawberry.argument(description="Also the inactive ones.")
    ] = False,
) -> list[Priority]:
    principal = _reader(info)
    rows = await list_priorities(info.context.engine, principal.insurer_id, include_inactive)
    return [Priority.from_row(row) for row in rows]

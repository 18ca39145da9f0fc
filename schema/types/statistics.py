"""The case statistics report through GraphQL: the same rows as
`GET /reports/case-statistics.csv`, a page at a time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry

from resolvers.queries.case_statistics import StatisticsFilter, count_rows, statistics_page
from schema.connections import Connection, make_connection
from schema.enums import CaseStatus, DamageType


@strawberry.type(
    description="One case in the case statistics report (the CSV's row; the external case "
    "handler columns are the case's current ones)."
)
class CaseStatisticsRow:
    number: str = strawberry.field(description="The portal's case number.")
    claim_number: str | None = strawberry.field(description="The insurer's claim number.")
    status: CaseStatus = strawberry.field(description="Status now.")
    damage_type: DamageType = strawberry.field(description="What caused the damage.")
    created_at: dt.datetime = strawberry.field(description="When the case was created.")
    closed_at: dt.datetime | None = strawberry.field(description="When it was last closed.")
    case_handler_email: str | None = strawberry.field(description="The case handler's email.")
    inspector_office: str | None = strawberry.field(
        description="The office holding the main inspection."
    )
    inspector: str | None = strawberry.field(
        description="Name of the person responsible for the main inspection."
    )
    project_manager_office: str | None = strawberry.field(
        description="The office holding the project management task."
    )
    project_manager: str | None = strawberry.field(
        description="Name of the person responsible for project management."
    )
    task_count: int = strawberry.field(description="Tasks on the case.")
    approved_budget_total: Decimal = strawberry.field(description="Sum of approved budgets.")
    submitted_budget_total: Decimal = strawberry.field(
        description="Sum of budgets submitted and awaiting a decision."
    )
    case_budget: Decimal | None = strawberry.field(description="The case budget.")
    external_case_handler_office: str | None = strawberry.field(
        description="The office holding the external case handler role."
    )
    external_case_handler_email: str | None = strawberry.field(
        description="The external case handler's email."
    )
    customer_access_count: int = strawberry.field(
        description="Customers with live access to the case's customer page."
    )

    @classmethod
    def from_row(cls, row: Any) -> CaseStatisticsRow:
        fields = cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
        return cls(**{f.python_name: getattr(row, f.python_name) for f in fields})


@strawberry.input(description="Which cases the statistics report covers; all given apply.")
class CaseStatisticsFilterInput:
    created_after: dt.datetime | None = strawberry.field(
        default=None, description="Created at or after this time."
    )
    created_before: dt.datetime | None = strawberry.field(
        default=None, description="Created before this time."
    )
    status: list[CaseStatus] | None = strawberry.field(default=None, description="Any of these.")

    def to_filter(self) -> StatisticsFilter:
        return StatisticsFilter(
            created_after=self.created_after,
            created_before=self.created_before,
            statuses=tuple(self.status or ()),
        )


async def case_statistics(
    info: strawberry.Info,
    filter: CaseStatisticsFilterInput | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Connection[CaseStatisticsRow]:
    principal = info.context.require_principal()
    engine = info.context.engine
    report_filter = (filter or CaseStatisticsFilterInput()).to_filter()
    page = await statistics_page(
        engine=engine, principal=principal, report_filter=report_filter, first=first, after=after
    )

    async def count() -> int:
        return await count_rows(engine=engine, principal=principal, report_filter=report_filter)

    return make_connection(
        [(cursor, CaseStatisticsRow.from_row(row)) for cursor, row in page.rows],
        has_next=page.has_next,
        has_previous=page.has_previous,
        count=count,
    )

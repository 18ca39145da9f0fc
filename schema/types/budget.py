"""Budgets: a partner's price for a task, and the totals of a case."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import strawberry

from schema.node import Node, encode_global_id
from schema.types.loading import load_one
from schema.types.people import Office, User
from schema.types.work import Document, Task

BUDGET_READERS = (
    "Staff and insurer API keys with budgets:read see every budget of the portal, the "
    "case's external case handler every budget of the case, a partner user the budgets of "
    "tasks their office holds; customers none."
)


@strawberry.enum(description="Where a budget is in its approval.")
class BudgetStatus(enum.Enum):
    SUBMITTED = strawberry.enum_value("submitted", description="Waiting for a decision.")
    APPROVED = strawberry.enum_value("approved", description="Approved within a limit.")
    REJECTED = strawberry.enum_value(
        "rejected",
        description="Rejected with a note, or superseded by a newer budget for the task "
        '(note "Superseded by a newer budget.").',
    )


@strawberry.type(
    description="A partner's budget for one task, with its budget file. Approved or "
    "rejected by staff or by the case's external case handler with `approve_budgets`, "
    "approval only up to the approver's limit. " + BUDGET_READERS
)
class Budget(Node):
    row: strawberry.Private[Any]
    amount: Decimal = strawberry.field(description="The price in NOK, two decimals.")
    status: BudgetStatus = strawberry.field(description="Submitted, approved or rejected.")
    description: str | None = strawberry.field(description="What the budget covers.")
    decided_at: dt.datetime | None = strawberry.field(
        description="When it was approved or rejected; null while submitted."
    )
    note: str | None = strawberry.field(
        description="The approver's note on the decision (a rejection always has one)."
    )
    created_at: dt.datetime = strawberry.field(description="When it was submitted.")

    @classmethod
    def from_row(cls, row: Any) -> Budget:
        return cls(
            row=row,
            id=encode_global_id("Budget", row.id),
            amount=row.amount,
            status=BudgetStatus(row.status),
            description=row.description,
            decided_at=row.decided_at,
            note=row.decision_note,
            created_at=row.created_at,
        )

    @strawberry.field(description="The task it prices.")
    async def task(self, info: strawberry.Info) -> Task | None:
        return await load_one(info, "task_by_id", self.row.task_id, Task)

    @strawberry.field(description="The office that held the task when it was submitted.")
    async def office(self, info: strawberry.Info) -> Office | None:
        return await load_one(info, "office_by_id", self.row.office_id, Office)

    @strawberry.field(description="The budget file: a document of the case.")
    async def document(self, info: strawberry.Info) -> Document | None:
        return await load_one(info, "document_by_id", self.row.document_id, Document)

    @strawberry.field(
        description="Who submitted it: a user of the office, staff, or the external case "
        "handler; null when you do not see that user (another partner company's)."
    )
    async def submitted_by(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.submitted_by_user_id, User)

    @strawberry.field(
        description="Who approved or rejected it (for a superseded budget: who submitted "
        "the newer one); null while submitted or when you do not see that user."
    )
    async def decided_by(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.decided_by_user_id, User)


@strawberry.type(description="A case's budget figures in NOK, over all its tasks.")
class BudgetSummary:
    submitted: Decimal = strawberry.field(description="Sum of budgets waiting for a decision.")
    approved: Decimal = strawberry.field(description="Sum of approved budgets.")
    total: Decimal = strawberry.field(description="Submitted plus approved (rejected excluded).")

    @classmethod
    def of(cls, rows: list[Any]) -> BudgetSummary:
        def total(status: str) -> Decimal:
            return sum((row.amount for row in rows if row.status == status), Decimal("0.00"))

        submitted, approved = total("submitted"), total("approved")
        return cls(submitted=submitted, approved=approved, total=submitted + approved)


async def budgets_of(info: strawberry.Info, loader: str, key: int) -> list[Budget]:
    rows = await getattr(info.context.loaders, loader).load(key)
    return [Budget.from_row(row) for row in rows]

"""Budget mutations: a partner submits a task's budget, the insurer's side decides it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from resolvers.services import budgets
from schema.mutations.runner import Outcome, UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.budget import Budget
from schema.types.loading import load_one
from schema.types.work import Task


@strawberry.input(description="A budget for one task, with its budget file.")
class BudgetSubmitInput:
    task_id: strawberry.ID = strawberry.field(description="The task the budget prices.")
    amount: Decimal = strawberry.field(
        description="The price in NOK: more than 0, at most 100 000 000.00, two decimals."
    )
    description: str | None = strawberry.field(
        default=None, description="What the budget covers (up to 2000 characters)."
    )
    document_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The budget file (required; nullable only so that a missing file is a "
        "BAD_USER_INPUT naming the field): a document of the task's case, general or "
        "uploaded for this task, e.g. with `documentUpload` (type OTHER, the task's id).",
    )


@strawberry.input(description="A decision on a submitted budget.")
class BudgetDecisionInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget.")
    note: str | None = strawberry.field(
        default=None,
        description="A note to the submitter (up to 2000 characters); required to reject.",
    )


@strawberry.type(description="Result of a budget mutation.")
class BudgetPayload:
    budget_id: strawberry.Private[int | None]
    task_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(
        description="Why nothing was changed; empty on success."
    )

    @strawberry.field(description="The budget after the change; null if it failed.")
    async def budget(self, info: strawberry.Info) -> Budget | None:
        return await load_one(info, "budget_by_id", self.budget_id, Budget)

    @strawberry.field(
        description="The budget's task after the change (its `budgetEstimate` is the sum of "
        "its approved budgets)."
    )
    async def task(self, info: strawberry.Info) -> Task | None:
        return await load_one(info, "task_by_id", self.task_id, Task)

    @classmethod
    def of(cls, outcome: Outcome[Any]) -> BudgetPayload:
        value = outcome.value
        return cls(
            budget_id=value.id if value else None,
            task_id=value.task_id if value else None,
            errors=outcome.errors,
        )


async def budget_submit(info: strawberry.Info, input: BudgetSubmitInput) -> BudgetPayload:
    document_id = input.document_id

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await budgets.submit_budget(
            session=session,
            outbox=outbox,
            actor=actor,
            task_id=decode_typed_id(input.task_id, "Task", "taskId"),
            amount=input.amount,
            description=input.description,
            document_id=(
                decode_typed_id(document_id, "Document", "documentId") if document_id else None
            ),
        )

    return BudgetPayload.of(await run_mutation(info, work))


def _decision(decide: Any):  # type: ignore[no-untyped-def]
    async def mutate(info: strawberry.Info, input: BudgetDecisionInput) -> BudgetPayload:
        async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
            return await decide(
                session=session,
                outbox=outbox,
                actor=actor,
                budget_id=decode_typed_id(input.budget_id, "Budget", "budgetId"),
                note=input.note,
            )

        return BudgetPayload.of(await run_mutation(info, work))

    return mutate


budget_approve = _decision(budgets.approve_budget)
budget_reject = _decision(budgets.reject_budget)

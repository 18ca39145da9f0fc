"""Budgets: a partner's price for one task, with its budget file, decided by the insurer's
side (staff, or the case's external case handler with approve_budgets) up to a limit.

Decisions, documented here and in the schema:
- A task has at most one budget waiting for a decision: a new submission supersedes the
  task's older SUBMITTED budgets (they become REJECTED with the note "Superseded by a newer
  budget."; the BUDGET_SUBMITTED entry lists them). Approved budgets stand: a later budget
  for the same task is additional work, and the task's `budget_estimate` becomes the sum of
  its approved budgets on every approval.
- The budget file is required: a document of the task's case, either general or uploaded
  for this task (e.g. `documentUpload` with type OTHER and the task id first). A budget
  without its file cannot be checked, so null is not accepted.
- People decide, not API keys: the approval limit belongs to a person, and so does the
  record of who submitted or approved.
- The approver's limit: their own `budget_approval_limit` when set; else none for company
  admins (staff with authority level 6); else the portal's default
  (`companies.default_budget_approval_limit`); else none for other staff, while an
  external case handler without any limit may not approve.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules, scopes
from permissions.principal import Principal, Role
from permissions.rights import Right
from resolvers.services import feed, notification_texts, notifications
from resolvers.services.common import ensure_not_closed, money, require, task_for_update, text
from resolvers.services.outbox import Outbox
from server.db.enums import BudgetStatus, FeedEventType
from server.db.models import (
    Budget,
    Case,
    Company,
    Document,
    ExternalCaseHandlerRole,
    Task,
    User,
)
from server.errors import AppError, ErrorCode, bad_input, forbidden, not_found

CURRENCY = "NOK"
MAX_BUDGET = Decimal("100000000.00")  # a hundred million: anything above is a typing error
ADMIN_LEVEL = 6
SUPERSEDED = "Superseded by a newer budget."
SUBMIT = (
    "Only a user of the office holding the task, staff, or the case's external case handler "
    "with the right 'budget_for_other_partners' may submit its budget."
)
LACKS_FOR_OTHERS = "The external case handler role lacks the right 'budget_for_other_partners'."
DECIDE = "Only staff or the case's external case handler may decide budgets."
LACKS_APPROVE = "The external case handler role lacks the right 'approve_budgets'."
PEOPLE_ONLY = "Budgets are submitted and decided by people; API keys only read them."


def format_money(amount: Decimal) -> str:
    """10000 → '10 000.00 NOK' (Norwegian grouping, two decimals)."""
    return f"{amount:,.2f}".replace(",", " ") + f" {CURRENCY}"


# -- submitting --------------------------------------------------------------------------


async def submit_budget(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    task_id: int,
    amount: Decimal,
    description: str | None,
    document_id: int | None,
) -> Budget:
    require(actor.user_id is not None, PEOPLE_ONLY)
    task, case = await task_for_update(session, actor, task_id)
    if not rules.can_submit_task_budget(actor, case, task):
        if rules.is_external_case_handler(actor, case):
            raise forbidden(LACKS_FOR_OTHERS)
        raise forbidden(SUBMIT)
    ensure_not_closed(case)
    if task.office_id is None:
        raise AppError(
            ErrorCode.CONFLICT, "Assign the task to an office before its budget.", field="taskId"
        )
    _check_amount(amount)
    document = await _budget_file(session, actor, task, document_id)
    superseded = await _supersede(session, actor, task.id)
    budget = Budget(
        insurer_id=case.insurer_id,
        case_id=case.id,
        task_id=task.id,
        office_id=task.office_id,
        amount=amount,
        description=text(description, "description", max_length=2000, required=False),
        document_id=document.id,
        status=BudgetStatus.SUBMITTED,
        submitted_by_user_id=actor.user_id,
    )
    session.add(budget)
    await session.flush()
    await _record(
        session,
        outbox,
        actor,
        case,
        FeedEventType.BUDGET_SUBMITTED,
        budget,
        task,
        documentId=document.id,
        supersededBudgetIds=superseded,
    )
    values = {"amount": format_money(amount), "task_title": task.title}
    for email in await _approver_emails(session, actor, case):
        await _email(session, case, email, "budget_submitted", values)
    return budget


def _check_amount(amount: Decimal) -> None:
    money(amount, "amount")  # finite, two decimals at most
    if amount <= 0 or amount > MAX_BUDGET:
        raise bad_input(
            f"'amount' must be more than 0 and at most {format_money(MAX_BUDGET)}.", "amount"
        )


async def _budget_file(
    session: AsyncSession, actor: Principal, task: Task, document_id: int | None
) -> Document:
    """The budget file: a document the actor sees, of the task's case, general or this
    task's."""
    if document_id is None:
        raise bad_input("Attach the budget file: 'documentId' is required.", "documentId")
    stmt = select(Document).where(Document.id == document_id, scopes.visible_documents(actor))
    document = (await session.execute(stmt)).scalar_one_or_none()
    if document is None:
        raise not_found("document")
    if document.case_id != task.case_id or document.task_id not in (None, task.id):
        raise bad_input(
            "The budget file must be a document of the task's case (general or this task's).",
            "documentId",
        )
    return document


async def _supersede(session: AsyncSession, actor: Principal, task_id: int) -> list[int]:
    """Older budgets of the task still waiting for a decision give way to the new one."""
    stmt = (
        select(Budget)
        .where(Budget.task_id == task_id, Budget.status == BudgetStatus.SUBMITTED)
        .order_by(Budget.id)
        .with_for_update()
    )
    older = list((await session.execute(stmt)).scalars())
    now = dt.datetime.now(dt.UTC)
    for budget in older:
        budget.status = BudgetStatus.REJECTED
        budget.decided_by_user_id = actor.user_id
        budget.decided_at = now
        budget.decision_note = SUPERSEDED
    return [budget.id for budget in older]


# -- deciding ----------------------------------------------------------------------------


async def approve_budget(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, budget_id: int, note: str | None
) -> Budget:
    budget, task, case = await _for_decision(session, actor, budget_id)
    if budget.submitted_by_user_id is not None and budget.submitted_by_user_id == actor.user_id:
        raise AppError(
            ErrorCode.FORBIDDEN,
            "A budget is approved by someone other than the person who submitted it.",
            field="budgetId",
        )
    limit = await approval_limit(session, actor)
    if limit is not None and budget.amount > limit:
        raise AppError(
            ErrorCode.FORBIDDEN,
            f"Approval limit {format_money(limit)} is below the budget "
            f"{format_money(budget.amount)}.",
            approvalLimit=str(limit),
            amount=str(budget.amount),
        )
    _decide(
        budget, actor, BudgetStatus.APPROVED, text(note, "note", max_length=2000, required=False)
    )
    await session.flush()
    approved = select(func.sum(Budget.amount)).where(
        Budget.task_id == task.id, Budget.status == BudgetStatus.APPROVED
    )
    task.budget_estimate = (await session.execute(approved)).scalar_one()
    await _record(
        session,
        outbox,
        actor,
        case,
        FeedEventType.BUDGET_APPROVED,
        budget,
        task,
        note=budget.decision_note,
    )
    await _notify_submitter(session, case, task, budget, "approved")
    return budget


async def reject_budget(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, budget_id: int, note: str | None
) -> Budget:
    """Reject with a reason the submitter reads (required)."""
    budget, task, case = await _for_decision(session, actor, budget_id)
    _decide(budget, actor, BudgetStatus.REJECTED, text(note, "note", max_length=2000))
    await _record(
        session,
        outbox,
        actor,
        case,
        FeedEventType.BUDGET_REJECTED,
        budget,
        task,
        note=budget.decision_note,
    )
    await _notify_submitter(session, case, task, budget, "rejected")
    return budget


async def _for_decision(
    session: AsyncSession, actor: Principal, budget_id: int
) -> tuple[Budget, Task, Case]:
    visible = select(Budget.task_id).where(Budget.id == budget_id, scopes.visible_budgets(actor))
    task_id = (await session.execute(visible)).scalar_one_or_none()
    if task_id is None:
        raise not_found("budget")
    # Task (and case) first, then the budget: the order budgetSubmit locks in, so a
    # decision and a new submission on one task queue instead of deadlocking.
    task, case = await task_for_update(session, actor, task_id)
    locked = select(Budget).where(Budget.id == budget_id).with_for_update()
    budget = (await session.execute(locked.execution_options(populate_existing=True))).scalar_one()
    if not rules.can_decide_budget(actor, case):
        if actor.user_id is None:
            raise forbidden(PEOPLE_ONLY)
        if rules.is_external_case_handler(actor, case):
            raise forbidden(LACKS_APPROVE)
        raise forbidden(DECIDE)
    ensure_not_closed(case)
    if budget.status is not BudgetStatus.SUBMITTED:
        raise AppError(
            ErrorCode.CONFLICT,
            f"The budget is already {budget.status.value}; only submitted budgets are decided.",
            field="budgetId",
        )
    return budget, task, case


def _decide(budget: Budget, actor: Principal, status: BudgetStatus, note: str | None) -> None:
    budget.status = status
    budget.decided_by_user_id = actor.user_id
    budget.decided_at = dt.datetime.now(dt.UTC)
    budget.decision_note = note


async def approval_limit(session: AsyncSession, actor: Principal) -> Decimal | None:
    """The most this person may approve; None when unlimited (see the module docstring)."""
    row = (
        await session.execute(
            select(User.budget_approval_limit, Company.default_budget_approval_limit)
            .join(Company, Company.id == User.insurer_id)
            .where(User.id == actor.user_id)
        )
    ).one()
    own, portal_default = row
    if own is not None:
        return own  # type: ignore[no-any-return]
    staff = actor.role is Role.STAFF
    if staff and actor.authority_level >= ADMIN_LEVEL:
        return None
    if portal_default is not None:
        return portal_default  # type: ignore[no-any-return]
    if staff:
        return None
    return Decimal("0.00")  # an external case handler with no limit anywhere approves nothing


# -- feed and notifications --------------------------------------------------------------


async def _record(
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case: Case,
    type: FeedEventType,
    budget: Budget,
    task: Task,
    **extra: Any,
) -> None:
    case.updated_at = func.now()
    payload = {
        "budgetId": budget.id,
        "taskId": task.id,
        "taskTitle": task.title,
        "officeId": budget.office_id,
        "amount": str(budget.amount),
        **extra,
    }
    await feed.record(session, outbox, actor=actor, case=case, type=type, payload=payload)


async def _approver_emails(session: AsyncSession, actor: Principal, case: Case) -> list[str]:
    """The case handler, and the external case handler when the role approves budgets;
    never the submitter."""
    ids = [case.case_handler_id]
    rights = await session.scalar(
        select(ExternalCaseHandlerRole.rights).where(
            ExternalCaseHandlerRole.insurer_id == case.insurer_id
        )
    )
    if case.external_case_handler_id is not None and Right.APPROVE_BUDGETS.value in (rights or ()):
        ids.append(case.external_case_handler_id)
    wanted = [i for i in ids if i is not None and i != actor.user_id]
    if not wanted:
        return []
    stmt = select(User.email).where(User.id.in_(wanted), User.active).order_by(User.id)
    return [email for email in (await session.execute(stmt)).scalars() if email]


async def _notify_submitter(
    session: AsyncSession, case: Case, task: Task, budget: Budget, outcome: str
) -> None:
    if (
        budget.submitted_by_user_id is None
        or budget.submitted_by_user_id == budget.decided_by_user_id
    ):
        return
    submitter = await session.get(User, budget.submitted_by_user_id)
    if submitter is None or not submitter.email:
        return
    note = f"\n\n{budget.decision_note}" if budget.decision_note else ""
    values = {"amount": format_money(budget.amount), "task_title": task.title, "note": note}
    await _email(session, case, submitter.email, f"budget_{outcome}", values)


async def _email(
    session: AsyncSession, case: Case, recipient: str, kind: str, values: dict[str, str]
) -> None:
    await notification_texts.send(
        session,
        kind=kind,
        channel=notifications.Channel.EMAIL,
        recipient=recipient,
        case=case,
        values=values,
    )

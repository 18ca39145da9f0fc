"""Helpers every write service uses: scoped loading for update, and input checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import scopes
from permissions.principal import Principal
from server.db.enums import CaseStatus
from server.db.models import Case, Document, Task
from server.errors import AppError, ErrorCode, bad_input, forbidden, not_found

Model = TypeVar("Model")


async def case_for_update(session: AsyncSession, principal: Principal, case_id: int) -> Case:
    """The case, locked for this transaction, if the principal can see it."""
    stmt = (
        select(Case)
        .where(Case.id == case_id, scopes.visible_cases(principal))
        .with_for_update(of=Case)
    )
    case = (await session.execute(stmt)).scalar_one_or_none()
    if case is None:
        raise not_found("case")
    return case


async def task_for_update(
    session: AsyncSession, principal: Principal, task_id: int
) -> tuple[Task, Case]:
    task = await session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise not_found("task")
    try:
        case = await case_for_update(session, principal, task.case_id)
    except AppError as exc:
        raise not_found("task") from exc
    return task, case


async def document_for_update(
    session: AsyncSession, principal: Principal, document_id: int
) -> tuple[Document, Case]:
    stmt = select(Document).where(Document.id == document_id, scopes.visible_documents(principal))
    document = (await session.execute(stmt)).scalar_one_or_none()
    if document is None:
        raise not_found("document")
    try:
        case = await case_for_update(session, principal, document.case_id)
    except AppError as exc:
        raise not_found("document") from exc
    return document, case


async def portal_row(
    session: AsyncSession, model: type[Model], row_id: int, insurer_id: int, what: str
) -> Model:
    """A referenced row (user, office, contact) that must belong to the same portal."""
    row: Any = await session.get(model, row_id)
    if row is None or row.insurer_id != insurer_id:
        raise not_found(what)
    return row  # type: ignore[no-any-return]


def ensure_not_closed(case: Case) -> None:
    if case.status is CaseStatus.CLOSED:
        raise AppError(ErrorCode.CONFLICT, "The case is closed; reopen it first.", field="caseId")


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise forbidden(message)


def text(value: str | None, field: str, *, max_length: int, required: bool = True) -> str | None:
    """Trimmed text; empty is BAD_USER_INPUT when required, None when optional."""
    if value is None:
        if required:
            raise bad_input(f"'{field}' is required.", field)
        return None
    value = value.strip()
    if not value:
        if required:
            raise bad_input(f"'{field}' must not be empty.", field)
        return None
    if len(value) > max_length:
        raise bad_input(f"'{field}' is longer than {max_length} characters.", field)
    return storable(value, field)


def unstorable(value: str) -> str | None:
    """What in `value` PostgreSQL text (and JSON) cannot hold, or None if nothing: NUL, or a
    lone surrogate (JSON input may escape one, e.g. "\\ud800"; it has no UTF-8 form)."""
    if "\x00" in value:
        return "NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "unpaired surrogate characters"
    return None


def storable(value: str, field: str) -> str:
    """`value` unchanged, or BAD_USER_INPUT naming `field` if the database cannot hold it."""
    problem = unstorable(value)
    if problem is not None:
        raise bad_input(f"'{field}' must not contain {problem}.", field)
    return value


def camel_case(name: str) -> str:
    """A Python name as the schema spells it: `show_budget` → `showBudget`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


MAX_MONEY = Decimal("999999999999.99")  # Numeric(14, 2)


def money(value: Decimal | None, field: str) -> Decimal | None:
    """An amount in the currency's unit: not negative, at most 2 decimals, fits the column."""
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value > MAX_MONEY:
        raise bad_input(f"'{field}' must be between 0 and {MAX_MONEY}.", field)
    if value != value.quantize(Decimal("0.01")):
        raise bad_input(f"'{field}' has more than 2 decimals.", field)
    return value

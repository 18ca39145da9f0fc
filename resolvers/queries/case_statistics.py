"""The case statistics report: one row per case with its people, tasks, budgets and
customer access, for the CSV download (server/reports.py) and `Query.caseStatistics`.

One SQL statement computes every row, so that the CSV can stream from a server-side
cursor in batches (memory stays flat for 100,000 cases) and a GraphQL page is one
statement too. The external case handler columns are the case's current ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, cast, func, select, true
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from permissions import scopes
from permissions.principal import Principal, Scope
from resolvers.pagination import PageArgs, decode_id_cursor, encode_cursor
from server.db.enums import BudgetStatus, CaseStatus, TaskKind
from server.db.models import Budget, Case, CustomerAccessGrant, Money, Office, Task, User
from server.errors import forbidden

# Rows fetched from the server-side cursor at a time (and CSV lines per chunk sent).
BATCH = 1000

# (CSV header, row attribute), in column order; the GraphQL row has the same fields.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_number", "number"),
    ("claim_number", "claim_number"),
    ("status", "status"),
    ("damage_type", "damage_type"),
    ("created_at", "created_at"),
    ("closed_at", "closed_at"),
    ("case_handler_email", "case_handler_email"),
    ("inspector_office", "inspector_office"),
    ("inspector", "inspector"),
    ("project_manager_office", "project_manager_office"),
    ("project_manager", "project_manager"),
    ("task_count", "task_count"),
    ("approved_budget_total", "approved_budget_total"),
    ("submitted_budget_total", "submitted_budget_total"),
    ("case_budget", "case_budget"),
    ("external_case_handler_office", "external_case_handler_office"),
    ("external_case_handler_email", "external_case_handler_email"),
    ("customer_access_count", "customer_access_count"),
)


@dataclass(frozen=True, slots=True)
class StatisticsFilter:
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    statuses: tuple[CaseStatus, ...] = ()


def require_report_access(principal: Principal) -> None:
    """The insurer's staff and its API keys with cases:read and budgets:read (the report
    carries budget figures); nobody else."""
    if not (principal.acts_as_insurer and principal.has_scope(Scope.CASES_READ)):
        raise forbidden("The case statistics report is for the insurer's staff.")
    if not principal.has_scope(Scope.BUDGETS_READ):
        raise forbidden("The case statistics report carries budgets: the key needs budgets:read.")


def _task_holder(kind: TaskKind) -> Any:
    """The case's first task of `kind` (by id): its office and responsible person."""
    return (
        select(Task.office_id, Task.responsible_id)
        .where(Task.case_id == Case.id, Task.kind == kind)
        .order_by(Task.id)
        .limit(1)
        .lateral(f"{kind.value}_task")
    )


def _budget_total(status: BudgetStatus) -> Any:
    # As money (two decimals) also when there is none: 0.00, not 0.
    total = func.sum(Budget.amount).filter(Budget.status == status)
    return cast(func.coalesce(total, 0), Money).label(status.value)


def statistics_select(
    principal: Principal, report_filter: StatisticsFilter, *, after_id: int | None = None
) -> Select[Any]:
    """Every report row the principal may read, by case id."""
    handler, ech = aliased(User), aliased(User)
    ech_office = aliased(Office)
    inspection, management = (
        _task_holder(TaskKind.MAIN_INSPECTION),
        _task_holder(TaskKind.PROJECT_MANAGEMENT),
    )
    inspection_office, inspector = aliased(Office), aliased(User)
    management_office, manager = aliased(Office), aliased(User)
    budgets = (
        select(_budget_total(BudgetStatus.APPROVED), _budget_total(BudgetStatus.SUBMITTED))
        .where(Budget.case_id == Case.id)
        .lateral("budget_totals")
    )
    task_count = select(func.count()).where(Task.case_id == Case.id).scalar_subquery()
    access_count = (
        select(func.count())
        .where(CustomerAccessGrant.case_id == Case.id, CustomerAccessGrant.revoked_at.is_(None))
        .scalar_subquery()
    )
    where = [scopes.visible_cases(principal)]
    if report_filter.created_after is not None:
        where.append(Case.created_at >= report_filter.created_after)
    if report_filter.created_before is not None:
        where.append(Case.created_at < report_filter.created_before)
    if report_filter.statuses:
        where.append(Case.status.in_(report_filter.statuses))
    if after_id is not None:
        where.append(Case.id > after_id)
    return (
        select(
            Case.id,
            Case.number,
            Case.claim_number,
            Case.status,
            Case.damage_type,
            Case.created_at,
            Case.closed_at,
            handler.email.label("case_handler_email"),
            inspection_office.name.label("inspector_office"),
            inspector.name.label("inspector"),
            management_office.name.label("project_manager_office"),
            manager.name.label("project_manager"),
            task_count.label("task_count"),
            budgets.c.approved.label("approved_budget_total"),
            budgets.c.submitted.label("submitted_budget_total"),
            Case.budget.label("case_budget"),
            ech_office.name.label("external_case_handler_office"),
            ech.email.label("external_case_handler_email"),
            access_count.label("customer_access_count"),
        )
        .select_from(Case)
        .outerjoin(handler, handler.id == Case.case_handler_id)
        .outerjoin(inspection, true())
        .outerjoin(inspection_office, inspection_office.id == inspection.c.office_id)
        .outerjoin(inspector, inspector.id == inspection.c.responsible_id)
        .outerjoin(management, true())
        .outerjoin(management_office, management_office.id == management.c.office_id)
        .outerjoin(manager, manager.id == management.c.responsible_id)
        .outerjoin(budgets, true())
        .outerjoin(ech_office, ech_office.id == Case.external_case_handler_office_id)
        .outerjoin(ech, ech.id == Case.external_case_handler_id)
        .where(and_(*where))
        .order_by(Case.id)
    )


@dataclass(slots=True)
class StatisticsPage:
    rows: list[tuple[str, Any]]  # (cursor, row)
    has_next: bool
    has_previous: bool


async def statistics_page(
    *,
    engine: AsyncEngine,
    principal: Principal,
    report_filter: StatisticsFilter,
    first: int | None,
    after: str | None,
) -> StatisticsPage:
    """A page of report rows in case id order (the CSV's order)."""
    require_report_access(principal)
    args = PageArgs.parse(first, None, None, None)
    after_id = decode_id_cursor(after, "after") if after else None
    stmt = statistics_select(principal, report_filter, after_id=after_id).limit(args.limit + 1)
    async with engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())
    return StatisticsPage(
        [(encode_cursor(str(row.id)), row) for row in rows[: args.limit]],
        has_next=len(rows) > args.limit,
        has_previous=after is not None,
    )


async def count_rows(
    *, engine: AsyncEngine, principal: Principal, report_filter: StatisticsFilter
) -> int:
    inner = statistics_select(principal, report_filter).subquery()
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(inner))).scalar_one())


def _text(value: Any) -> str:
    """One CSV cell: instants as the API's DateTime, money with two decimals."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat("T", "microseconds") + "Z"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, enum.Enum):  # as the GraphQL enum: OPEN, WATER
        return str(value.value).upper()
    return str(value)


def csv_cells(row: Any) -> list[str]:
    return [_safe(_text(getattr(row, attribute))) for _, attribute in COLUMNS]


def _safe(cell: str) -> str:
    """Text a spreadsheet would run as a formula (`=HYPERLINK(…)` typed into a claim
    number) is quoted; numbers, negative ones included, stay numbers."""
    if cell[:1] not in ("=", "+", "-", "@", "\t", "\r"):
        return cell
    try:
        Decimal(cell)
    except ArithmeticError:
        return "'" + cell
    return cell


def _lines(rows: Sequence[Any], header: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow([name for name, _ in COLUMNS])
    writer.writerows(csv_cells(row) for row in rows)
    return out.getvalue()


async def stream_csv(
    *, engine: AsyncEngine, principal: Principal, report_filter: StatisticsFilter
) -> AsyncIterator[bytes]:
    """The report as CSV chunks: the header, then BATCH rows at a time from a
    server-side cursor, so no more than one batch is ever in memory."""
    require_report_access(principal)
    yield _lines([], header=True).encode()
    stmt = statistics_select(principal, report_filter).execution_options(yield_per=BATCH)
    async with engine.connect() as conn:
        result = await conn.stream(stmt)
        async for batch in result.partitions(BATCH):
            yield _lines(batch).encode()

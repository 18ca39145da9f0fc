"""The customer grants report (`GET /reports/customer-grants.csv`): one row per customer
and grant with login statistics, in one SQL statement, streamed.

Rows: for every customer of the portal, one row per customer grant covering it (kind
`customer`) and one per case grant of a contact on one of its cases (kind `case`, with
the case number); a customer without any grant gets one row with the grant columns
empty (not yet invited). Case grants opened through a customer grant are counted under
that customer grant, not listed themselves.

Login statistics come from `customer_logins`: last login, logins this month, logins
last month and in total. Months are calendar months in UTC ("this month" starts at
00:00 UTC on the 1st).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions.principal import Principal, Role
from resolvers.queries.case_statistics import _safe, _text
from server.db.casework import Customer, CustomerGrant, CustomerGrantCustomer, CustomerLogin
from server.db.models import Case, CaseContact, CustomerAccessGrant
from server.errors import forbidden

BATCH = 500
COLUMNS = (
    ("customer_number", "customer_number"),
    ("customer_name", "customer_name"),
    ("grant_holder", "holder"),
    ("grant_kind", "kind"),
    ("case_number", "case_number"),
    ("granted_at", "granted_at"),
    ("revoked_at", "revoked_at"),
    ("last_login", "last_login"),
    ("logins_this_month", "this_month"),
    ("logins_last_month", "last_month"),
    ("total_logins", "total"),
)


def require_report_access(principal: Principal) -> None:
    """Names, contacts and sign-in habits of the portal's customers: staff only."""
    if principal.role is not Role.STAFF:
        raise forbidden("The customer grants report is for the insurer's staff.")


def month_starts(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(start of this month, start of last month), in UTC."""
    now = now.astimezone(dt.UTC)
    this = dt.datetime(now.year, now.month, 1, tzinfo=dt.UTC)
    last = (
        dt.datetime(now.year - 1, 12, 1, tzinfo=dt.UTC)
        if now.month == 1
        else this.replace(month=now.month - 1)
    )
    return this, last


def report_select(insurer_id: int, now: dt.datetime) -> Any:
    this, last = month_starts(now)
    logins = (
        select(
            CustomerLogin.case_grant_id,
            CustomerLogin.customer_grant_id,
            func.max(CustomerLogin.at).label("last_login"),
            func.count().filter(CustomerLogin.at >= this).label("this_month"),
            func.count()
            .filter(CustomerLogin.at >= last, CustomerLogin.at < this)
            .label("last_month"),
            func.count().label("total"),
        )
        .where(CustomerLogin.insurer_id == insurer_id, CustomerLogin.at <= now)
        .group_by(CustomerLogin.case_grant_id, CustomerLogin.customer_grant_id)
        .subquery("logins")
    )
    by_customer_grant = (
        select(
            CustomerGrantCustomer.customer_id.label("customer_id"),
            literal("customer").label("kind"),
            CustomerGrant.id.label("grant_id"),
            CustomerGrant.name.label("holder"),
            null().label("case_number"),
            CustomerGrant.created_at.label("granted_at"),
            CustomerGrant.revoked_at.label("revoked_at"),
            logins.c.last_login,
            logins.c.this_month,
            logins.c.last_month,
            logins.c.total,
        )  # fmt: skip
        .join(CustomerGrant, CustomerGrant.id == CustomerGrantCustomer.grant_id)
        .outerjoin(logins, logins.c.customer_grant_id == CustomerGrant.id)
        .where(CustomerGrant.insurer_id == insurer_id)
    )
    by_case_grant = (
        select(
            Case.customer_id.label("customer_id"),
            literal("case").label("kind"),
            CustomerAccessGrant.id.label("grant_id"),
            CaseContact.name.label("holder"),
            Case.number.label("case_number"),
            CustomerAccessGrant.created_at.label("granted_at"),
            CustomerAccessGrant.revoked_at.label("revoked_at"),
            logins.c.last_login,
            logins.c.this_month,
            logins.c.last_month,
            logins.c.total,
        )  # fmt: skip
        .join(Case, Case.id == CustomerAccessGrant.case_id)
        .join(CaseContact, CaseContact.id == CustomerAccessGrant.contact_id)
        .outerjoin(logins, logins.c.case_grant_id == CustomerAccessGrant.id)
        .where(
            CustomerAccessGrant.insurer_id == insurer_id,
            Case.customer_id.is_not(None),
            CustomerAccessGrant.customer_grant_id.is_(None),
        )
    )
    grants = union_all(by_customer_grant, by_case_grant).subquery("grants")
    return (
        select(
            Customer.customer_number,
            Customer.name.label("customer_name"),
            grants.c.holder,
            grants.c.kind,
            grants.c.case_number,
            grants.c.granted_at,
            grants.c.revoked_at,
            grants.c.last_login,
            func.coalesce(grants.c.this_month, 0).label("this_month"),
            func.coalesce(grants.c.last_month, 0).label("last_month"),
            func.coalesce(grants.c.total, 0).label("total"),
        )
        .outerjoin(grants, grants.c.customer_id == Customer.id)
        .where(Customer.insurer_id == insurer_id)
        .order_by(
            Customer.customer_number.asc().nulls_last(),
            Customer.name,
            Customer.id,
            grants.c.kind.desc(),  # customer grants first
            grants.c.granted_at,
            grants.c.grant_id,
        )
    )


def _row_cells(row: Any) -> list[str]:
    cells = []
    for _, attribute in COLUMNS:
        value = getattr(row, attribute)
        if attribute in ("this_month", "last_month", "total") and row.kind is None:
            value = None  # no grant: no statistics, not zero logins
        cells.append(_safe(_text(value)))
    return cells


def render(rows: Sequence[Any], *, header: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow([name for name, _ in COLUMNS])
    writer.writerows(_row_cells(row) for row in rows)
    return out.getvalue()


async def stream_csv(
    *, engine: AsyncEngine, principal: Principal, now: dt.datetime | None = None
) -> AsyncIterator[bytes]:
    """The header, then BATCH rows at a time from a server-side cursor."""
    require_report_access(principal)
    yield render([], header=True).encode()
    stmt = report_select(principal.insurer_id, now or dt.datetime.now(dt.UTC))
    async with engine.connect() as conn:
        result = await conn.stream(stmt.execution_options(yield_per=BATCH))
        async for batch in result.partitions(BATCH):
            yield render(batch).encode()

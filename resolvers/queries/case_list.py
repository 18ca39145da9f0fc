"""The case list: scoped, filtered, ordered and keyset-paginated in one SQL statement."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions import scopes
from permissions.principal import Principal
from resolvers.pagination import PageArgs, decode_cursor, encode_cursor
from server.db.enums import CaseStatus, DamageType
from server.db.models import Case
from server.errors import bad_input

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class CaseOrderField(enum.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class CaseFilter:
    statuses: tuple[CaseStatus, ...] = ()
    damage_types: tuple[DamageType, ...] = ()
    case_handler_id: int | None = None
    search: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    # True: the dashboard's "cases with customer uploads or messages" (not yet marked
    # read); False: the others.
    customer_activity: bool | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.statuses:
            found.append(Case.status.in_(self.statuses))
        if self.damage_types:
            found.append(Case.damage_type.in_(self.damage_types))
        if self.case_handler_id is not None:
            found.append(Case.case_handler_id == self.case_handler_id)
        if self.search:
            pattern = search_pattern(self.search)
            found.append(
                or_(
                    Case.number.ilike(pattern),
                    Case.claim_number.ilike(pattern),
                    Case.street.ilike(pattern),
                    Case.city.ilike(pattern),
                )
            )
        if self.created_after is not None:
            found.append(Case.created_at >= self.created_after)
        if self.created_before is not None:
            found.append(Case.created_at < self.created_before)
        if self.customer_activity is not None:
            found.append(Case.customer_activity_at.is_not(None) == self.customer_activity)
        return found


def search_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, with the wildcards in it escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


@dataclass(slots=True)
class CasePage:
    rows: list[tuple[str, Any]]  # (cursor, row)
    has_next: bool
    has_previous: bool
    count: Callable[[], Awaitable[int]] = field(repr=False)


def _sort_key(order: CaseOrderField) -> list[Any]:
    """The columns a case list sorts by, the id last to break ties. Case numbers sort as
    numbers within a prefix (2026-100000 after 2026-99999): by length, then text."""
    if order is CaseOrderField.NUMBER:
        return [func.length(Case.number), Case.number, Case.id]
    return [getattr(Case, order.value), Case.id]


def _cursor(order: CaseOrderField, row: Any) -> str:
    """'<field>|<value>|<id>'; timestamps as epoch microseconds, so SQL can build it too."""
    value = getattr(row, order.value)
    if isinstance(value, dt.datetime):
        value = (value - EPOCH) // dt.timedelta(microseconds=1)
    return encode_cursor(f"{order.value}|{value}|{row.id}")


def decode_case_cursor(cursor: str, order: CaseOrderField, name: str) -> list[Any]:
    """The sort key values a cursor stands for, in `_sort_key` order."""
    field_name, _, rest = decode_cursor(cursor, name).partition("|")
    value, _, row_id = rest.rpartition("|")
    valid_id = row_id.isascii() and row_id.isdigit() and len(row_id) <= 18
    if field_name != order.value or not valid_id or not value.isprintable():
        raise bad_input(f"'{name}' is not a cursor for this ordering.", name)
    if order is CaseOrderField.NUMBER:
        return [len(value), value, int(row_id)]
    try:
        micros = int(value)
        return [EPOCH + dt.timedelta(microseconds=micros), int(row_id)]
    except (ValueError, OverflowError) as exc:
        raise bad_input(f"'{name}' is not a cursor for this ordering.", name) from exc


async def list_cases(
    *,
    engine: AsyncEngine,
    principal: Principal,
    case_filter: CaseFilter,
    order: CaseOrderField,
    descending: bool,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> CasePage:
    args = PageArgs.parse(first, None, last, None)  # validates the page size
    from_end = args.from_end
    where = [scopes.visible_cases(principal), *case_filter.conditions()]
    key = tuple_(*_sort_key(order))
    # "after" moves along the order, "before" against it.
    if after:
        values = tuple_(*decode_case_cursor(after, order, "after"))
        where.append(key < values if descending else key > values)
    if before:
        values = tuple_(*decode_case_cursor(before, order, "before"))
        where.append(key > values if descending else key < values)
    walk_descending = descending != from_end
    columns = _sort_key(order)
    ordering = [c.desc() if walk_descending else c.asc() for c in columns]
    stmt = select(*Case.__table__.c).where(and_(*where)).order_by(*ordering).limit(args.limit + 1)
    async with engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())
    more = len(rows) > args.limit
    rows = rows[: args.limit]
    if from_end:
        rows.reverse()
    cursor_rows = [(_cursor(order, row), row) for row in rows]

    async def count() -> int:
        count_where = [scopes.visible_cases(principal), *case_filter.conditions()]
        async with engine.connect() as conn:
            stmt = select(func.count()).select_from(Case).where(*count_where)
            return int((await conn.execute(stmt)).scalar_one())

    # A cursor given on one side proves there are cases on that side.
    return CasePage(
        cursor_rows,
        has_next=(more and not from_end) or bool(before),
        has_previous=(more and from_end) or bool(after),
        count=count,
    )

"""The case list: scoped, filtered, ordered and keyset-paginated in one SQL statement."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions import scopes
from permissions.principal import Principal
from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE, decode_cursor, encode_cursor
from server.db.enums import CaseStatus, DamageType
from server.db.models import Case
from server.errors import bad_input


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

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.statuses:
            found.append(Case.status.in_(self.statuses))
        if self.damage_types:
            found.append(Case.damage_type.in_(self.damage_types))
        if self.case_handler_id is not None:
            found.append(Case.case_handler_id == self.case_handler_id)
        if self.search:
            pattern = (
                "%"
                + self.search.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
                + "%"
            )
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
        return found


@dataclass(slots=True)
class CasePage:
    rows: list[tuple[str, Any]]  # (cursor, row)
    has_next: bool
    has_previous: bool
    count: Callable[[], Awaitable[int]] = field(repr=False)


def _cursor_value(order: CaseOrderField, row: Any) -> Any:
    value = getattr(row, order.value)
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _decode(cursor: str, order: CaseOrderField, name: str) -> tuple[Any, int]:
    try:
        field_name, value, row_id = orjson.loads(decode_cursor(cursor, name))
        if field_name != order.value or not isinstance(row_id, int):
            raise ValueError
        if order is not CaseOrderField.NUMBER:
            value = dt.datetime.fromisoformat(value)
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise bad_input(f"'{name}' is not a cursor for this ordering.", name) from exc
    return value, row_id


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
    if first is not None and last is not None:
        raise bad_input("Pass either 'first' or 'last', not both.", "first")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 1 <= value <= MAX_PAGE:
            raise bad_input(f"'{name}' must be between 1 and {MAX_PAGE}.", name)
    from_end = last is not None
    limit = last if from_end else (first or DEFAULT_PAGE)
    where = [scopes.visible_cases(principal), *case_filter.conditions()]
    column = getattr(Case, order.value)
    key = tuple_(column, Case.id)
    # "after" moves along the order, "before" against it.
    if after:
        value, row_id = _decode(after, order, "after")
        where.append(key < tuple_(value, row_id) if descending else key > tuple_(value, row_id))
    if before:
        value, row_id = _decode(before, order, "before")
        where.append(key > tuple_(value, row_id) if descending else key < tuple_(value, row_id))
    walk_descending = descending != from_end
    ordering = (column.desc(), Case.id.desc()) if walk_descending else (column.asc(), Case.id.asc())
    stmt = select(*Case.__table__.c).where(and_(*where)).order_by(*ordering).limit(limit + 1)
    async with engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if from_end:
        rows.reverse()
    cursor_rows = [
        (encode_cursor(orjson.dumps([order.value, _cursor_value(order, r), r.id]).decode()), r)
        for r in rows
    ]

    async def count() -> int:
        count_where = [scopes.visible_cases(principal), *case_filter.conditions()]
        async with engine.connect() as conn:
            stmt = select(func.count()).select_from(Case).where(*count_where)
            return int((await conn.execute(stmt)).scalar_one())

    return CasePage(
        cursor_rows,
        has_next=more and not from_end,
        has_previous=more and from_end,
        count=count,
    )

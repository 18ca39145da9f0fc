"""Cursor pagination: arguments, opaque cursors, and one query for many parents' pages.

Child lists (a case's feed, documents, messages, comments) are ordered newest first by id;
ids are bigint identities, so a cursor is just an id, made opaque. `first/after` walks
from the newest, `last/before` from the oldest end of that order.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input

MAX_PAGE = 100
DEFAULT_PAGE = 20


def encode_cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(f"c:{raw}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith("c:"):
        raise bad_input(f"'{field}' is not a cursor this server issued.", field)
    return text[2:]


def decode_id_cursor(cursor: str, field: str) -> int:
    raw = decode_cursor(cursor, field)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise bad_input(f"'{field}' is not a cursor this server issued.", field)
    return int(raw)


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated connection arguments; hashable so it can be part of a loader key."""

    limit: int
    after_id: int | None = None
    before_id: int | None = None
    from_end: bool = False

    @classmethod
    def parse(
        cls,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        default: int = DEFAULT_PAGE,
    ) -> PageArgs:
        if first is not None and last is not None:
            raise bad_input("Pass either 'first' or 'last', not both.", "first")
        for name, value in (("first", first), ("last", last)):
            if value is not None and not 1 <= value <= MAX_PAGE:
                raise bad_input(f"'{name}' must be between 1 and {MAX_PAGE}.", name)
        after_id = decode_id_cursor(after, "after") if after else None
        before_id = decode_id_cursor(before, "before") if before else None
        if last is not None:
            return cls(last, after_id, before_id, from_end=True)
        return cls(first if first is not None else default, after_id, before_id)


@dataclass(slots=True)
class Page:
    rows: list[Any]
    has_next: bool
    has_previous: bool


async def pages_by_parent(
    conn: AsyncConnection,
    columns: Sequence[Any],
    id_col: Any,
    parent_col: Any,
    parent_ids: Sequence[int],
    args: PageArgs,
    where: ColumnElement[bool] | None = None,
) -> dict[int, Page]:
    """One statement returns one page per parent (a window over the parents' rows)."""
    conditions = [parent_col.in_(parent_ids)]
    if where is not None:
        conditions.append(where)
    # Newest first is id DESC: "after" a cursor means smaller ids, "before" larger ones.
    if args.after_id is not None:
        conditions.append(id_col < args.after_id)
    if args.before_id is not None:
        conditions.append(id_col > args.before_id)
    order = id_col.asc() if args.from_end else id_col.desc()
    stmt: Select[Any]
    if len(parent_ids) == 1:
        # One parent (a case's page): a plain ordered LIMIT, cheaper to build and to run.
        stmt = select(*columns).where(*conditions).order_by(order).limit(args.limit + 1)
    else:
        rank = func.row_number().over(partition_by=parent_col, order_by=order).label("_rank")
        inner = select(*columns, rank).where(*conditions).subquery()
        stmt = select(inner).where(inner.c._rank <= args.limit + 1).order_by(inner.c._rank)
    grouped: dict[int, list[Any]] = defaultdict(list)
    parent_key = parent_col.key
    for row in (await conn.execute(stmt)).all():
        grouped[getattr(row, parent_key)].append(row)
    pages: dict[int, Page] = {}
    for parent_id in parent_ids:
        rows = grouped.get(parent_id, [])
        more = len(rows) > args.limit
        rows = rows[: args.limit]
        if args.from_end:
            rows.reverse()
        # More rows on the side we walk towards; a cursor given on a side proves there are
        # items on that side (the same rule as the case list).
        pages[parent_id] = Page(
            rows,
            has_next=(more and not args.from_end) or args.before_id is not None,
            has_previous=(more and args.from_end) or args.after_id is not None,
        )
    return pages

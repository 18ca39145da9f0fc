"""The event log as a list for the portal's admins: newest first, filtered, a page at a
time (one statement per page, one for the total)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions import rules
from permissions.principal import Principal
from resolvers.pagination import PageArgs, encode_cursor
from server.db.casework import EventLogEntry
from server.errors import bad_input, forbidden

ADMINS_ONLY = "Only company admins (authority level 6) read the event log."


@dataclass(frozen=True, slots=True)
class EventLogFilter:
    action: str | None = None
    subject_type: str | None = None
    actor_user_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(slots=True)
class EventLogPage:
    rows: list[tuple[str, Any]]
    has_next: bool
    has_previous: bool


def _storable(value: str) -> bool:
    """PostgreSQL text cannot hold NUL, nor a lone surrogate (JSON input may escape one,
    e.g. "\\ud800"; it has no UTF-8 form)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _conditions(principal: Principal, log_filter: EventLogFilter) -> list[ColumnElement[bool]]:
    if not rules.can_read_event_log(principal):
        raise forbidden(ADMINS_ONLY)
    for value, field in ((log_filter.action, "action"), (log_filter.subject_type, "subjectType")):
        if value is not None and not _storable(value):
            raise bad_input(
                f"'{field}' must not contain NUL or unpaired surrogate characters.",
                f"filter.{field}",
            )
    for instant, field in ((log_filter.since, "since"), (log_filter.until, "until")):
        if instant is not None and instant.tzinfo is None:
            # A naive time would be read in the database session's zone, and compared
            # with an aware one in Python it raises.
            raise bad_input(
                f"'{field}' needs a time zone offset (e.g. 2026-05-01T09:00:00Z).",
                f"filter.{field}",
            )
    if log_filter.since and log_filter.until and log_filter.since > log_filter.until:
        raise bad_input("'since' must not be after 'until'.", "filter.since")
    conditions = [EventLogEntry.insurer_id == principal.insurer_id]
    if log_filter.action is not None:
        conditions.append(EventLogEntry.action == log_filter.action)
    if log_filter.subject_type is not None:
        conditions.append(EventLogEntry.subject_type == log_filter.subject_type)
    if log_filter.actor_user_id is not None:
        conditions.append(EventLogEntry.actor_user_id == log_filter.actor_user_id)
    if log_filter.since is not None:
        conditions.append(EventLogEntry.created_at >= log_filter.since)
    if log_filter.until is not None:
        conditions.append(EventLogEntry.created_at < log_filter.until)
    return conditions


async def event_log_page(
    *,
    engine: AsyncEngine,
    principal: Principal,
    log_filter: EventLogFilter,
    first: int | None,
    after: str | None,
) -> EventLogPage:
    """Entries newest first (by id: the order they were written in); `after` a cursor
    means older entries."""
    conditions = _conditions(principal, log_filter)
    args = PageArgs.parse(first, after, None, None)
    if args.after_id is not None:
        conditions.append(EventLogEntry.id < args.after_id)
    stmt = (
        select(EventLogEntry.__table__)
        .where(*conditions)
        .order_by(EventLogEntry.id.desc())
        .limit(args.limit + 1)
    )
    async with engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())
    more = len(rows) > args.limit
    rows = rows[: args.limit]
    return EventLogPage(
        rows=[(encode_cursor(str(row.id)), row) for row in rows],
        has_next=more,
        has_previous=args.after_id is not None,
    )


async def count_entries(
    *, engine: AsyncEngine, principal: Principal, log_filter: EventLogFilter
) -> int:
    stmt = (
        select(func.count()).select_from(EventLogEntry).where(*_conditions(principal, log_filter))
    )
    async with engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())

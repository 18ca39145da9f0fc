"""When a recurring schedule's occurrences fall: one pure function, no I/O.

Rules (the schema's descriptions repeat them):
- Every occurrence is computed from the anchor `starts_at`, never from the previous one,
  so nothing drifts: occurrence k is `starts_at + k * interval` weeks or days, or
  `starts_at` moved by `k * interval` calendar months.
- Monthly occurrences keep the start's day of month; a month without that day takes its
  last day (Jan 31 → Feb 28, or 29 in a leap year → Mar 31).
- All in UTC: the start's UTC time of day is kept, and days and months are UTC ones.
  Portals have no time zone today; a schedule starting at 00:30 in Oslo in winter is
  23:30 UTC the day before, and stays at 23:30 UTC in summer.
- `ends_at` is inclusive: an occurrence exactly at `ends_at` is the last one.
- `starts_at` itself is the first occurrence.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Protocol

from server.db.enums import RecurrenceFrequency


class Recurrence(Protocol):
    """What the arithmetic needs of a schedule (the ORM row or anything like it)."""

    @property
    def frequency(self) -> RecurrenceFrequency: ...

    @property
    def interval(self) -> int: ...

    @property
    def starts_at(self) -> dt.datetime: ...

    @property
    def ends_at(self) -> dt.datetime | None: ...


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("recurrence times must be timezone-aware")
    return value.astimezone(dt.UTC)


def _add_months(anchor: dt.datetime, months: int) -> dt.datetime:
    """The anchor moved by `months` calendar months, its day clamped to the month's end."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(index, 12)
    day = min(anchor.day, calendar.monthrange(year, month + 1)[1])
    return anchor.replace(year=year, month=month + 1, day=day)


def occurrence(schedule: Recurrence, k: int) -> dt.datetime:
    """The k-th occurrence (0 is `starts_at`), ignoring `ends_at`."""
    start = _utc(schedule.starts_at)
    match schedule.frequency:
        case RecurrenceFrequency.MONTHLY:
            return _add_months(start, k * schedule.interval)
        case RecurrenceFrequency.WEEKLY:
            return start + dt.timedelta(weeks=k * schedule.interval)
        case _:
            return start + dt.timedelta(days=k * schedule.interval)


def next_occurrence(
    schedule: Recurrence, after: dt.datetime, *, inclusive: bool = False
) -> dt.datetime | None:
    """The first occurrence later than `after` (or at it, with `inclusive`), in UTC;
    None once that would be past `ends_at` (which itself still counts)."""
    if schedule.interval < 1:
        raise ValueError("interval must be at least 1")
    start = _utc(schedule.starts_at)
    after = _utc(after)
    if after < start:
        k = 0
    elif schedule.frequency is RecurrenceFrequency.MONTHLY:
        months = (after.year - start.year) * 12 + after.month - start.month
        k = max(0, months // schedule.interval - 1)  # an estimate at or before the answer
    else:
        weeks = schedule.frequency is RecurrenceFrequency.WEEKLY
        step = dt.timedelta(days=schedule.interval * (7 if weeks else 1))
        k = max(0, (after - start) // step - 1)  # likewise
    try:
        found = occurrence(schedule, k)
        while found < after or (found == after and not inclusive):
            k += 1
            found = occurrence(schedule, k)
    except (OverflowError, ValueError):  # past year 9999: there is no next one
        return None
    if schedule.ends_at is not None and found > _utc(schedule.ends_at):
        return None
    return found

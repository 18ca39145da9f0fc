"""Occurrence arithmetic at its edges: month ends, leap years, the end bound, intervals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from resolvers.services.recurrence import next_occurrence
from server.db.enums import RecurrenceFrequency as F

UTC = dt.UTC


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@dataclass
class S:
    frequency: F
    interval: int
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None


def series(schedule: S, count: int) -> list[dt.datetime]:
    found, after = [], schedule.starts_at - dt.timedelta(seconds=1)
    for _ in range(count):
        nxt = next_occurrence(schedule, after)
        if nxt is None:
            break
        found.append(nxt)
        after = nxt
    return found


def test_monthly_from_the_31st_clamps_to_month_ends_without_drifting():
    schedule = S(F.MONTHLY, 1, at(2027, 1, 31, 8))
    assert series(schedule, 4) == [
        at(2027, 1, 31, 8),
        at(2027, 2, 28, 8),
        at(2027, 3, 31, 8),  # from the anchor, not from Feb 28
        at(2027, 4, 30, 8),
    ]


def test_monthly_in_a_leap_year_takes_feb_29():
    schedule = S(F.MONTHLY, 1, at(2028, 1, 31, 8))
    assert series(schedule, 3)[1:] == [at(2028, 2, 29, 8), at(2028, 3, 31, 8)]


def test_monthly_from_feb_29_keeps_the_29th_where_it_exists():
    schedule = S(F.MONTHLY, 12, at(2028, 2, 29))
    assert series(schedule, 5) == [
        at(2028, 2, 29), at(2029, 2, 28), at(2030, 2, 28), at(2031, 2, 28), at(2032, 2, 29)
    ]  # fmt: skip


def test_monthly_every_3_months_across_the_year():
    schedule = S(F.MONTHLY, 3, at(2026, 11, 30, 23, 30))
    assert series(schedule, 3) == [
        at(2026, 11, 30, 23, 30), at(2027, 2, 28, 23, 30), at(2027, 5, 30, 23, 30)
    ]  # fmt: skip


def test_weekly_every_2_weeks_and_every_n_days():
    weekly = S(F.WEEKLY, 2, at(2027, 1, 4, 9))
    assert series(weekly, 3) == [at(2027, 1, 4, 9), at(2027, 1, 18, 9), at(2027, 2, 1, 9)]
    daily = S(F.EVERY_N_DAYS, 10, at(2027, 2, 25))
    assert series(daily, 3) == [at(2027, 2, 25), at(2027, 3, 7), at(2027, 3, 17)]


def test_utc_time_of_day_stays_across_daylight_saving():
    # Oslo moves to summer time on 2027-03-28; occurrences stay at 07:00 UTC.
    schedule = S(F.WEEKLY, 1, at(2027, 3, 22, 7))
    assert series(schedule, 2) == [at(2027, 3, 22, 7), at(2027, 3, 29, 7)]


@pytest.mark.parametrize(
    ("after", "inclusive", "expected"),
    [
        (at(2027, 3, 31, 8), False, at(2027, 4, 30, 8)),  # strictly after
        (at(2027, 3, 31, 8), True, at(2027, 3, 31, 8)),  # at it, when inclusive
        (at(2027, 3, 31, 7, 59), False, at(2027, 3, 31, 8)),
        (at(2020, 1, 1), False, at(2027, 1, 31, 8)),  # before the start: the start
        (at(2031, 7, 15), False, at(2031, 7, 31, 8)),  # far ahead: no walking from the start
    ],
)
def test_next_after_a_moment(after, inclusive, expected):
    schedule = S(F.MONTHLY, 1, at(2027, 1, 31, 8))
    assert next_occurrence(schedule, after, inclusive=inclusive) == expected


def test_the_end_is_inclusive():
    schedule = S(F.EVERY_N_DAYS, 7, at(2027, 1, 1), ends_at=at(2027, 1, 15))
    assert series(schedule, 10) == [at(2027, 1, 1), at(2027, 1, 8), at(2027, 1, 15)]
    just_before = S(F.EVERY_N_DAYS, 7, at(2027, 1, 1), ends_at=at(2027, 1, 14, 23, 59))
    assert series(just_before, 10) == [at(2027, 1, 1), at(2027, 1, 8)]


def test_an_end_before_the_first_occurrence_means_none():
    schedule = S(F.WEEKLY, 1, at(2027, 1, 1), ends_at=at(2027, 1, 1))
    assert series(schedule, 3) == [at(2027, 1, 1)]
    assert next_occurrence(schedule, at(2027, 1, 1)) is None


def test_other_time_zones_are_read_as_utc():
    oslo = dt.timezone(dt.timedelta(hours=1))
    schedule = S(F.EVERY_N_DAYS, 1, dt.datetime(2027, 1, 1, 0, 30, tzinfo=oslo))
    assert next_occurrence(schedule, at(2026, 1, 1)) == at(2026, 12, 31, 23, 30)


def test_interval_below_one_and_naive_times_are_refused():
    with pytest.raises(ValueError):
        next_occurrence(S(F.WEEKLY, 0, at(2027, 1, 1)), at(2027, 1, 1))
    with pytest.raises(ValueError):
        next_occurrence(S(F.WEEKLY, 1, dt.datetime(2027, 1, 1)), at(2027, 1, 1))


def test_no_next_occurrence_past_the_calendar():
    schedule = S(F.MONTHLY, 1000, at(9990, 1, 31))
    assert next_occurrence(schedule, at(9990, 1, 31)) is None
    assert next_occurrence(S(F.WEEKLY, 1000, at(9990, 1, 1)), at(9990, 1, 1)) is None

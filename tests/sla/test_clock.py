"""The SLA clock (permissions.sla.evaluate) at its edges: a target breaches exactly at its
due time, not a microsecond before; a paused clock never reaches its due time; a resumed
clock counts on from where it stopped; AT_RISK starts exactly at at_risk_percent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from permissions.sla import SlaState, evaluate

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)


@dataclass
class Clock:
    created_at: dt.datetime = T0
    first_response_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    sla_paused_seconds: int = 0
    sla_paused_since: dt.datetime | None = None
    first_response_breached_at: dt.datetime | None = None
    resolution_breached_at: dt.datetime | None = None


@dataclass
class Targets:
    first_response_minutes: int | None = 60
    resolution_minutes: int | None = 600
    at_risk_percent: int = 80


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def test_no_priority_or_no_targets_means_no_sla():
    assert evaluate(Clock(), None, T0) is None
    assert evaluate(Clock(), Targets(None, None), T0) is None


@pytest.mark.parametrize(
    ("elapsed", "state"),
    [
        (minutes(0), SlaState.ON_TRACK),
        (minutes(48) - US, SlaState.ON_TRACK),  # 80 % of 60 min is 48 min
        (minutes(48), SlaState.AT_RISK),
        (minutes(60) - US, SlaState.AT_RISK),
        (minutes(60), SlaState.BREACHED),  # due <= now: breached exactly at the due time
        (minutes(61), SlaState.BREACHED),
    ],
)
def test_first_response_edges(elapsed, state):
    view = evaluate(Clock(), Targets(resolution_minutes=None), T0 + elapsed)
    assert view is not None
    assert view.first_response is not None
    assert view.first_response.state is state
    assert view.first_response.due_at == T0 + minutes(60)
    assert view.state is state


def test_breached_at_is_the_due_time_until_recorded():
    view = evaluate(Clock(), Targets(), T0 + minutes(90))
    assert view.first_response.breached_at == T0 + minutes(60)
    recorded = T0 + minutes(61)
    view = evaluate(Clock(first_response_breached_at=recorded), Targets(), T0 + minutes(90))
    assert view.first_response.breached_at == recorded


def test_a_paused_clock_does_not_reach_its_due_time():
    # Paused at 50 minutes: an hour, a day, a week later it is still 10 minutes short.
    pause = T0 + minutes(50)
    case = Clock(sla_paused_since=pause)
    for later in (minutes(60), minutes(61), dt.timedelta(days=1), dt.timedelta(days=7)):
        view = evaluate(case, Targets(), pause + later)
        assert view.first_response.state is SlaState.PAUSED
        assert view.first_response.due_at - (pause + later) == minutes(10)
        assert view.state is SlaState.PAUSED
        assert view.paused


def test_resumed_clock_counts_on_from_where_it_stopped():
    # 50 minutes running, 2 hours paused, then running again.
    case = Clock(sla_paused_seconds=2 * 3600)
    resumed = T0 + minutes(50 + 120)
    due = T0 + minutes(60 + 120)
    assert evaluate(case, Targets(), resumed).first_response.due_at == due
    assert evaluate(case, Targets(), due - US).first_response.state is SlaState.AT_RISK
    assert evaluate(case, Targets(), due).first_response.state is SlaState.BREACHED


def test_a_pause_that_begins_after_the_breach_keeps_it():
    case = Clock(sla_paused_since=T0 + minutes(70))
    view = evaluate(case, Targets(), T0 + minutes(200))
    assert view.first_response.state is SlaState.BREACHED
    assert view.state is SlaState.BREACHED


@pytest.mark.parametrize(
    ("answered_after", "state"),
    [(minutes(60) - US, SlaState.MET), (minutes(60), SlaState.BREACHED)],
)
def test_a_finished_target_is_judged_when_it_finished(answered_after, state):
    case = Clock(first_response_at=T0 + answered_after)
    view = evaluate(case, Targets(), T0 + dt.timedelta(days=3))
    assert view.first_response.state is state
    assert view.first_response.met_at == T0 + answered_after


def test_a_recorded_breach_stays_after_the_target_is_met():
    case = Clock(first_response_at=T0 + minutes(10), first_response_breached_at=T0)
    assert evaluate(case, Targets(), T0 + minutes(11)).first_response.state is SlaState.BREACHED


def test_closing_ends_both_targets():
    case = Clock(closed_at=T0 + minutes(30))
    view = evaluate(case, Targets(), T0 + dt.timedelta(days=30))
    assert view.first_response.state is SlaState.MET
    assert view.resolution.state is SlaState.MET
    assert view.state is SlaState.MET


def test_case_state_is_the_worst_target():
    # First response met; resolution (600 min) at 85 %: the case is at risk.
    case = Clock(first_response_at=T0 + minutes(5))
    view = evaluate(case, Targets(), T0 + minutes(510))
    assert view.first_response.state is SlaState.MET
    assert view.resolution.state is SlaState.AT_RISK
    assert view.state is SlaState.AT_RISK


def test_pause_before_at_risk_threshold_and_paused_seconds():
    case = Clock(sla_paused_seconds=30, sla_paused_since=T0 + minutes(10))
    view = evaluate(case, Targets(), T0 + minutes(20))
    assert view.paused_seconds == 30 + 600
    assert view.state is SlaState.PAUSED

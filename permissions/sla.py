"""The SLA clock of a case, as one pure function of (case columns, priority, now).

Two targets run from the case's creation: the first response (the first chat message to
the customer, `cases.first_response_at`; closing the case before anyone wrote stores the
closing time there, so a reopen does not undo it) and the resolution (closing the case,
`cases.closed_at`). A target's due time is

    created_at + target + paused time (the finished pauses, plus the running one)

so while the case sits in a status that pauses the SLA, the due time moves on with the
clock and is never reached. Edges, each tested: a target is BREACHED once `due <= now`
(exactly at its due time), AT_RISK once `at_risk_percent` of its time has elapsed
(`elapsed * 100 >= target * at_risk_percent`), and a breach the watcher recorded
(`*_breached_at`) stays, even after the target is met late. Time is counted in whole
microseconds, so the SQL filter in resolvers/queries/sla.py agrees to the edge.

A case has no SLA without a priority, or when its priority sets neither target. The
lifecycle status (on hold, closed) does not pause the clock: only the insurer's
configurable statuses say a case waits on someone else; a closed case's resolution clock
stops at `closed_at`, and reopening it (closed_at cleared) runs it on from there: the
time the case was closed is added to the paused time (resolvers/services/sla.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from permissions.principal import Principal, Role
from permissions.rules import ADMIN_LEVEL

_MICRO = dt.timedelta(microseconds=1)


class SlaState(enum.StrEnum):
    """Where a target (or the case, its worst target) stands; in order of precedence."""

    BREACHED = "breached"
    PAUSED = "paused"
    AT_RISK = "at_risk"
    ON_TRACK = "on_track"
    MET = "met"


@dataclass(frozen=True, slots=True)
class TargetView:
    """One target: its state, when it is (or was) due, and when it was met or breached."""

    state: SlaState
    due_at: dt.datetime
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    minutes: int


@dataclass(frozen=True, slots=True)
class SlaView:
    state: SlaState
    paused: bool
    paused_seconds: int
    first_response: TargetView | None
    resolution: TargetView | None


def first_response_done(case: Any) -> dt.datetime | None:
    """The first response target ends with the first message to the customer, or with
    closing the case when nobody wrote before (closing answers the customer too; it is
    stored as `first_response_at` since, `closed_at` still counts for older rows)."""
    return case.first_response_at or case.closed_at  # type: ignore[no-any-return]


def paused_micros(case: Any, at: dt.datetime) -> int:
    """Paused time up to `at`: finished pauses plus the running one (if begun before)."""
    total = int(case.sla_paused_seconds or 0) * 1_000_000
    since = case.sla_paused_since
    if since is not None and since < at:
        total += (at - since) // _MICRO
    return total


def _target(
    case: Any,
    *,
    minutes: int | None,
    at_risk_percent: int,
    done_at: dt.datetime | None,
    breached_at: dt.datetime | None,
    now: dt.datetime,
) -> TargetView | None:
    if minutes is None:
        return None
    target = minutes * 60 * 1_000_000
    # A finished target is judged at the moment it finished; a running one now.
    clock = done_at if done_at is not None else now
    elapsed = (clock - case.created_at) // _MICRO - paused_micros(case, clock)
    due_at = case.created_at + dt.timedelta(microseconds=target + paused_micros(case, clock))
    late = elapsed >= target
    if breached_at is not None or late:
        state = SlaState.BREACHED
        breached_at = breached_at or due_at
    elif done_at is not None:
        state = SlaState.MET
    elif case.sla_paused_since is not None:
        state = SlaState.PAUSED
    elif elapsed * 100 >= target * at_risk_percent:
        state = SlaState.AT_RISK
    else:
        state = SlaState.ON_TRACK
    return TargetView(state, due_at, done_at, breached_at, minutes)


def evaluate(case: Any, priority: Any | None, now: dt.datetime) -> SlaView | None:
    """The case's SLA at `now`; None without a priority or without targets.

    `case` has the Case columns (created_at, first_response_at, closed_at,
    sla_paused_seconds, sla_paused_since, *_breached_at); `priority` the CasePriority
    columns. The case's state is its worst target's, by SlaState's order.
    """
    if priority is None:
        return None
    first = _target(
        case,
        minutes=priority.first_response_minutes,
        at_risk_percent=priority.at_risk_percent,
        done_at=first_response_done(case),
        breached_at=case.first_response_breached_at,
        now=now,
    )
    resolution = _target(
        case,
        minutes=priority.resolution_minutes,
        at_risk_percent=priority.at_risk_percent,
        done_at=case.closed_at,
        breached_at=case.resolution_breached_at,
        now=now,
    )
    targets = [t for t in (first, resolution) if t is not None]
    if not targets:
        return None
    order = list(SlaState)
    state = min((t.state for t in targets), key=order.index)
    return SlaView(
        state=state,
        paused=case.sla_paused_since is not None,
        paused_seconds=paused_micros(case, now) // 1_000_000,
        first_response=first,
        resolution=resolution,
    )


# --- who may do what --------------------------------------------------------------------


def can_configure(principal: Principal) -> bool:
    """Define statuses and priorities: company admins (staff, authority level 6)."""
    return principal.role is Role.STAFF and principal.authority_level >= ADMIN_LEVEL


def can_read_configuration(principal: Principal) -> bool:
    """The portal's statuses and priorities: everyone working in it (staff, partners and
    their API keys); customers see only their case's customer label."""
    return principal.role is not Role.CUSTOMER


def customer_label(status: Any | None) -> str | None:
    """What a customer sees of a workflow status: its customer label when the status is
    visible to customers, nothing otherwise (never the internal name or colour)."""
    if status is None or not status.visible_to_customer:
        return None
    return status.customer_label  # type: ignore[no-any-return]

"""The SLA clock in SQL: the same arithmetic as permissions.sla.evaluate, for the case
list's `slaState` filter (and its totalCount) and for the breach watcher.

Everything counts whole microseconds since the epoch, as the pure function does, so the
two agree to the edge: a target is late once `elapsed >= target`, where `elapsed` is the
time from creation to the target's clock (its finish, else now) minus the paused time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, cast, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions.sla import SlaState
from server.db.casework import CasePriority, CaseWorkflowStatus
from server.db.models import Case

_MILLION = 1_000_000


def _micros(moment: Any) -> ColumnElement[int]:
    return cast(func.extract("epoch", moment) * _MILLION, BigInteger)


def paused_micros(at: Any) -> ColumnElement[int]:
    """As permissions.sla.paused_micros: finished pauses plus the running one up to `at`."""
    running = case(
        (
            and_(Case.sla_paused_since.is_not(None), Case.sla_paused_since < at),
            _micros(at) - _micros(Case.sla_paused_since),
        ),
        else_=0,
    )
    return Case.sla_paused_seconds * _MILLION + running


@dataclass(frozen=True, slots=True)
class Target:
    """One SLA target's columns: its length on the priority, when it finished, and when
    the watcher recorded its breach."""

    name: str
    minutes: Any
    done: Any
    breached_at: Any

    def clock(self) -> ColumnElement[Any]:
        return func.coalesce(self.done, func.now())

    def target_micros(self) -> ColumnElement[int]:
        return cast(self.minutes, BigInteger) * (60 * _MILLION)

    def elapsed(self, at: Any) -> ColumnElement[int]:
        return _micros(at) - _micros(Case.created_at) - paused_micros(at)

    def late(self) -> ColumnElement[bool]:
        """Due time reached (`due <= clock`), recorded or not."""
        return and_(self.minutes.is_not(None), self.elapsed(self.clock()) >= self.target_micros())

    def due_at(self) -> ColumnElement[Any]:
        """created_at + target + paused time, at the target's clock."""
        micros = self.target_micros() + paused_micros(self.clock())
        return Case.created_at + func.make_interval(0, 0, 0, 0, 0, 0, micros / float(_MILLION))

    def breached(self) -> ColumnElement[bool]:
        return and_(self.minutes.is_not(None), or_(self.breached_at.is_not(None), self.late()))

    def running(self) -> ColumnElement[bool]:
        return and_(self.minutes.is_not(None), self.done.is_(None))

    def at_risk(self) -> ColumnElement[bool]:
        """Running, not breached, not paused, and at_risk_percent of the time gone."""
        return and_(
            self.running(),
            not_(self.breached()),
            Case.sla_paused_since.is_(None),
            self.elapsed(func.now()) * 100 >= self.target_micros() * CasePriority.at_risk_percent,
        )


FIRST_RESPONSE = Target(
    "firstResponse",
    CasePriority.first_response_minutes,
    func.coalesce(Case.first_response_at, Case.closed_at),
    Case.first_response_breached_at,
)
RESOLUTION = Target(
    "resolution", CasePriority.resolution_minutes, Case.closed_at, Case.resolution_breached_at
)
TARGETS = (FIRST_RESPONSE, RESOLUTION)


def _state_condition(state: SlaState) -> ColumnElement[bool]:
    """The case's SLA state is `state` (over cases joined to their priority)."""
    breached = or_(*(t.breached() for t in TARGETS))
    running = or_(*(t.running() for t in TARGETS))
    at_risk = or_(*(t.at_risk() for t in TARGETS))
    paused = Case.sla_paused_since.is_not(None)
    if state is SlaState.BREACHED:
        return breached
    if state is SlaState.PAUSED:
        return and_(not_(breached), paused, running)
    if state is SlaState.AT_RISK:
        return and_(not_(breached), at_risk)
    if state is SlaState.ON_TRACK:
        return and_(not_(breached), not_(paused), running, not_(at_risk))
    has_target = or_(*(t.minutes.is_not(None) for t in TARGETS))
    return and_(not_(breached), not_(running), has_target)


def sla_state_condition(states: Sequence[SlaState]) -> ColumnElement[bool]:
    """Cases whose SLA state is any of `states` (cases without an SLA match none)."""
    return exists().where(
        CasePriority.id == Case.priority_id, or_(*(_state_condition(s) for s in states))
    )


# --- the portal's configuration ----------------------------------------------------------


async def list_statuses(engine: AsyncEngine, insurer_id: int, include_inactive: bool) -> list[Any]:
    return await _list(engine, CaseWorkflowStatus, insurer_id, include_inactive)


async def list_priorities(
    engine: AsyncEngine, insurer_id: int, include_inactive: bool
) -> list[Any]:
    return await _list(engine, CasePriority, insurer_id, include_inactive)


async def _list(engine: AsyncEngine, model: Any, insurer_id: int, inactive: bool) -> list[Any]:
    """One statement, ordered by position (then id, for equal positions)."""
    stmt = select(*model.__table__.c).where(model.insurer_id == insurer_id)
    if not inactive:
        stmt = stmt.where(model.active)
    async with engine.connect() as conn:
        return list((await conn.execute(stmt.order_by(model.position, model.id))).all())

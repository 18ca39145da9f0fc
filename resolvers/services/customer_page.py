"""Reading a case's customer-page state: effective settings and reached milestones.

One statement gives everything `permissions.customer_page` needs for a case (the insurer's
settings, the case's override, whether the main inspection has a responsible person, the
compensation decision, the closing time), so a customer's principal costs one round trip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from permissions.customer_page import (
    CustomerPageSettings,
    CustomerView,
    Milestone,
    effective_settings,
    reached_milestones,
    still_visible,
)
from server.db.enums import CompensationDecision, TaskKind
from server.db.models import (
    Case,
    CaseCustomerPageOverride,
    Task,
)
from server.db.models import (
    CustomerPageSettings as SettingsRow,
)


def _inspector_assigned() -> ColumnElement[bool]:
    return exists().where(
        Task.case_id == Case.id,
        Task.kind == TaskKind.MAIN_INSPECTION,
        Task.responsible_id.is_not(None),
    )


def settings_columns() -> list[Any]:
    """The stored settings of the case's portal and its override; join with `join_settings`."""
    return [
        SettingsRow.settings.label("page_settings"),
        CaseCustomerPageOverride.settings.label("page_override"),
    ]


def state_columns() -> list[Any]:
    """Columns of a statement over `cases` that describe its customer page; join with
    `join_settings`. Labels: page_settings, page_override, inspector_assigned,
    compensation_decision, closed_at."""
    return [
        *settings_columns(),
        _inspector_assigned().label("inspector_assigned"),
        Case.compensation_decision.label("compensation_decision"),
        Case.closed_at.label("closed_at"),
    ]


def join_settings(stmt: Select[Any]) -> Select[Any]:
    """Outer-join the insurer's settings and the case's override (either may be absent)."""
    return stmt.outerjoin(SettingsRow, SettingsRow.insurer_id == Case.insurer_id).outerjoin(
        CaseCustomerPageOverride, CaseCustomerPageOverride.case_id == Case.id
    )


@dataclass(frozen=True, slots=True)
class PageState:
    """A case's customer page right now."""

    settings: CustomerPageSettings
    milestones: frozenset[Milestone]
    closed_at: dt.datetime | None
    override: dict[str, Any] | None = None  # what the case itself sets, as stored

    @classmethod
    def from_row(cls, row: Any) -> PageState:
        settings = effective_settings(row.page_settings, row.page_override)
        milestones = reached_milestones(
            inspector_assigned=bool(row.inspector_assigned),
            positive_decision=row.compensation_decision == CompensationDecision.ACCEPTED,
        )
        return cls(settings, milestones, row.closed_at, row.page_override)

    def view(self) -> CustomerView:
        return CustomerView.of(self.settings, self.milestones)

    def visible_now(self) -> bool:
        return still_visible(self.settings, self.closed_at, dt.datetime.now(dt.UTC))


async def page_state(db: AsyncSession | AsyncConnection, case_id: int) -> PageState:
    """The customer-page state of one case (which must exist)."""
    stmt = join_settings(select(*state_columns()).select_from(Case)).where(Case.id == case_id)
    row = (await db.execute(stmt)).one()
    return PageState.from_row(row)


async def page_states(
    db: AsyncSession | AsyncConnection, case_ids: list[int]
) -> dict[int, PageState]:
    """The customer-page state of several cases in one statement (for loaders)."""
    stmt = join_settings(select(Case.id, *state_columns()).select_from(Case)).where(
        Case.id.in_(case_ids)
    )
    return {row.id: PageState.from_row(row) for row in await db.execute(stmt)}


async def insurer_settings(db: AsyncSession | AsyncConnection, insurer_id: int) -> dict[str, Any]:
    """The insurer's stored (partial) settings; {} when never saved."""
    stmt = select(SettingsRow.settings).where(SettingsRow.insurer_id == insurer_id)
    return dict((await db.execute(stmt)).scalar() or {})


async def case_override(db: AsyncSession | AsyncConnection, case_id: int) -> dict[str, Any]:
    """The case's stored override; {} when none."""
    stmt = select(CaseCustomerPageOverride.settings).where(
        CaseCustomerPageOverride.case_id == case_id
    )
    return dict((await db.execute(stmt)).scalar() or {})

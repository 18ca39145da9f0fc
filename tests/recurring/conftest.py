"""Recurring cases: the app's own runner is paused in these tests, so only the runners a
test starts (with the clock it gives them) open occurrences. Tests run their runners with
clocks years ahead; each test's schedules are switched off afterwards, so they are not due
in the next test's pass (nor for the app's runner once it resumes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from permissions.principal import Principal, Role
from resolvers.services import recurring_cases
from resolvers.services.cases import CaseData, ContactData
from server.db.casework import RecurringCaseRun, RecurringCaseSchedule
from server.db.engine import make_session_factory
from server.db.enums import ContactRole, DamageType, RecurrenceFrequency
from tests.factories import Portal, gid


@pytest.fixture
async def runner_paused(app: Any, engine: Any) -> AsyncIterator[None]:
    runner = app.state.services.recurring
    await runner.stop()
    try:
        yield
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                update(RecurringCaseSchedule)
                .where(RecurringCaseSchedule.active)
                .values(active=False)
            )
        await runner.start()


def case_input(portal: Portal, **overrides: Any) -> dict[str, Any]:
    """`caseData` as a client sends it (CaseCreateInput)."""
    return {
        "damageType": "WATER",
        "street": "Lagerveien 3",
        "postalCode": "0668",
        "city": "Oslo",
        "caseHandlerId": gid("User", portal.handler.id),
        "contacts": [{"role": "POLICYHOLDER", "name": "Lager AS", "email": "drift@lager.test"}],
        **overrides,
    }


def admin_of(portal: Portal) -> Principal:
    return Principal(
        role=Role.STAFF,
        insurer_id=portal.insurer.id,
        user_id=portal.admin.id,
        company_id=portal.insurer.id,
        authority_level=6,
    )


async def make_schedule(
    engine: Any,
    portal: Portal,
    *,
    now: dt.datetime,
    starts_at: dt.datetime,
    frequency: RecurrenceFrequency = RecurrenceFrequency.EVERY_N_DAYS,
    interval: int = 1,
    ends_at: dt.datetime | None = None,
    name: str = "Inspection",
) -> int:
    """A schedule saved through the service as if at `now`."""
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        schedule = await recurring_cases.create_schedule(
            session=session,
            actor=admin_of(portal),
            now=now,
            data=recurring_cases.ScheduleData(
                name=name,
                case_data=CaseData(
                    damage_type=DamageType.OTHER,
                    street="Lagerveien 3",
                    postal_code="0668",
                    city="Oslo",
                    case_handler_id=portal.handler.id,
                ),
                contacts=[ContactData(ContactRole.POLICYHOLDER, "Lager AS")],
                frequency=frequency,
                interval=interval,
                starts_at=starts_at,
                ends_at=ends_at,
            ),
        )
        return schedule.id


async def runs_of(engine: Any, schedule_id: int) -> list[Any]:
    async with engine.connect() as conn:
        stmt = (
            select(RecurringCaseRun)
            .where(RecurringCaseRun.schedule_id == schedule_id)
            .order_by(RecurringCaseRun.occurrence_at)
        )
        return list((await conn.execute(stmt)).all())

"""The runner opens each occurrence exactly once: concurrently, after downtime, after a
restart; bad stored data is recorded and skipped, never wedging the others."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select, update

from resolvers.services import recurring_runs
from server.db.casework import EventLogEntry, RecurringCaseSchedule
from server.db.engine import make_engine, make_session_factory
from server.db.enums import CaseOrigin, FeedEventType, RecurrenceFrequency
from server.db.models import Case, CaseContact, FeedEntry, User
from server.pubsub.broker import InProcessBroker
from server.recurring import RecurringRunner
from tests.recurring.conftest import make_schedule, runs_of

pytestmark = pytest.mark.usefixtures("runner_paused")
DAY = dt.timedelta(days=1)


def far_future(days: int) -> dt.datetime:
    """Clocks of their own, far apart, so schedules of other tests are not due yet."""
    base = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3000 + days * 50)
    return base


async def pass_at(engine, now, limit=1000):
    return await recurring_runs.run_due(
        sessions=make_session_factory(engine), broker=InProcessBroker(), now=now, limit=limit
    )


async def cases_of(engine, insurer_id):
    async with engine.connect() as conn:
        stmt = (
            select(Case)
            .where(Case.insurer_id == insurer_id, Case.origin == CaseOrigin.RECURRING)
            .order_by(Case.id)
        )
        return list((await conn.execute(stmt)).all())


async def test_catch_up_opens_each_missed_occurrence_once_in_order(world, engine):
    portal = world.portal
    t0 = far_future(1)
    schedule_id = await make_schedule(engine, portal, now=t0, starts_at=t0 + DAY)
    # when: the servers were down for three occurrences
    await pass_at(engine, t0 + 3 * DAY + dt.timedelta(minutes=5))
    # then
    runs = await runs_of(engine, schedule_id)
    assert [r.occurrence_at for r in runs] == [t0 + DAY, t0 + 2 * DAY, t0 + 3 * DAY]
    cases = await cases_of(engine, portal.insurer.id)
    assert [c.id for c in cases] == [r.case_id for r in runs]  # opened in occurrence order
    assert all(r.error is None for r in runs)
    first = cases[0]
    assert (first.street, first.case_handler_id) == ("Lagerveien 3", portal.handler.id)
    async with engine.connect() as conn:
        contacts = (
            (await conn.execute(select(CaseContact.name).where(CaseContact.case_id == first.id)))
            .scalars()
            .all()
        )
        feed = (await conn.execute(select(FeedEntry).where(FeedEntry.case_id == first.id))).all()
        schedule = (
            await conn.execute(
                select(RecurringCaseSchedule).where(RecurringCaseSchedule.id == schedule_id)
            )
        ).one()
    assert contacts == ["Lager AS"]
    [created] = [e for e in feed if e.type is FeedEventType.CASE_CREATED]
    assert created.actor_user_id is None and created.actor_contact_id is None  # created by nobody
    assert schedule.next_occurrence_at == t0 + 4 * DAY
    # and again: nothing more
    again = await pass_at(engine, t0 + 3 * DAY + dt.timedelta(minutes=6))
    assert [r for r in again.runs if r.schedule_id == schedule_id] == []
    assert len(await cases_of(engine, portal.insurer.id)) == 3
    # even if the schedule were wound back (no lock held): the run rows' key refuses
    async with engine.begin() as conn:
        await conn.execute(
            update(RecurringCaseSchedule)
            .where(RecurringCaseSchedule.id == schedule_id)
            .values(next_occurrence_at=t0 + DAY)
        )
    rerun = await pass_at(engine, t0 + 3 * DAY + dt.timedelta(minutes=7))
    assert [r.case_id for r in rerun.runs if r.schedule_id == schedule_id] == [None] * 3
    assert len(await cases_of(engine, portal.insurer.id)) == 3
    assert len(await runs_of(engine, schedule_id)) == 3


async def test_two_runners_at_once_open_one_case_per_occurrence(world, engine, database_url):
    portal = world.portal
    t0 = far_future(2)
    schedules = [
        await make_schedule(engine, portal, now=t0, starts_at=t0 + DAY, name=f"S{i}")
        for i in range(3)
    ]
    engines = [make_engine(database_url, pool_size=2) for _ in range(2)]
    runners = [RecurringRunner(e, InProcessBroker(), limit=1000) for e in engines]
    try:
        # when: two processes' runners pass at the same moment, after 4 missed days
        now = t0 + 4 * DAY + dt.timedelta(minutes=1)
        done = await asyncio.gather(*(runner.run_once(now) for runner in runners))
    finally:
        for e in engines:
            await e.dispose()
    # then: 3 schedules × 4 occurrences, each once
    mine = [[r for r in d.runs if r.schedule_id in schedules] for d in done]
    print("occurrences per runner:", [len(m) for m in mine])
    assert sum(len(m) for m in mine) == 12
    for schedule_id in schedules:
        runs = await runs_of(engine, schedule_id)
        assert [r.occurrence_at for r in runs] == [t0 + k * DAY for k in range(1, 5)]
        assert all(r.case_id for r in runs)
    cases = await cases_of(engine, portal.insurer.id)
    assert len(cases) == 12 == len({c.number for c in cases})


async def test_a_new_runner_after_a_restart_continues_where_the_schedule_stands(world, engine):
    portal = world.portal
    t0 = far_future(3)
    schedule_id = await make_schedule(
        engine, portal, now=t0, starts_at=t0, frequency=RecurrenceFrequency.WEEKLY, interval=2
    )
    first = RecurringRunner(engine, InProcessBroker())
    await first.run_once(t0 + dt.timedelta(hours=1))
    await first.stop()
    # when: a new process (a new runner object) comes up three weeks later
    second = RecurringRunner(engine, InProcessBroker())
    await second.run_once(t0 + dt.timedelta(weeks=3))
    # then: the occurrence at week 2 only, once
    runs = await runs_of(engine, schedule_id)
    assert [r.occurrence_at for r in runs] == [t0, t0 + dt.timedelta(weeks=2)]


async def test_the_end_bound_stops_the_schedule(world, engine):
    portal = world.portal
    t0 = far_future(4)
    schedule_id = await make_schedule(
        engine, portal, now=t0, starts_at=t0, interval=2, ends_at=t0 + 4 * DAY
    )
    await pass_at(engine, t0 + 30 * DAY)
    runs = await runs_of(engine, schedule_id)
    assert [r.occurrence_at for r in runs] == [t0, t0 + 2 * DAY, t0 + 4 * DAY]  # inclusive
    async with engine.connect() as conn:
        stmt = select(RecurringCaseSchedule.next_occurrence_at).where(
            RecurringCaseSchedule.id == schedule_id
        )
        assert (await conn.execute(stmt)).scalar_one() is None


async def test_bad_stored_data_is_recorded_and_skipped_without_wedging(world, engine):
    portal = world.portal
    t0 = far_future(5)
    broken = await make_schedule(engine, portal, now=t0, starts_at=t0, name="Broken")
    healthy = await make_schedule(engine, portal, now=t0, starts_at=t0 + DAY, name="Healthy")
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        # the case handler leaves, and a malformed value slipped into the stored data
        await session.execute(
            update(RecurringCaseSchedule)
            .where(RecurringCaseSchedule.id == broken)
            .values(case_data=RecurringCaseSchedule.case_data.op("||")({"damage_type": "lava"}))
        )
    # when
    await pass_at(engine, t0 + DAY + dt.timedelta(minutes=1))
    # then: the broken schedule's occurrences are recorded with the reason, and it moved on
    runs = await runs_of(engine, broken)
    assert [r.occurrence_at for r in runs] == [t0, t0 + DAY]
    assert all(r.case_id is None and "malformed" in r.error for r in runs), runs
    [healthy_run] = await runs_of(engine, healthy)
    assert healthy_run.case_id is not None
    async with engine.connect() as conn:
        stmt = select(EventLogEntry).where(
            EventLogEntry.insurer_id == portal.insurer.id,
            EventLogEntry.action == "recurringCaseSchedule.runFailed",
        )
        entries = list((await conn.execute(stmt)).all())
    assert len(entries) == 2
    assert entries[0].actor_user_id is None and entries[0].actor_label == "scheduler"
    assert entries[0].subject_id == str(broken)


async def test_a_deactivated_case_handler_fails_the_occurrence_not_the_loop(world, engine):
    portal = world.portal
    t0 = far_future(6)
    schedule_id = await make_schedule(engine, portal, now=t0, starts_at=t0)
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == portal.handler.id).values(active=False))
    try:
        await pass_at(engine, t0 + dt.timedelta(minutes=1))
    finally:
        async with sessions() as session, session.begin():
            await session.execute(
                update(User).where(User.id == portal.handler.id).values(active=True)
            )
    [run] = await runs_of(engine, schedule_id)
    assert run.case_id is None
    assert run.error == "The case handler is deactivated. (caseData.caseHandlerId)"
    assert await cases_of(engine, portal.insurer.id) == []


async def test_the_pass_limit_leaves_the_rest_for_the_next_pass(world, engine):
    portal = world.portal
    t0 = far_future(7)
    schedule_id = await make_schedule(engine, portal, now=t0, starts_at=t0)
    now = t0 + 9 * DAY + dt.timedelta(minutes=1)
    first = await pass_at(engine, now, limit=4)
    assert len(first.runs) == 4
    await pass_at(engine, now)
    runs = await runs_of(engine, schedule_id)
    assert [r.occurrence_at for r in runs] == [t0 + k * DAY for k in range(10)]
    async with engine.connect() as conn:
        stmt = select(func.count()).where(
            Case.insurer_id == portal.insurer.id, Case.origin == CaseOrigin.RECURRING
        )
        assert (await conn.execute(stmt)).scalar_one() == 10


async def test_one_schedule_run_by_two_runners_at_once_opens_one_case(world, engine, database_url):
    portal = world.portal
    t0 = far_future(8)
    schedule_id = await make_schedule(engine, portal, now=t0, starts_at=t0 + DAY)
    engines = [make_engine(database_url, pool_size=2) for _ in range(2)]
    try:
        now = t0 + DAY + dt.timedelta(seconds=1)
        await asyncio.gather(
            *(RecurringRunner(e, InProcessBroker()).run_once(now) for e in engines)
        )
    finally:
        for e in engines:
            await e.dispose()
    [run] = await runs_of(engine, schedule_id)
    assert run.case_id is not None
    assert len(await cases_of(engine, portal.insurer.id)) == 1

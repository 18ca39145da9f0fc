"""The breach watcher marks each breached target once and writes one SLA_BREACHED feed
entry for it, published after the commit, even with several watchers at once; a case
another transaction holds is skipped and marked on a later poll; paused cases and met
targets are left alone."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from server.db.engine import make_engine
from server.sla_watcher import SlaWatcher
from tests.factories import add_cases, build_portal
from tests.sla.helpers import add_priority, case_row, feed_types, set_case


class RecordingBroker:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.published.append((channel, message))


@pytest.fixture
async def app_watcher_paused(app: Any) -> AsyncIterator[None]:
    """Only the watchers a test runs mark breaches while it runs."""
    watcher = app.state.sla_watcher
    await watcher.stop()
    try:
        yield
    finally:
        await watcher.start()


async def _late_cases(engine, settings, count: int, **clock: Any) -> tuple[Any, list[int]]:
    portal = await build_portal(engine, settings, "Watch")
    priority = await add_priority(
        engine, portal.insurer.id, "Fast", first_response_minutes=5, resolution_minutes=30
    )
    ids = await add_cases(engine, portal, count)
    now = dt.datetime.now(dt.UTC)
    for case_id in ids:
        await set_case(
            engine, case_id, priority_id=priority, created_at=now - dt.timedelta(hours=1), **clock
        )
    return portal, ids


def _breaches(feed: list[tuple[str, dict]]) -> list[str]:
    return sorted(p["target"] for t, p in feed if t == "sla_breached")


async def test_two_watchers_at_once_write_one_entry_per_breach(
    engine, settings, app_watcher_paused
):
    # Given 12 cases an hour old, both targets (5 and 30 minutes) long passed
    _, ids = await _late_cases(engine, settings, 12)
    # And two watchers, each with its own connections, as in two server processes
    brokers = [RecordingBroker(), RecordingBroker()]
    engines = [make_engine(settings.database_url, pool_size=2) for _ in brokers]
    watchers = [SlaWatcher(e, b, batch_size=5) for e, b in zip(engines, brokers, strict=True)]
    try:
        # When both poll at the same time, again and again
        for _ in range(4):
            await asyncio.gather(*(w.run_once() for w in watchers))
    finally:
        for e in engines:
            await e.dispose()
    # Then every target of every case is marked once, with one feed entry each
    for case_id in ids:
        assert _breaches(await feed_types(engine, case_id)) == ["firstResponse", "resolution"]
        row = await case_row(engine, case_id)
        assert row.first_response_breached_at == row.created_at + dt.timedelta(minutes=5)
        assert row.resolution_breached_at == row.created_at + dt.timedelta(minutes=30)
    # And each entry was published once, after its commit
    published = [m for b in brokers for _, m in b.published if m["caseId"] in ids]
    assert len(published) == 2 * len(ids)
    assert len({m["id"] for m in published}) == len(published)


async def test_a_held_case_is_skipped_then_marked_later(engine, settings, app_watcher_paused):
    _, (case_id,) = await _late_cases(engine, settings, 1)
    watcher = SlaWatcher(engine, RecordingBroker())
    async with engine.connect() as holder:
        transaction = await holder.begin()
        await holder.execute(text("SELECT 1 FROM cases WHERE id = :id FOR UPDATE"), {"id": case_id})
        # SKIP LOCKED: no waiting on a case someone is writing.
        await asyncio.wait_for(watcher.run_once(), timeout=10)
        assert _breaches(await feed_types(engine, case_id)) == []
        await transaction.rollback()
    await watcher.run_once()
    assert _breaches(await feed_types(engine, case_id)) == ["firstResponse", "resolution"]


async def test_paused_and_met_targets_are_left_alone(engine, settings, app_watcher_paused):
    now = dt.datetime.now(dt.UTC)
    # Paused after 4 minutes: neither target is due while the pause runs.
    _, (paused,) = await _late_cases(
        engine, settings, 1, sla_paused_since=now - dt.timedelta(minutes=56)
    )
    # Answered in time and closed in time.
    _, (met,) = await _late_cases(
        engine,
        settings,
        1,
        first_response_at=now - dt.timedelta(minutes=58),
        closed_at=now - dt.timedelta(minutes=40),
        status="closed",
    )
    watcher = SlaWatcher(engine, RecordingBroker())
    await watcher.run_once()
    for case_id in (paused, met):
        assert _breaches(await feed_types(engine, case_id)) == []
        row = await case_row(engine, case_id)
        assert row.first_response_breached_at is None
        assert row.resolution_breached_at is None


async def test_the_apps_own_watcher_runs_in_the_background(app, engine, settings):
    _, (case_id,) = await _late_cases(engine, settings, 1)
    await app.state.sla_watcher.run_once()
    assert _breaches(await feed_types(engine, case_id)) == ["firstResponse", "resolution"]

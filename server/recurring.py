"""The recurring case runner: opens due occurrences of recurring schedules.

Every server process runs one (started and stopped in the app's lifespan). The work is in
resolvers/services/recurring_runs.py: one transaction per occurrence with
`FOR UPDATE SKIP LOCKED` on the schedule and the run row's primary key, so any number of
processes open each occurrence exactly once. All state is in the database: a restarted
process picks up where the schedules stand, and occurrences missed while every process
was down are opened on the next pass, in order.

After a pass the runner sleeps until the earliest next occurrence (at most
`poll_seconds`); a saved schedule wakes it through PostgreSQL NOTIFY, so a schedule due
sooner than that is not missed. A pass that hit its limit goes on at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.services import recurring_runs
from resolvers.services.recurring_cases import WAKE_CHANNEL
from server.db.engine import make_session_factory
from server.pubsub.broker import Broker

log = logging.getLogger(__name__)


class RecurringRunner:
    def __init__(
        self,
        engine: AsyncEngine,
        broker: Broker,
        *,
        listen_dsn: str | None = None,
        poll_seconds: float = 60.0,
        limit: int = recurring_runs.DEFAULT_LIMIT,
    ) -> None:
        self.sessions = make_session_factory(engine)
        self.broker = broker
        self.listen_dsn = listen_dsn
        self.poll_seconds = poll_seconds
        self.limit = limit
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None  # asyncpg connection holding LISTEN

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="recurring-case-runner")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close_listener()

    def nudge(self) -> None:
        self._wake.set()

    async def run_once(self, now: dt.datetime | None = None) -> recurring_runs.Pass:
        """One pass over the due occurrences (what `casegraph recurring run-due` does)."""
        return await recurring_runs.run_due(
            sessions=self.sessions, broker=self.broker, now=now, limit=self.limit
        )

    async def _run(self) -> None:
        while True:
            await self._listen()
            self._wake.clear()  # before the pass: a NOTIFY from now on is not lost
            wait = self.poll_seconds
            try:
                done = await self.run_once()
                if len(done.runs) >= self.limit:
                    await asyncio.sleep(0)  # let requests in, then go on with the backlog
                    continue
                due = await recurring_runs.earliest_due(self.sessions)
                if due is not None and not done.failed:
                    until = (due - dt.datetime.now(dt.UTC)).total_seconds()
                    # At least a moment: a due schedule another process holds right now.
                    wait = min(wait, max(0.2, until + 0.01))
            except Exception:  # the database may be away for a moment: try again later
                log.exception("recurring case runner pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _listen(self) -> None:
        """(Re)open the LISTEN connection if there is none; failures fall back to polling."""
        if self.listen_dsn is None or (self._listener and not self._listener.is_closed()):
            return
        try:
            self._listener = await asyncpg.connect(self.listen_dsn)
            await self._listener.add_listener(WAKE_CHANNEL, lambda *_: self._wake.set())
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("recurring LISTEN unavailable; polling", extra={"error": repr(exc)})
            await self._close_listener()

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(Exception):
                await listener.close(timeout=2)

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

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.services import recurring_runs
from resolvers.services.recurring_cases import WAKE_CHANNEL
from server.background import BackgroundLoop
from server.db.engine import make_session_factory
from server.pubsub.broker import Broker

log = logging.getLogger(__name__)


class RecurringRunner(BackgroundLoop):
    task_name = "recurring-case-runner"
    wake_channel = WAKE_CHANNEL

    def __init__(
        self,
        engine: AsyncEngine,
        broker: Broker,
        *,
        listen_dsn: str | None = None,
        poll_seconds: float = 60.0,
        limit: int = recurring_runs.DEFAULT_LIMIT,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds, listen_dsn=listen_dsn)
        self.sessions = make_session_factory(engine)
        self.broker = broker
        self.limit = limit

    async def run_once(self, now: dt.datetime | None = None) -> recurring_runs.Pass:
        """One pass over the due occurrences (what `casegraph recurring run-due` does)."""
        return await recurring_runs.run_due(
            sessions=self.sessions, broker=self.broker, now=now, limit=self.limit
        )

    async def one_pass(self) -> float:
        done = await self.run_once()
        if len(done.runs) >= self.limit:
            return 0  # the pass hit its limit: go on with the backlog
        due = await recurring_runs.earliest_due(self.sessions)
        if due is None or done.failed:
            return self.poll_seconds
        until = (due - dt.datetime.now(dt.UTC)).total_seconds()
        # At least a moment: a due schedule another process holds right now.
        return min(self.poll_seconds, max(0.2, until + 0.01))

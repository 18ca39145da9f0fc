"""The SLA breach watcher: marks breached targets and writes their feed entries.

Each server process runs one, like the notification dispatcher. Every `poll_seconds` it
runs resolvers.services.sla.record_due_breaches in one short transaction: the rows are
claimed with `FOR UPDATE SKIP LOCKED` and marked only while `*_breached_at IS NULL`, so
however many processes poll at once, each breach is marked, and its SLA_BREACHED entry
written, exactly once. The feed events are published after the commit, as every feed
write does. Breaches come from the passing of time, not from a write, so there is no
NOTIFY to wake on: polling is the design (the SLA field itself is computed per request,
so a case shows BREACHED at its due time whatever the poll interval).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.services import sla
from resolvers.services.outbox import Outbox
from server.background import BackgroundLoop
from server.db.engine import make_session_factory
from server.pubsub.broker import Broker

log = logging.getLogger(__name__)


class SlaWatcher(BackgroundLoop):
    task_name = "sla-watcher"

    def __init__(
        self,
        engine: AsyncEngine,
        broker: Broker,
        *,
        poll_seconds: float = 5.0,
        batch_size: int = 100,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.sessions = make_session_factory(engine)
        self.broker = broker
        self.batch_size = batch_size

    async def run_once(self) -> int:
        """Mark one batch per target of newly breached cases; the number marked."""
        outbox = Outbox()
        async with self.sessions() as session, session.begin():
            marked = await sla.record_due_breaches(
                session=session, outbox=outbox, batch=self.batch_size
            )
        await outbox.publish(self.broker)
        return marked

    async def one_pass(self) -> float:
        marked = await self.run_once()
        return 0 if marked >= self.batch_size else self.poll_seconds  # 0: more may be due

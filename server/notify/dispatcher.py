"""The notification dispatcher: delivers queued `notifications` rows after their commit.

Each server process runs one. A dispatcher claims due rows with `FOR UPDATE SKIP LOCKED`
and, in the same short statement, leases them (pushes `next_attempt_at` past the time a
send may take), then sends outside any transaction. So several processes never send a
row twice, no transaction stays open during network I/O, and a row whose process died
mid-send is simply due again when its lease runs out (delivery is at least once).

A failed send is retried with exponential backoff until `max_attempts`; the row keeps
its `last_error`. It wakes on the PostgreSQL NOTIFY that `enqueue` raises at commit, and
polls every `poll_seconds` besides (a lost LISTEN connection only slows it down).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.services.notifications import SECRET_KINDS, WAKE_CHANNEL, render
from server.background import BackgroundLoop
from server.notify.senders import Outgoing, Senders

log = logging.getLogger(__name__)

_CLAIM = text(
    """
    UPDATE notifications AS n
    SET attempts = n.attempts + 1, next_attempt_at = now() + make_interval(secs => :lease)
    FROM (
        SELECT id FROM notifications
        WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < :max_attempts
        ORDER BY next_attempt_at, id
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    ) AS due
    WHERE n.id = due.id
    RETURNING n.id, n.channel, n.kind, n.recipient, n.subject, n.body, n.attempts
    """
)
# Rows that carried a secret (a link token, a sign-in code) keep no copy of it once
# they are sent or given up: the database holds only hashes of live credentials.
_REDACTED = "[removed after delivery: it held a sign-in secret]"
_BODY = "body = CASE WHEN kind = ANY(:secret_kinds) AND :done THEN :redacted ELSE body END"
# `attempts = :attempts`: only the claim that is still current records the outcome (a
# send that outlived its lease was claimed again elsewhere).
_SENT = text(
    f"UPDATE notifications SET sent_at = now(), last_error = NULL, {_BODY}"
    " WHERE id = :id AND attempts = :attempts"
)
_FAILED = text(
    f"UPDATE notifications SET last_error = :error, {_BODY},"
    " next_attempt_at = now() + make_interval(secs => :delay)"
    " WHERE id = :id AND attempts = :attempts"
)


def exponential_backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 30 s, 1 min, 2 min, …
    at most an hour."""
    return float(min(3600, 30 * 2 ** max(0, attempts - 1)))


class Dispatcher(BackgroundLoop):
    task_name = "notification-dispatcher"
    wake_channel = WAKE_CHANNEL

    def __init__(
        self,
        engine: AsyncEngine,
        senders: Senders,
        *,
        public_url: str,
        listen_dsn: str | None = None,
        poll_seconds: float = 1.0,
        batch_size: int = 20,
        lease_seconds: float = 300.0,
        max_attempts: int = 10,
        backoff: Callable[[int], float] = exponential_backoff,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds, listen_dsn=listen_dsn)
        self.engine = engine
        self.senders = senders
        self.public_url = public_url
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.backoff = backoff

    async def run_once(self) -> int:
        """Claim one batch of due rows and send them; the number claimed."""
        params = {
            "lease": self.lease_seconds,
            "max_attempts": self.max_attempts,
            "batch": self.batch_size,
        }
        async with self.engine.begin() as conn:
            rows = (await conn.execute(_CLAIM, params)).all()
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _deliver(self, row: Any) -> None:
        message = Outgoing(
            id=row.id,
            channel=row.channel,
            kind=row.kind,
            recipient=row.recipient,
            subject=row.subject,
            body=render(row.body, self.public_url),
        )
        outcome = {
            "id": row.id,
            "attempts": row.attempts,
            "secret_kinds": list(SECRET_KINDS),
            "redacted": _REDACTED,
        }
        try:
            # Well inside the lease, so no other process claims the row while it is sent.
            sender = self.senders.for_channel(message.channel)
            await asyncio.wait_for(sender.send(message), timeout=self.lease_seconds / 2)
        except Exception as exc:  # any sender failure is retried, never fatal
            delay = self.backoff(row.attempts)
            log.warning(
                "notification not sent",
                extra={"notification": row.id, "attempts": row.attempts, "error": repr(exc)},
            )
            error = f"{type(exc).__name__}: {exc}"[:1000]
            final = row.attempts >= self.max_attempts
            async with self.engine.begin() as conn:
                await conn.execute(
                    _FAILED, {**outcome, "error": error, "delay": delay, "done": final}
                )
            return
        async with self.engine.begin() as conn:
            await conn.execute(_SENT, {**outcome, "done": True})

    async def one_pass(self) -> float:
        claimed = await self.run_once()
        return 0 if claimed >= self.batch_size else self.poll_seconds  # 0: more may be due


def plain_dsn(database_url: str) -> str:
    """asyncpg takes postgresql:// URLs only."""
    for prefix in ("postgresql+asyncpg://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url

"""The process's one subscription to every case channel, fanned out in memory.

Publishers send small wake-ups (`{"id", "caseId"}`) after their transaction commits; the
hub holds ONE Redis pattern subscription per process (not one per socket) and hands each
wake-up to its listeners. Wake-ups carry no data anyone relies on: listeners read rows
from the database, so a wake-up that was lost is harmless once `on_gap` tells listeners to
re-read. The hub calls `on_gap` whenever it (re)subscribes, because anything published
while it was not subscribed went nowhere.

Without REDIS_URL the in-process broker taps the hub directly (one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any, Protocol

import orjson

from server.pubsub.broker import Broker, InProcessBroker

log = logging.getLogger(__name__)

# Every channel the hub relays: `case:{id}:feed|messages`, `access:{insurerId}` and
# `user:{id}:notifications`.
PATTERNS = ("case:*", "access:*", "user:*")


class HubListener(Protocol):
    def on_wakeup(self, channel: str, message: dict[str, Any]) -> None:
        """A row was committed (or access changed); must not block."""

    def on_gap(self) -> None:
        """Wake-ups may have been missed: re-read everything from the database."""


class Hub:
    """Fans wake-ups out to listeners; `start()` in the lifespan, `stop()` on shutdown."""

    def __init__(
        self,
        broker: Broker,
        redis_url: str | None,
        *,
        backoff_initial: float = 0.05,
        backoff_max: float = 5.0,
    ) -> None:
        self._broker = broker
        self._redis_url = redis_url
        self._listeners: list[HubListener] = []
        self._task: asyncio.Task[None] | None = None
        self._backoff = (backoff_initial, backoff_max)
        self.connected = asyncio.Event()
        self.reconnects = 0  # times the subscription was (re)established; for tests/metrics

    def add_listener(self, listener: HubListener) -> None:
        self._listeners.append(listener)

    def dispatch(self, channel: str, message: dict[str, Any]) -> None:
        for listener in self._listeners:
            try:
                listener.on_wakeup(channel, message)
            except Exception:  # one faulty listener must not starve the others
                log.exception("hub listener failed", extra={"channel": channel})

    def _gap(self) -> None:
        for listener in self._listeners:
            try:
                listener.on_gap()
            except Exception:
                log.exception("hub listener failed on gap")

    async def start(self) -> None:
        if isinstance(self._broker, InProcessBroker) or not self._redis_url:
            tap = getattr(self._broker, "add_tap", None)
            if tap is not None:
                tap(self.dispatch)
            self.connected.set()
            return
        self._task = asyncio.create_task(self._run_redis(self._redis_url), name="pubsub-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run_redis(self, url: str) -> None:
        from redis.asyncio import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No silent retries inside redis-py: a reconnect it hid from us would resubscribe
        # without telling listeners to re-read what was published in between.
        redis = Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_keepalive=True)
        initial, ceiling = self._backoff
        delay = initial
        try:
            while True:
                pubsub = redis.pubsub()
                try:
                    await pubsub.psubscribe(*PATTERNS)
                    await self._confirmed(pubsub)
                    self.reconnects += 1
                    self.connected.set()
                    self._gap()  # subscribed again: re-read what may have been missed
                    delay = initial
                    await self._pump(pubsub)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.connected.clear()
                    log.warning(
                        "redis subscription lost; reconnecting",
                        extra={"error": repr(exc), "retryInSeconds": round(delay, 3)},
                    )
                    await asyncio.sleep(delay * (0.5 + random.random()))  # jitter
                    delay = min(delay * 2, ceiling)
                finally:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
        finally:
            with contextlib.suppress(Exception):
                await redis.aclose()

    @staticmethod
    async def _confirmed(pubsub: Any) -> None:
        """Wait until Redis confirms every pattern: only then is nothing missed from here."""
        pending = len(PATTERNS)
        while pending:
            item = await pubsub.get_message(timeout=5.0)
            if item is None:
                raise TimeoutError("no psubscribe confirmation from Redis")
            if item["type"] == "psubscribe":
                pending -= 1

    async def _pump(self, pubsub: Any) -> None:
        while True:
            # A bounded wait, then a PING: a silently dead connection surfaces as an error.
            item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=10.0)
            if item is None:
                await pubsub.ping()
                continue
            if item["type"] != "pmessage":
                continue
            channel = item["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            try:
                message = orjson.loads(item["data"])
            except orjson.JSONDecodeError:
                log.warning("ignoring a malformed wake-up", extra={"channel": channel})
                continue
            self.dispatch(channel, message)

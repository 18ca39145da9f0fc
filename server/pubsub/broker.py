"""Publish/subscribe between server processes: Redis when configured, else in-process.

Messages are small JSON objects naming ids (the database is the source of truth);
publishers call `publish` only after their transaction has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import orjson


class Broker(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...


class InProcessBroker:
    """One process, no network: each subscriber gets a bounded queue per channel."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._queue_size = queue_size
        self._taps: list[Callable[[str, dict[str, Any]], None]] = []

    def add_tap(self, tap: Callable[[str, dict[str, Any]], None]) -> None:
        """Also hand every message to `tap` (the process's hub), whatever its channel."""
        self._taps.append(tap)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for tap in self._taps:
            tap(channel, message)
        for queue in list(self._queues.get(channel, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._queues[channel].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                del self._queues[channel]

    async def close(self) -> None:
        self._queues.clear()

    async def ping(self) -> bool:
        return True


class RedisBroker:
    """Redis pub/sub shared by every process that points at the same REDIS_URL."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(channel, orjson.dumps(message))

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(channel)
        try:
            async for item in pubsub.listen():
                if item["type"] == "message":
                    yield orjson.loads(item["data"])
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()

    async def ping(self) -> bool:
        return bool(await self._redis.ping())


def make_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()


def case_channel(case_id: int, kind: str) -> str:
    """`case:{id}:messages` or `case:{id}:feed`."""
    return f"case:{case_id}:{kind}"


def access_channel(insurer_id: int) -> str:
    """`access:{insurerId}`: someone's access in this portal was revoked or changed."""
    return f"access:{insurer_id}"


def user_channel(user_id: int) -> str:
    """`user:{id}:notifications`: a new in-app notification for this user only."""
    return f"user:{user_id}:notifications"

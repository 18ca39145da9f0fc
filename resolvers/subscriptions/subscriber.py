"""One live subscription's inbox, and the loop that turns it into an ordered stream.

Ordering and no loss: the database is the source of truth and every row has a position
(its id within a case; (txid, kind, id) across cases). A subscriber registers with its
tail first, then reads what it missed from the database, then takes live deliveries,
skipping any position it has already passed: no gap (registration precedes the read), no
duplicate (positions only grow).

Slow consumers: the inbox is bounded. When it overflows, its contents are dropped and the
subscriber is marked lagging; it then re-reads from its last position in the database,
page by page, as fast as the client reads. Memory stays bounded and nothing is lost.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from permissions.principal import Principal
from resolvers.subscriptions.access import View

INBOX_LIMIT = 256  # deliveries held per subscriber before it falls back to the database


@dataclass(slots=True)
class Delivery:
    position: Any  # int within a case, (txid, kind, id) across cases
    kind: str  # "feed" or "messages"
    row: Any
    view: View  # the scope's fresh principal and loaders for this batch


@dataclass(slots=True)
class Page:
    deliveries: list[Delivery]
    last: Any  # position of the last row read, delivered or skipped
    full: bool  # there may be more after `last`
    ended: Exception | None = None  # access ended at `last`


@dataclass(eq=False)
class Subscriber:
    principal: Principal
    case_id: int | None = None  # one-case subscriptions
    kinds: frozenset[str] = frozenset({"feed", "messages"})
    feed_types: frozenset[str] | None = None
    limit: int = INBOX_LIMIT
    inbox: deque[Delivery] = field(default_factory=deque)
    lagging: bool = False
    ended: Exception | None = None
    overflows: int = 0
    # For a subscription "from now" (no `after`): positions its source says had already
    # committed when it registered. The viewer tail's start position cannot say that alone
    # (rows of transactions above the horizon may be committed already).
    committed_before: Callable[[Any], bool] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, kind: str, row: Any) -> bool:
        if kind not in self.kinds:
            return False
        return kind != "feed" or self.feed_types is None or row.type in self.feed_types

    def push(self, delivery: Delivery) -> None:
        if self.lagging or self.ended is not None:
            return  # it will re-read from the database
        if len(self.inbox) >= self.limit:
            self.inbox.clear()
            self.lagging = True
            self.overflows += 1
        else:
            self.inbox.append(delivery)
        self._ready.set()

    def end(self, error: Exception) -> None:
        if self.ended is None:
            self.ended = error
            self.inbox.clear()
            self._ready.set()

    def resume(self) -> None:
        """About to re-read from the database: live deliveries flow again from here."""
        self.lagging = False
        self.inbox.clear()

    async def next(self) -> Delivery | None:
        """The next live delivery; None when the subscriber must re-read or has ended."""
        while not self.inbox:
            if self.lagging or self.ended is not None:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self.inbox.popleft()


class Source(Protocol):
    async def register(self, subscriber: Subscriber) -> Any:
        """Start pushing to `subscriber`; returns the position pushes start after."""

    def unregister(self, subscriber: Subscriber) -> None: ...

    async def backlog(self, subscriber: Subscriber, after: Any) -> Page:
        """Rows after `after` from the database, checked for the subscriber."""


async def follow(
    source: Source, subscriber: Subscriber, after: Any | None
) -> AsyncIterator[Delivery]:
    """Backlog after `after` (if given), then live deliveries; in order, each once."""
    start = await source.register(subscriber)
    seen = subscriber.committed_before if after is None else None
    try:
        position = start if after is None else after
        reread = after is not None
        while True:
            if subscriber.ended is not None:
                raise subscriber.ended
            if reread or subscriber.lagging:
                subscriber.resume()  # before the read: what commits after it is pushed
                page = await source.backlog(subscriber, position)
                for delivery in page.deliveries:
                    if seen is None or not seen(delivery.position):
                        yield delivery
                if page.ended is not None:
                    raise page.ended
                position = max(position, page.last)
                reread = page.full
                continue
            delivery = await subscriber.next()
            if delivery is None or delivery.position <= position:
                continue
            position = delivery.position
            if seen is None or not seen(position):
                yield delivery
    finally:
        source.unregister(subscriber)

"""Live streams keyed by one column (a case's rows, a user's notifications): a tail per key
with subscribers in this process, one reader for all of them.

Within one key, ids are in commit order (every writer locks the key's row before it draws
an id), so "rows of K with id > p" never misses one that commits later. Each tail
remembers the last id it read; a wake-up marks its key dirty and one statement reads the
new rows of every dirty key, once per process. Backlog pages (a subscriber resuming after
a cursor, or lagging) are read in batches too (resolvers.subscriptions.coalesced_reads).
Subclasses say how a subscriber maps to its key, how a batch is checked and which rows
each subscriber gets.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, and_, cast, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.subscriptions.coalesced_reads import CoalescedReads
from resolvers.subscriptions.subscriber import Page, Subscriber
from resolvers.subscriptions.worker import Worker

READ_LIMIT = 1000  # rows per read across all dirty keys; more is read in the next step
PAGE = 200  # rows per backlog page of one subscriber


@dataclass(eq=False)
class Tail:
    key: int
    insurer_id: int
    position: int | None = None  # None while the starting position is being read
    ready: asyncio.Future[None] | None = None
    subscribers: set[Subscriber] = field(default_factory=set)


class KeyedTails(Worker):
    """The tails of one model, keyed by its `key_column` (e.g. "case_id")."""

    key_column: str
    page_size = PAGE  # an attribute so that tests can cut pages short

    def __init__(self, engine: AsyncEngine, model: Any) -> None:
        super().__init__()
        self.engine = engine
        self.model = model
        self._tails: dict[int, Tail] = {}
        self._dirty: set[int] = set()
        self._recheck: set[int] = set()
        self._taken: set[int] = set()  # what the running step took, put back if it fails
        self._taken_recheck: set[int] = set()
        self._backlogs = CoalescedReads(self._read_backlogs)

    # -- what subclasses decide ---------------------------------------------------------

    def key_of(self, subscriber: Subscriber) -> int:
        raise NotImplementedError

    async def check(self, subscribers: list[Subscriber], keys: list[int], rows: list[Any]) -> Any:
        """The access verdicts of a batch (resolvers.subscriptions.access.check_access)."""
        raise NotImplementedError

    def page(self, subscriber: Subscriber, rows: list[Any], access: Any, after: int) -> Page:
        """A backlog page of `rows` for one subscriber."""
        raise NotImplementedError

    def dispatch(self, tail: Tail, rows: list[Any], access: Any, checked: set[Subscriber]) -> None:
        """Push a batch's rows of one key to the tail's subscribers. One not in `checked`
        registered while the batch was being checked: it starts after these rows (register
        reads the key's last id), so they are not news to it, and it has no verdict here."""
        raise NotImplementedError

    # -- wake-ups ---------------------------------------------------------------------

    def on_row(self, key: int) -> None:
        if key in self._tails:
            self._dirty.add(key)
            self.wake()

    def on_access_changed(self, insurer_id: int | None) -> None:
        """Re-check every subscriber of the portal (None: of every portal) now."""
        self._recheck.update(
            t.key for t in self._tails.values() if insurer_id in (None, t.insurer_id)
        )
        self.wake()

    def on_gap(self) -> None:
        self._dirty.update(self._tails)
        self.wake()

    @property
    def subscriber_count(self) -> int:
        return sum(len(t.subscribers) for t in self._tails.values())

    # -- Source -----------------------------------------------------------------------

    async def register(self, subscriber: Subscriber) -> int:
        key = self.key_of(subscriber)
        tail = self._tails.get(key)
        if tail is None:
            tail = Tail(key, subscriber.principal.insurer_id)
            tail.ready = asyncio.get_running_loop().create_future()
            self._tails[key] = tail
            try:
                tail.position = await self._last_id(key)
            except BaseException as exc:
                del self._tails[key]
                tail.ready.set_exception(exc)
                tail.ready.exception()  # retrieved: waiters re-raise it themselves
                raise
            tail.ready.set_result(None)
            self.on_row(key)  # a wake-up during the read above is not lost
            tail.subscribers.add(subscriber)
            return tail.position
        if tail.ready is not None and not tail.ready.done():
            await asyncio.shield(tail.ready)
        tail.subscribers.add(subscriber)
        assert tail.position is not None
        # "From now": rows committed without a wake-up (imports, seeds) since the tail's
        # last read are the past, not news. The tail pushes everything after its position;
        # the subscriber skips what is not after this.
        return max(tail.position, await self._last_id(key))

    def unregister(self, subscriber: Subscriber) -> None:
        tail = self._tails.get(self.key_of(subscriber))
        if tail is None:
            return
        tail.subscribers.discard(subscriber)
        if not tail.subscribers and tail.position is not None:
            del self._tails[tail.key]

    async def backlog(self, subscriber: Subscriber, after: int) -> Page:
        return await self._backlogs((subscriber, after))

    async def _read_backlogs(self, requests: list[tuple[Subscriber, int]]) -> list[Page]:
        """The backlog pages of a batch of (subscriber, after): one statement reads the
        rows of every distinct (key, after), one check covers every subscriber."""
        wanted = [(self.key_of(subscriber), after) for subscriber, after in requests]
        rows = await self._read_pages(sorted(set(wanted)))
        ids_by_key: dict[int, list[int]] = {}
        rows_by_key: dict[int, list[Any]] = {}
        for row in rows:
            key = getattr(row, self.key_column)
            ids_by_key.setdefault(key, []).append(row.id)
            rows_by_key.setdefault(key, []).append(row)
        subscribers = list(dict.fromkeys(subscriber for subscriber, _ in requests))
        keys = list(dict.fromkeys(key for key, _ in wanted))
        access = await self.check(subscribers, keys, rows)
        pages = []
        for (subscriber, after), (key, _) in zip(requests, wanted, strict=True):
            # The rows read cover this page: its own read would return the first page_size
            # rows of the key after `after`, and the statement read each of them.
            start = bisect_right(ids_by_key.get(key, []), after)
            own = rows_by_key.get(key, [])[start : start + self.page_size]
            pages.append(self.page(subscriber, own, access, after))
        return pages

    async def _read_pages(self, wanted: list[tuple[int, int]]) -> list[Any]:
        """The first page_size rows of each (key, after) in id order, each row once."""
        model = self.model
        groups = _pairs([key for key, _ in wanted], [after for _, after in wanted])
        page = (
            select(model.id)
            .where(getattr(model, self.key_column) == groups.c.key, model.id > groups.c.after_id)
            .order_by(model.id)
            .limit(self.page_size)
            .lateral("page")
        )
        ids = select(page.c.id).select_from(groups).join(page, true())
        stmt = select(*model.__table__.c).where(model.id.in_(ids)).order_by(model.id)
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    # -- the reader -------------------------------------------------------------------

    async def _last_id(self, key: int) -> int:
        column = getattr(self.model, self.key_column)
        stmt = select(func.coalesce(func.max(self.model.id), 0)).where(column == key)
        async with self.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    def on_failure(self) -> None:
        self._dirty.update(self._taken)
        self._recheck.update(self._taken_recheck)

    async def step(self) -> None:
        self._taken, self._dirty = self._dirty, set()
        self._taken_recheck, self._recheck = self._recheck, set()
        tails = [
            t
            for key in self._taken | self._taken_recheck
            if (t := self._tails.get(key)) is not None and t.position is not None
        ]
        if not tails:
            return
        reading = [t for t in tails if t.key in self._taken]
        rows = await self._read_new(reading) if reading else []
        by_key: dict[int, list[Any]] = {}
        for row in rows:
            by_key.setdefault(getattr(row, self.key_column), []).append(row)
        subscribers = {s for t in tails for s in t.subscribers}
        access = await self.check(list(subscribers), [t.key for t in tails], rows)
        for tail in tails:
            own = by_key.get(tail.key, [])
            self.dispatch(tail, own, access, checked=subscribers)
            if own:
                tail.position = max(tail.position or 0, own[-1].id)
        if len(rows) == READ_LIMIT:
            self._dirty.update(t.key for t in reading)
            self.wake()

    async def _read_new(self, tails: list[Tail]) -> list[Any]:
        """New rows of every given key after its tail's position, in one statement."""
        after = _pairs([t.key for t in tails], [t.position for t in tails])
        model = self.model
        column = getattr(model, self.key_column)
        stmt = (
            select(*model.__table__.c)
            .join(after, and_(column == after.c.key, model.id > after.c.after_id))
            .order_by(model.id)
            .limit(READ_LIMIT)
        )
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())


def _pairs(keys: Sequence[int], afters: Sequence[int | None]) -> Any:
    """(key, after_id) rows from two arrays, as a table to join on."""
    return (
        func.unnest(cast(keys, ARRAY(BigInteger)), cast(afters, ARRAY(BigInteger)))
        .table_valued("key", "after_id")
        .render_derived(with_types=False)
        .alias("after")
    )

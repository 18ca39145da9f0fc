"""Live streams keyed by one column (a case's rows, a user's notifications): a tail per key
with subscribers in this process, one reader for all of them.

Within one key, ids are in commit order (every writer locks the key's row before it draws
an id), so "rows of K with id > p" never misses one that commits later. Each tail
remembers the last id it read; a wake-up marks its key dirty and one statement reads the
new rows of every dirty key, once per process. Registrations (a restart reconnects
thousands of subscribers at once) and backlog pages (a subscriber resuming after a cursor,
or lagging) are read in batches too (resolvers.subscriptions.coalesced_reads).
Subclasses say how a subscriber maps to its key, how a batch is checked and which rows
each subscriber gets.
"""

from __future__ import annotations

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
    position: int | None = None  # None until its first registration read returns
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
        self._last_ids = CoalescedReads(self._read_last_ids)
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
            tail = self._tails[key] = Tail(key, subscriber.principal.insurer_id)
        before = tail.position  # rows up to here were read before this registration
        # Registered before its read starts (a coalesced read never joins a running one):
        # every row after the last id it returns is pushed to it.
        tail.subscribers.add(subscriber)
        try:
            last = await self._last_ids(key)
        except BaseException:
            self.unregister(subscriber)
            raise
        # "From now": rows committed without a wake-up (imports, seeds) since the tail's
        # last read are the past, not news. The tail pushes everything after its position;
        # the subscriber skips what is not after this.
        return last if before is None else max(before, last)

    def unregister(self, subscriber: Subscriber) -> None:
        tail = self._tails.get(self.key_of(subscriber))
        if tail is None:
            return
        tail.subscribers.discard(subscriber)
        if not tail.subscribers:
            del self._tails[tail.key]

    async def _read_last_ids(self, keys: list[int]) -> list[int]:
        """The last id of each key, in one statement. A new tail starts at the first read
        that returns for it: every subscriber registered before that read started starts
        there, and any later one at its own, later read (positions only grow)."""
        model = self.model
        wanted = (
            func.unnest(cast(sorted(set(keys)), ARRAY(BigInteger)))
            .table_valued("key")
            .render_derived(with_types=False)
            .alias("wanted")
        )
        column = getattr(model, self.key_column)
        last = select(func.coalesce(func.max(model.id), 0)).where(column == wanted.c.key)
        stmt = select(wanted.c.key, last.scalar_subquery())
        async with self.engine.connect() as conn:
            last_ids = {key: last_id for key, last_id in await conn.execute(stmt)}
        for key, last_id in last_ids.items():
            tail = self._tails.get(key)
            if tail is not None and tail.position is None:
                tail.position = last_id
                self.on_row(key)  # a wake-up during the read is not lost
        return [last_ids[key] for key in keys]

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

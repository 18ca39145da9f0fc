"""One-case live streams (`caseFeed`, `caseMessages`): a tail per case, one reader for all.

Within a case, ids are in commit order: every writer locks the case row (`case_for_update`)
before it inserts a feed entry or message, so a row can only become visible after every
row with a smaller id of the same case. "Rows of case C with id > p" therefore never
misses one that commits later. Each tail remembers the last id it read; a wake-up marks
its case dirty and one statement reads the new rows of every dirty case, once per process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, and_, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.subscriptions.access import Verdict, check_access, ended_error, verdict
from resolvers.subscriptions.subscriber import Delivery, Page, Subscriber
from resolvers.subscriptions.worker import Worker
from server.db.models import FeedEntry, Message

MODELS: dict[str, Any] = {"feed": FeedEntry, "messages": Message}
READ_LIMIT = 1000  # rows per read across all dirty cases; more is read in the next step
PAGE = 200  # rows per backlog page of one subscriber


@dataclass(eq=False)
class _Tail:
    case_id: int
    insurer_id: int
    position: int | None = None  # None while the starting position is being read
    ready: asyncio.Future[None] | None = None
    subscribers: set[Subscriber] = field(default_factory=set)


class CaseTails(Worker):
    """The tails of one kind ('feed' or 'messages') in this process."""

    def __init__(self, engine: AsyncEngine, kind: str) -> None:
        super().__init__()
        self.name = f"case-{kind}"
        self.engine = engine
        self.kind = kind
        self.model = MODELS[kind]
        self._tails: dict[int, _Tail] = {}
        self._dirty: set[int] = set()
        self._recheck: set[int] = set()
        self._taken: set[int] = set()  # what the running step took, put back if it fails
        self._taken_recheck: set[int] = set()

    # -- wake-ups ---------------------------------------------------------------------

    def on_row(self, case_id: int) -> None:
        if case_id in self._tails:
            self._dirty.add(case_id)
            self.wake()

    def on_access_changed(self, insurer_id: int | None) -> None:
        """Re-check every subscriber of the portal (None: of every portal) now."""
        self._recheck.update(
            t.case_id for t in self._tails.values() if insurer_id in (None, t.insurer_id)
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
        assert subscriber.case_id is not None
        tail = self._tails.get(subscriber.case_id)
        if tail is None:
            tail = _Tail(subscriber.case_id, subscriber.principal.insurer_id)
            tail.ready = asyncio.get_running_loop().create_future()
            self._tails[tail.case_id] = tail
            try:
                tail.position = await self._last_id(tail.case_id)
            except BaseException as exc:
                del self._tails[tail.case_id]
                tail.ready.set_exception(exc)
                tail.ready.exception()  # retrieved: waiters re-raise it themselves
                raise
            tail.ready.set_result(None)
            self.on_row(tail.case_id)  # a wake-up during the read above is not lost
            tail.subscribers.add(subscriber)
            return tail.position
        if tail.ready is not None and not tail.ready.done():
            await asyncio.shield(tail.ready)
        tail.subscribers.add(subscriber)
        assert tail.position is not None
        # "From now": rows committed without a wake-up (imports, seeds) since the tail's
        # last read are the past, not news. The tail pushes everything after its position;
        # the subscriber skips what is not after this.
        return max(tail.position, await self._last_id(tail.case_id))

    def unregister(self, subscriber: Subscriber) -> None:
        tail = self._tails.get(subscriber.case_id or 0)
        if tail is None:
            return
        tail.subscribers.discard(subscriber)
        if not tail.subscribers and tail.position is not None:
            del self._tails[tail.case_id]

    async def backlog(self, subscriber: Subscriber, after: int) -> Page:
        assert subscriber.case_id is not None
        stmt = (
            select(*self.model.__table__.c)
            .where(self.model.case_id == subscriber.case_id, self.model.id > after)
            .order_by(self.model.id)
            .limit(PAGE)
        )
        async with self.engine.connect() as conn:
            rows = list((await conn.execute(stmt)).all())
        feed_ids = [r.id for r in rows] if self.kind == "feed" else []
        access = await check_access(
            self.engine, [subscriber.principal], [subscriber.case_id], feed_ids
        )
        view = access.view_for(subscriber.principal)
        page = Page([], rows[-1].id if rows else after, full=len(rows) == PAGE)
        for row in rows or [None]:
            result = verdict(view, self.kind, subscriber.case_id, row, one_case=True)
            if result in (Verdict.REVOKED, Verdict.LOST_CASE):
                page.ended = ended_error(result)
                break
            if row is not None and result is Verdict.DELIVER and view is not None:
                page.deliveries.append(Delivery(row.id, self.kind, row, view))
        return page

    # -- the reader -------------------------------------------------------------------

    async def _last_id(self, case_id: int) -> int:
        stmt = select(func.coalesce(func.max(self.model.id), 0)).where(
            self.model.case_id == case_id
        )
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
            for case_id in self._taken | self._taken_recheck
            if (t := self._tails.get(case_id)) is not None and t.position is not None
        ]
        if not tails:
            return
        reading = [t for t in tails if t.case_id in self._taken]
        rows = await self._read_new(reading) if reading else []
        by_case: dict[int, list[Any]] = {}
        for row in rows:
            by_case.setdefault(row.case_id, []).append(row)
        subscribers = {s for t in tails for s in t.subscribers}
        feed_ids = [r.id for r in rows] if self.kind == "feed" else []
        access = await check_access(
            self.engine, [s.principal for s in subscribers], [t.case_id for t in tails], feed_ids
        )
        for tail in tails:
            self._dispatch(tail, by_case.get(tail.case_id, []), access, subscribers)
        if len(rows) == READ_LIMIT:
            self._dirty.update(t.case_id for t in reading)
            self.wake()

    def _dispatch(
        self, tail: _Tail, rows: list[Any], access: Any, checked: set[Subscriber]
    ) -> None:
        for subscriber in list(tail.subscribers):
            if subscriber not in checked:
                # Registered while this batch was being checked: it starts after the rows
                # just read (register reads the case's last id), so they are not news to it,
                # and it has no verdict here (without this, it read as revoked).
                continue
            view = access.view_for(subscriber.principal)
            # The case itself first: a lost case ends the stream even without new rows.
            result = verdict(view, self.kind, tail.case_id, None, one_case=True)
            if result is not Verdict.DELIVER:
                subscriber.end(ended_error(result))
                continue
            for row in rows:
                if verdict(view, self.kind, tail.case_id, row, one_case=True) is Verdict.DELIVER:
                    subscriber.push(Delivery(row.id, self.kind, row, view))  # type: ignore[arg-type]
        if rows:
            tail.position = max(tail.position or 0, rows[-1].id)

    async def _read_new(self, tails: list[_Tail]) -> list[Any]:
        """New rows of every given case after its tail's position, in one statement."""
        after = (
            func.unnest(
                cast([t.case_id for t in tails], ARRAY(BigInteger)),
                cast([t.position for t in tails], ARRAY(BigInteger)),
            )
            .table_valued("case_id", "after_id")
            .render_derived(with_types=False)
            .alias("after")
        )
        model = self.model
        stmt = (
            select(*model.__table__.c)
            .join(after, and_(model.case_id == after.c.case_id, model.id > after.c.after_id))
            .order_by(model.id)
            .limit(READ_LIMIT)
        )
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

"""`viewerCaseEvents`: messages and feed entries of every case a viewer sees, in one order.

Ids are not in commit order across cases (two transactions on two cases commit in either
order), so the position is (txid, kind, id): txid is the inserting transaction's 64-bit
id. A row is only delivered once its transaction is older than the oldest one still
running (`pg_snapshot_xmin(pg_current_snapshot())`, the horizon): below the horizon no
transaction can still commit, so no row can later appear before one already delivered.
Rows of one transaction are ordered messages first, then feed entries, each by id.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Text, cast, exists, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from permissions import scopes
from permissions.principal import Principal
from permissions.sharing import sharing_key
from resolvers.subscriptions.access import Verdict, check_access, ended_error, verdict
from resolvers.subscriptions.coalesced_reads import CoalescedReads
from resolvers.subscriptions.subscriber import Delivery, Page, Subscriber
from resolvers.subscriptions.worker import Worker
from server.db.models import Case, FeedEntry, Message

Position = tuple[int, int, int]  # (txid, kind rank, id)
KINDS: list[tuple[str, int, Any]] = [("messages", 0, Message), ("feed", 1, FeedEntry)]
READ_LIMIT = 1000
PAGE = 200
SETTLE_DELAYS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)  # polling while rows settle

_HORIZON = cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)
_SNAPSHOT = cast(func.pg_current_snapshot(), Text)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A PostgreSQL snapshot (`xmin:xmax:xip,...`): which transactions had committed."""

    xmin: int
    xmax: int
    running: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> Snapshot:
        xmin, xmax, xip = text.split(":")
        return cls(int(xmin), int(xmax), frozenset(int(x) for x in xip.split(",") if x))

    def sees(self, txid: int) -> bool:
        """Whether the transaction had committed (or aborted) when the snapshot was taken."""
        return txid < self.xmin or (txid < self.xmax and txid not in self.running)


def _after(model: Any, rank: int, position: Position) -> ColumnElement[bool]:
    """Rows of `model` (all of kind `rank`) strictly after `position`, index-friendly."""
    txid, kind, row_id = position
    if rank > kind:
        return model.txid >= txid
    if rank < kind:
        return model.txid > txid
    return tuple_(model.txid, model.id) > tuple_(txid, row_id)


async def read_settled(
    conn: AsyncConnection,
    insurer_ids: list[int],
    after: Position,
    limit: int,
    *,
    kinds: frozenset[str] = frozenset({"feed", "messages"}),
    principal: Principal | None = None,
) -> tuple[list[tuple[Position, str, Any]], bool, bool]:
    """(rows in position order, full, unsettled): settled rows after `after`; `full` when
    the limit cut the read; `unsettled` when committed rows still wait for the horizon."""
    unsettled_checks = [
        exists().where(model.insurer_id.in_(insurer_ids), model.txid >= _HORIZON).label(name)
        for name, _, model in KINDS
        if name in kinds
    ]
    first = (await conn.execute(select(_HORIZON.label("horizon"), *unsettled_checks))).one()
    horizon = int(first.horizon)
    unsettled = any(first[1:])
    streams: list[list[tuple[Position, str, Any]]] = []
    cap: Position | None = None
    for name, rank, model in KINDS:
        if name not in kinds:
            continue
        conditions = [
            model.insurer_id.in_(insurer_ids),
            _after(model, rank, after),
            model.txid < horizon,
        ]
        if principal is not None:  # a backlog: narrow to the principal's cases in SQL
            visible = select(Case.id).where(scopes.visible_cases(principal))
            conditions.append(model.case_id.in_(visible))
        stmt = (
            select(*model.__table__.c)
            .where(*conditions)
            .order_by(model.txid, model.id)
            .limit(limit)
        )
        rows = [((r.txid, rank, r.id), name, r) for r in await conn.execute(stmt)]
        if len(rows) == limit:  # this kind may go on past its last row: stop the merge there
            cap = rows[-1][0] if cap is None else min(cap, rows[-1][0])
        streams.append(rows)
    merged = list(heapq.merge(*streams, key=lambda item: item[0]))
    if cap is not None:
        merged = [item for item in merged if item[0] <= cap]
    return merged, cap is not None, unsettled


class ViewerTail(Worker):
    """One tail for every viewer subscription of this process, across portals."""

    name = "viewer-events"
    page_size = PAGE  # an attribute so that tests can cut pages short

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self.engine = engine
        self.position: Position | None = None  # None until the first registration's read
        self._by_insurer: dict[int, set[Subscriber]] = {}
        self._recheck: set[int | None] = set()
        self._settle_attempt = 0
        self._settle_handle: asyncio.TimerHandle | None = None
        self._snapshots = CoalescedReads(self._read_snapshot)
        self._backlogs = CoalescedReads(self._read_backlogs)

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._by_insurer.values())

    def on_row(self) -> None:
        if self._by_insurer:
            self.wake()

    def on_gap(self) -> None:
        self.on_row()

    def on_access_changed(self, insurer_id: int | None) -> None:
        if self._by_insurer:
            self._recheck.add(insurer_id)
            self.wake()

    async def register(self, subscriber: Subscriber) -> Position:
        before = self.position  # rows up to here were read before this registration
        # Registered before its snapshot is taken (a coalesced read never joins a running
        # one): every row of a transaction the snapshot does not see is pushed to it.
        self._by_insurer.setdefault(subscriber.principal.insurer_id, set()).add(subscriber)
        try:
            visible = await self._snapshots(None)
        except BaseException:
            self.unregister(subscriber)
            raise
        # "From now" (see KeyedTails.register): start at the snapshot's horizon at the
        # earliest, and skip rows the snapshot already sees: a transaction still open
        # elsewhere (any database of the server) holds the horizon back below rows
        # committed before now.
        subscriber.committed_before = lambda position: visible.sees(position[0])
        start = (visible.xmin, -1, 0)  # before every row of a transaction >= the horizon
        return start if before is None else max(before, start)

    async def _read_snapshot(self, requests: list[None]) -> list[Snapshot]:
        """One snapshot for every registration of the batch; the first one read is also
        where the tail starts (every later snapshot's horizon is at or after it)."""
        async with self.engine.connect() as conn:
            visible = Snapshot.parse(str((await conn.execute(select(_SNAPSHOT))).scalar_one()))
        if self.position is None:
            self.position = (visible.xmin, -1, 0)
        self.wake()
        return [visible] * len(requests)

    def unregister(self, subscriber: Subscriber) -> None:
        group = self._by_insurer.get(subscriber.principal.insurer_id)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del self._by_insurer[subscriber.principal.insurer_id]

    async def backlog(self, subscriber: Subscriber, after: Position) -> Page:
        return await self._backlogs((subscriber, after))

    async def _read_backlogs(self, requests: list[tuple[Subscriber, Position]]) -> list[Page]:
        """The backlog pages of a batch of (subscriber, after) on one connection: one read
        per distinct (portal, kinds, after, sharing key), one check for every subscriber.
        Equal sharing keys pass the same row scopes (permissions.sharing), so the rows a
        read narrows to one principal's cases are those of every principal of its group."""
        reads: dict[Hashable, tuple[list[tuple[Position, str, Any]], bool]] = {}
        async with self.engine.connect() as conn:
            for subscriber, after in requests:
                group = _backlog_group(subscriber, after)
                if group not in reads:
                    principal = subscriber.principal
                    rows, full, _ = await read_settled(
                        conn, [principal.insurer_id], after, self.page_size, kinds=subscriber.kinds,
                        principal=principal,
                    )  # fmt: skip
                    reads[group] = rows, full
        distinct = {row[0]: row for rows, _ in reads.values() for row in rows}
        subscribers = list(dict.fromkeys(subscriber for subscriber, _ in requests))
        access = await self._check(subscribers, list(distinct.values()))
        pages = []
        for subscriber, after in requests:
            rows, full = reads[_backlog_group(subscriber, after)]
            pages.append(self._page(subscriber, after, rows, full, access))
        return pages

    def _page(
        self,
        subscriber: Subscriber,
        after: Position,
        rows: list[tuple[Position, str, Any]],
        full: bool,
        access: Any,
    ) -> Page:
        view = access.view_for(subscriber.principal)
        page = Page([], rows[-1][0] if rows else after, full)
        if view is None:
            page.ended = ended_error(Verdict.REVOKED)
            return page
        for position, kind, row in rows:
            if self._wanted(subscriber, view, kind, row):
                page.deliveries.append(Delivery(position, kind, row, view))
        return page

    async def step(self) -> None:
        if self.position is None:
            return  # a recheck waits for the first registration's read (it wakes the tail)
        recheck, self._recheck = self._recheck, set()
        if not self._by_insurer:
            return
        async with self.engine.connect() as conn:
            rows, full, unsettled = await read_settled(
                conn, list(self._by_insurer), self.position, READ_LIMIT
            )
        insurers = {row.insurer_id for _, _, row in rows}
        if None in recheck:
            insurers.update(self._by_insurer)
        else:
            insurers.update(i for i in recheck if i in self._by_insurer)
        subscribers = [s for i in insurers for s in self._by_insurer.get(i, ())]
        access = await self._check(subscribers, rows) if subscribers else None
        for subscriber in subscribers:
            view = access.view_for(subscriber.principal) if access else None
            if view is None:
                subscriber.end(ended_error(Verdict.REVOKED))
        for position, kind, row in rows:
            for subscriber in list(self._by_insurer.get(row.insurer_id, ())):
                view = access.view_for(subscriber.principal) if access else None
                if view is not None and self._wanted(subscriber, view, kind, row):
                    subscriber.push(Delivery(position, kind, row, view))
        if rows:
            self.position = rows[-1][0]
        if full:
            self.wake()
        self._schedule_settle(unsettled and not full)

    def _schedule_settle(self, waiting: bool) -> None:
        """Rows are committed but above the horizon: look again soon, backing off."""
        if not waiting:
            self._settle_attempt = 0
            return
        delay = SETTLE_DELAYS[min(self._settle_attempt, len(SETTLE_DELAYS) - 1)]
        self._settle_attempt += 1
        if self._settle_handle is not None:
            self._settle_handle.cancel()
        self._settle_handle = asyncio.get_running_loop().call_later(delay, self.wake)

    async def _check(self, subscribers: list[Subscriber], rows: list[Any]) -> Any:
        case_ids = {row.case_id for _, _, row in rows}
        feed_ids = [row.id for _, kind, row in rows if kind == "feed"]
        return await check_access(
            self.engine, [s.principal for s in subscribers], case_ids, feed_ids
        )

    @staticmethod
    def _wanted(subscriber: Subscriber, view: Any, kind: str, row: Any) -> bool:
        if not subscriber.wants(kind, row):
            return False
        return verdict(view, kind, row.case_id, row, one_case=False) is Verdict.DELIVER


def _backlog_group(subscriber: Subscriber, after: Position) -> Hashable:
    """Backlog requests that one read_settled call answers alike."""
    principal = subscriber.principal
    return (principal.insurer_id, subscriber.kinds, after, sharing_key(principal))

"""`viewerNotificationAdded`: a person's new in-app notifications, live, in order, once.

A tail per user with subscribers in this process, like the case tails. Ids are in commit
order within one user: whoever writes a user's notification first locks that user's row
(resolvers.services.mentions.notify_mentioned), so "notifications of U with id > p" never
misses one that commits later. Wake-ups arrive on `user:{id}:notifications` after commit;
one statement reads the new rows of every woken user. Each batch re-reads the subscribers'
credentials (a deactivated user's stream ends with FORBIDDEN), and a notification is only
ever pushed to the subscribers of its own user.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, and_, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.subscriptions.access import Verdict, check_access, ended_error
from resolvers.subscriptions.subscriber import Delivery, Page, Subscriber
from resolvers.subscriptions.worker import Worker
from server.db.casework import UserNotification

KIND = "notifications"
READ_LIMIT = 1000
PAGE = 200


@dataclass(eq=False)
class _Tail:
    user_id: int
    insurer_id: int
    position: int | None = None
    ready: asyncio.Future[None] | None = None
    subscribers: set[Subscriber] = field(default_factory=set)


def _user_of(subscriber: Subscriber) -> int:
    user_id = subscriber.principal.user_id
    assert user_id is not None, "only people subscribe to notifications"
    return user_id


class NotificationTails(Worker):
    name = "user-notifications"

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self.engine = engine
        self._tails: dict[int, _Tail] = {}
        self._dirty: set[int] = set()
        self._recheck: set[int] = set()
        self._taken: set[int] = set()
        self._taken_recheck: set[int] = set()

    # -- wake-ups ---------------------------------------------------------------------

    def on_row(self, user_id: int) -> None:
        if user_id in self._tails:
            self._dirty.add(user_id)
            self.wake()

    def on_access_changed(self, insurer_id: int | None) -> None:
        self._recheck.update(
            t.user_id for t in self._tails.values() if insurer_id in (None, t.insurer_id)
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
        user_id = _user_of(subscriber)
        tail = self._tails.get(user_id)
        if tail is None:
            tail = _Tail(user_id, subscriber.principal.insurer_id)
            tail.ready = asyncio.get_running_loop().create_future()
            self._tails[user_id] = tail
            try:
                tail.position = await self._last_id(user_id)
            except BaseException as exc:
                del self._tails[user_id]
                tail.ready.set_exception(exc)
                tail.ready.exception()
                raise
            tail.ready.set_result(None)
            self.on_row(user_id)  # a wake-up during the read above is not lost
            tail.subscribers.add(subscriber)
            return tail.position
        if tail.ready is not None and not tail.ready.done():
            await asyncio.shield(tail.ready)
        tail.subscribers.add(subscriber)
        assert tail.position is not None
        return max(tail.position, await self._last_id(user_id))

    def unregister(self, subscriber: Subscriber) -> None:
        tail = self._tails.get(subscriber.principal.user_id or 0)
        if tail is None:
            return
        tail.subscribers.discard(subscriber)
        if not tail.subscribers and tail.position is not None:
            del self._tails[tail.user_id]

    async def backlog(self, subscriber: Subscriber, after: int) -> Page:
        user_id = _user_of(subscriber)
        stmt = (
            select(*UserNotification.__table__.c)
            .where(UserNotification.user_id == user_id, UserNotification.id > after)
            .order_by(UserNotification.id)
            .limit(PAGE)
        )
        async with self.engine.connect() as conn:
            rows = list((await conn.execute(stmt)).all())
        access = await check_access(self.engine, [subscriber.principal], ())
        view = access.view_for(subscriber.principal)
        page = Page([], rows[-1].id if rows else after, full=len(rows) == PAGE)
        if view is None:
            page.ended = ended_error(Verdict.REVOKED)
            return page
        page.deliveries = [Delivery(row.id, KIND, row, view) for row in rows]
        return page

    # -- the reader -------------------------------------------------------------------

    async def _last_id(self, user_id: int) -> int:
        stmt = select(func.coalesce(func.max(UserNotification.id), 0)).where(
            UserNotification.user_id == user_id
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
            for user_id in self._taken | self._taken_recheck
            if (t := self._tails.get(user_id)) is not None and t.position is not None
        ]
        if not tails:
            return
        reading = [t for t in tails if t.user_id in self._taken]
        rows = await self._read_new(reading) if reading else []
        by_user: dict[int, list[Any]] = {}
        for row in rows:
            by_user.setdefault(row.user_id, []).append(row)
        subscribers = {s for t in tails for s in t.subscribers}
        access = await check_access(self.engine, [s.principal for s in subscribers], ())
        for tail in tails:
            for subscriber in list(tail.subscribers):
                if subscriber not in subscribers:
                    continue  # registered during this batch: it starts after these rows
                view = access.view_for(subscriber.principal)
                if view is None:
                    subscriber.end(ended_error(Verdict.REVOKED))
                    continue
                for row in by_user.get(tail.user_id, []):
                    subscriber.push(Delivery(row.id, KIND, row, view))
            own = by_user.get(tail.user_id)
            if own:
                tail.position = max(tail.position or 0, own[-1].id)
        if len(rows) == READ_LIMIT:
            self._dirty.update(t.user_id for t in reading)
            self.wake()

    async def _read_new(self, tails: list[_Tail]) -> list[Any]:
        """New notifications of every given user after its tail's position, in one statement."""
        after = (
            func.unnest(
                cast([t.user_id for t in tails], ARRAY(BigInteger)),
                cast([t.position for t in tails], ARRAY(BigInteger)),
            )
            .table_valued("user_id", "after_id")
            .render_derived(with_types=False)
            .alias("after")
        )
        stmt = (
            select(*UserNotification.__table__.c)
            .join(
                after,
                and_(
                    UserNotification.user_id == after.c.user_id,
                    UserNotification.id > after.c.after_id,
                ),
            )
            .order_by(UserNotification.id)
            .limit(READ_LIMIT)
        )
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

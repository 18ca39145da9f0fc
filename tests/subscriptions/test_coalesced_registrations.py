"""Registrations are coalesced per tail: hundreds of subscribers starting at once (a
restart reconnects every client) cost a few statements, through a small pool, and each
still starts where its own read would have: after what committed before it registered,
before what commits after."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.auth import principal_from_bearer
from resolvers.subscriptions.case_tails import CaseTails
from resolvers.subscriptions.notification_tail import NotificationTails
from resolvers.subscriptions.sign_ins import SignIns
from resolvers.subscriptions.subscriber import Delivery, Page, Subscriber, follow
from resolvers.subscriptions.viewer_tail import ViewerTail
from server.errors import AppError, ErrorCode
from tests.conftest import StatementCounter
from tests.subscriptions.test_coalesced_backlogs import INSERT_NOTIFICATION, principal
from tests.subscriptions.test_ordering import INSERT_MESSAGE

SUBSCRIBERS = 300
EVENTS = 4  # per key, after everyone registered


class Started:
    """A Source that counts the subscribers whose registration has returned."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.count = 0

    async def register(self, subscriber: Subscriber) -> Any:
        start = await self.source.register(subscriber)
        self.count += 1
        return start

    def unregister(self, subscriber: Subscriber) -> None:
        self.source.unregister(subscriber)

    async def backlog(self, subscriber: Subscriber, after: Any) -> Page:
        return await self.source.backlog(subscriber, after)  # type: ignore[no-any-return]


class HeldEngine:
    """An engine whose next connection, once armed, is held after its statements ran
    (the read is done, its result not yet used) until released."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.armed = False
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        hold, self.armed = self.armed, False
        async with self.engine.connect() as conn:
            yield conn
        if hold:
            self.holding.set()
            await self.release.wait()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


async def consume(source: Any, subscriber: Subscriber, into: list[Delivery], count: int) -> None:
    async for delivery in follow(source, subscriber, None):
        into.append(delivery)
        if len(into) == count:
            return


async def insert(engine: AsyncEngine, sql: str, values: dict[str, Any]) -> int:
    async with engine.begin() as conn:
        return int((await conn.execute(text(sql + " RETURNING id"), values)).scalar_one())


def message_values(portal: Any, case_id: int, body: str) -> dict[str, Any]:
    return {
        "insurer": portal.insurer.id,
        "case": case_id,
        "author": portal.handler.id,
        "body": body,
    }


async def quiet(counter: StatementCounter) -> None:
    """Until no statement was sent for a moment: the last registration read has returned."""
    seen = -1
    while seen != counter.count:
        seen = counter.count
        await asyncio.sleep(0.2)


class Crowd:
    """Subscribers of one source that all start at once, each expecting `count` rows."""

    def __init__(self, source: Any, subscribers: list[Subscriber], count: int) -> None:
        self.source = Started(source)
        self.subscribers = subscribers
        self.received: list[list[Delivery]] = [[] for _ in subscribers]
        self.count = count
        self.consumers: list[asyncio.Task[None]] = []

    async def start(self, counted: AsyncEngine) -> StatementCounter:
        """Start everyone; the statements `counted` sent until all had started."""
        self.source.source.start()
        with StatementCounter(counted) as counter:
            self.consumers = [
                asyncio.create_task(consume(self.source, s, r, self.count))
                for s, r in zip(self.subscribers, self.received, strict=True)
            ]
            async with asyncio.timeout(10):
                while self.source.count < len(self.subscribers):
                    await asyncio.sleep(0.01)
            await quiet(counter)
        return counter

    async def finish(self) -> list[list[int]]:
        """Every subscriber's rows (ids) once each has its `count`; each in order."""
        try:
            await asyncio.wait_for(asyncio.gather(*self.consumers), 20)
        finally:
            for consumer in self.consumers:
                consumer.cancel()
            await self.source.source.stop()
        for got in self.received:
            assert [d.position for d in got] == sorted({d.position for d in got})
        return [[d.row.id for d in got] for got in self.received]


# One by one, 300 subscribers cost 300 reads (a pool of two connections with a 5 s wait
# held them); coalesced, a few registration reads and the new tails' first read and check.
REGISTRATION_STATEMENTS = 12


async def test_hundreds_of_case_subscribers_start_at_once_through_a_small_pool(
    world, engine, settings, small_engine
):
    portal = world.portal
    people = [await principal(engine, settings, portal.tokens[p]) for p in ("staff", "admin", "integration")]  # fmt: skip
    cases = [portal.case.id, portal.lonely_case.id, portal.handled_case.id]
    tails = CaseTails(small_engine, "messages")
    crowd = Crowd(
        tails,
        [
            Subscriber(people[n % 3], case_id=cases[n % 3 - 1], kinds=frozenset({"messages"}))
            for n in range(SUBSCRIBERS)
        ],
        EVENTS,
    )
    counter = await crowd.start(small_engine)
    assert counter.count <= REGISTRATION_STATEMENTS, counter.statements
    ids: dict[int, list[int]] = {case: [] for case in cases}
    for n in range(EVENTS):
        for case in cases:
            ids[case].append(
                await insert(engine, INSERT_MESSAGE, message_values(portal, case, f"{n}"))
            )
            tails.on_row(case)
    got = await crowd.finish()
    assert got == [ids[s.case_id] for s in crowd.subscribers]  # type: ignore[index]


async def test_hundreds_of_notification_subscribers_start_at_once_through_a_small_pool(
    world, engine, settings, small_engine
):
    portal = world.portal
    people = [await principal(engine, settings, portal.tokens[p]) for p in ("staff", "admin", "partner", "ech")]  # fmt: skip
    tails = NotificationTails(small_engine)
    subscribers = [
        Subscriber(people[n % 4], kinds=frozenset({"notifications"})) for n in range(SUBSCRIBERS)
    ]
    crowd = Crowd(tails, subscribers, EVENTS)
    counter = await crowd.start(small_engine)
    assert counter.count <= REGISTRATION_STATEMENTS, counter.statements
    ids: dict[int, list[int]] = {p.user_id: [] for p in people}  # type: ignore[misc]
    for _ in range(EVENTS):
        for user in ids:
            ids[user].append(
                await insert(engine, INSERT_NOTIFICATION, {"i": portal.insurer.id, "u": user})
            )
            tails.on_row(user)
    got = await crowd.finish()
    assert got == [ids[s.principal.user_id] for s in subscribers]  # type: ignore[index]


async def test_hundreds_of_viewer_subscribers_start_at_once_through_a_small_pool(
    world, engine, settings, small_engine
):
    portal = world.portal
    people = [await principal(engine, settings, portal.tokens[p]) for p in ("staff", "admin")]
    cases = [portal.case.id, portal.lonely_case.id, portal.handled_case.id]
    tail = ViewerTail(small_engine)
    subscribers = [
        Subscriber(people[n % 2], kinds=frozenset({"messages"})) for n in range(SUBSCRIBERS)
    ]
    crowd = Crowd(tail, subscribers, EVENTS * len(cases))
    counter = await crowd.start(small_engine)
    assert counter.count <= REGISTRATION_STATEMENTS, counter.statements
    ids = []
    for n in range(EVENTS):
        for case in cases:
            ids.append(await insert(engine, INSERT_MESSAGE, message_values(portal, case, f"{n}")))
            tail.on_row()
    got = await crowd.finish()
    assert all(sorted(own) == ids for own in got)


async def test_a_registration_during_a_read_waits_for_the_next_one(world, engine, settings):
    """A registers; its read runs and is held before its result is used. A message commits,
    then B registers. A started before the message (it was registered when it committed);
    B after: a subscription "from now" must not receive what committed before it."""
    portal = world.portal
    staff = await principal(engine, settings, portal.tokens["staff"])
    held = HeldEngine(engine)
    tails = CaseTails(held, "messages")  # type: ignore[arg-type]
    bodies = await two_registrations_around_a_commit(
        tails,
        lambda: Subscriber(staff, case_id=portal.case.id, kinds=frozenset({"messages"})),
        lambda body: commit_message(engine, tails, portal, portal.case.id, body),
        held,
    )
    assert bodies == (["between", "after"], ["after"])


async def test_a_viewer_registration_during_a_snapshot_read_waits_for_the_next_one(
    world, engine, settings
):
    portal = world.portal
    staff = await principal(engine, settings, portal.tokens["staff"])
    held = HeldEngine(engine)
    tail = ViewerTail(held)  # type: ignore[arg-type]
    bodies = await two_registrations_around_a_commit(
        tail,
        lambda: Subscriber(staff, kinds=frozenset({"messages"})),
        lambda body: commit_message(engine, tail, portal, portal.lonely_case.id, body),
        held,
    )
    assert bodies == (["between", "after"], ["after"])


async def commit_message(
    engine: AsyncEngine, source: Any, portal: Any, case: int, body: str
) -> None:
    await insert(engine, INSERT_MESSAGE, message_values(portal, case, body))
    source.on_row(*([] if isinstance(source, ViewerTail) else [case]))


async def two_registrations_around_a_commit(
    source: Any, subscriber: Any, commit: Any, held: HeldEngine
) -> tuple[list[str], list[str]]:
    first, second = subscriber(), subscriber()
    got: tuple[list[Delivery], list[Delivery]] = ([], [])
    source.start()
    try:
        held.armed = True
        a = asyncio.create_task(consume(source, first, got[0], 2))
        async with asyncio.timeout(5):
            await held.holding.wait()  # A's read ran; it has not returned
        await commit("between")
        b = asyncio.create_task(consume(source, second, got[1], 1))
        await asyncio.sleep(0.1)  # B waits for the next read, not this one
        held.release.set()
        async with asyncio.timeout(5):
            while len(got[0]) < 1:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # B would have received "between" by now
        await commit("after")
        await asyncio.wait_for(asyncio.gather(a, b), 10)
    finally:
        await source.stop()
    return [d.row.body for d in got[0]], [d.row.body for d in got[1]]


@pytest.mark.parametrize("bad", ["cgk_\x00_x", "cgk_\ud800_x", "cgk_NOTHEX000000_x"])
async def test_a_malformed_api_key_fails_only_its_own_sign_in(world, engine, settings, bad):
    """Found by review: a prefix PostgreSQL refuses (NUL, a lone surrogate) failed every
    sign-in of its batch. It is refused before the database now, on both paths."""
    key = settings.signing_key()
    good = world.portal.tokens["staff"]
    expected = await principal_from_bearer(engine, good, key)
    with pytest.raises(AppError) as alone:
        await principal_from_bearer(engine, bad, key)
    assert alone.value.code is ErrorCode.UNAUTHENTICATED
    sign_ins = SignIns(engine)
    results = await asyncio.gather(sign_ins(good, key), sign_ins(bad, key), return_exceptions=True)
    assert results[0] == expected
    assert isinstance(results[1], AppError) and results[1].message == alone.value.message

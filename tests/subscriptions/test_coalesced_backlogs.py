"""Backlog reads are coalesced: many lagging subscribers cost a few statements, through a
small pool, and each still gets exactly the page its own read would have returned."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions.principal import Principal
from resolvers.auth import principal_from_bearer
from resolvers.subscriptions.case_tails import CaseTails
from resolvers.subscriptions.keyed_tails import KeyedTails
from resolvers.subscriptions.notification_tail import NotificationTails
from resolvers.subscriptions.subscriber import Page, Subscriber, follow
from resolvers.subscriptions.viewer_tail import ViewerTail, read_settled
from server.db.casework import UserNotification
from tests.conftest import StatementCounter
from tests.factories import gid
from tests.graphql import gql
from tests.subscriptions.test_live import COMMENT_ADD
from tests.subscriptions.test_ordering import INSERT_MESSAGE
from tests.subscriptions.test_socket import send_message

SUBSCRIBERS = 300
BURSTS = 3
PER_BURST = 30
INSERT_NOTIFICATION = """INSERT INTO user_notifications (insurer_id, user_id, kind, text)
                         VALUES (:i, :u, 'mention', 'You were mentioned')"""
SETTLED = """SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint > max(txid)
             FROM (SELECT txid FROM messages WHERE insurer_id = :i
                   UNION ALL SELECT txid FROM feed_entries WHERE insurer_id = :i) AS rows"""


async def principal(engine: AsyncEngine, settings: Any, token: str) -> Principal:
    return await principal_from_bearer(engine, token, settings.signing_key())


async def test_hundreds_of_subscribers_lagging_at_once_catch_up_through_a_small_pool(
    world, engine, settings, small_engine
):
    portal = world.portal
    scopes = [
        await principal(engine, settings, portal.tokens[label])
        for label in ("staff", "admin", "integration")
    ]
    tails = CaseTails(small_engine, "messages")
    tails.start()
    subscribers = [
        Subscriber(
            scopes[n % len(scopes)], case_id=portal.case.id, kinds=frozenset({"messages"}), limit=4
        )
        for n in range(SUBSCRIBERS)
    ]
    received: list[list[Any]] = [[] for _ in subscribers]

    async def consume(subscriber: Subscriber, into: list[Any]) -> None:
        async for delivery in follow(tails, subscriber, None):
            into.append(delivery)
            if len(into) == BURSTS * PER_BURST:
                return

    consumers = [
        asyncio.create_task(consume(s, r)) for s, r in zip(subscribers, received, strict=True)
    ]
    try:
        await registered(tails, small_engine)
        values = {"insurer": portal.insurer.id, "case": portal.case.id, "author": portal.handler.id}
        with StatementCounter(small_engine) as counter:
            for burst in range(BURSTS):
                async with engine.begin() as conn:  # one commit: every inbox overflows at once
                    for n in range(PER_BURST):
                        await conn.execute(text(INSERT_MESSAGE), {**values, "body": f"{burst}.{n}"})
                tails.on_row(portal.case.id)
                async with asyncio.timeout(30):
                    while min(len(r) for r in received) < (burst + 1) * PER_BURST:
                        await asyncio.sleep(0.01)
        await asyncio.wait_for(asyncio.gather(*consumers), 5)
    finally:
        for consumer in consumers:
            consumer.cancel()
        await tails.stop()

    expected = [f"{burst}.{n}" for burst in range(BURSTS) for n in range(PER_BURST)]
    assert all([d.row.body for d in r] == expected for r in received)  # in order, each once
    assert all(s.overflows == BURSTS for s in subscribers)  # every burst: all lagging at once
    backlog_reads = [s for s in counter.statements if "LATERAL" in s]
    # Per burst: the live read and its check, then a batch or two of backlog reads, each
    # one statement for the rows and one check (a statement per credential kind and one
    # per scope): 12 in all. One by one, it was a read and a check per subscriber.
    assert len(backlog_reads) <= 2 * BURSTS, counter.statements
    assert counter.count <= 20 * BURSTS, counter.statements
    # All came from backlog pages, and a batch's subscribers of one scope share its View
    # (so their events render once), not one each.
    views = {id(d.view) for r in received for d in r}
    assert len(views) <= len(scopes) * len(backlog_reads)


async def registered(tails: CaseTails, engine: AsyncEngine) -> None:
    """Until every subscriber has registered: its position is read ("from now"), so a
    burst committed before that would not be news to it."""
    async with asyncio.timeout(10):
        while tails.subscriber_count < SUBSCRIBERS:
            await asyncio.sleep(0.01)
        with StatementCounter(engine) as counter:
            seen = -1
            while seen != counter.count:  # quiet for a moment: the last registration read
                seen = counter.count
                await asyncio.sleep(0.2)


async def own_keyed_page(tails: KeyedTails, subscriber: Subscriber, after: int) -> Page:
    """What one subscriber's own backlog read returned before reads were coalesced."""
    model, key = tails.model, tails.key_of(subscriber)
    stmt = (
        select(*model.__table__.c)
        .where(getattr(model, tails.key_column) == key, model.id > after)
        .order_by(model.id)
        .limit(tails.page_size)
    )
    async with tails.engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())
    access = await tails.check([subscriber], [key], rows)
    return tails.page(subscriber, rows, access, after)


async def own_viewer_page(tail: ViewerTail, subscriber: Subscriber, after: Any) -> Page:
    principal = subscriber.principal
    async with tail.engine.connect() as conn:
        rows, full, _ = await read_settled(
            conn, [principal.insurer_id], after, tail.page_size, kinds=subscriber.kinds,
            principal=principal,
        )  # fmt: skip
    access = await tail._check([subscriber], rows)
    return tail._page(subscriber, after, rows, full, access)


def summary(page: Page) -> Any:
    deliveries = [(d.position, d.kind, tuple(d.row), d.view.principal) for d in page.deliveries]
    ended = page.ended and (page.ended.code, page.ended.message)  # type: ignore[attr-defined]
    return deliveries, page.last, page.full, ended


async def coalesced_and_own(
    source: Any, requests: list[tuple[Subscriber, Any]], own: Any
) -> tuple[list[Page], StatementCounter]:
    """The pages of all requests read at once, and of each read on its own."""
    with StatementCounter(source.engine) as counter:
        pages = await asyncio.gather(*(source.backlog(s, after) for s, after in requests))
    alone = [await own(source, s, after) for s, after in requests]
    assert [summary(p) for p in pages] == [summary(p) for p in alone]
    return pages, counter


async def positions(engine: AsyncEngine, column: Any, keys: list[int]) -> list[int]:
    """Cursors to resume after: the start, some rows of the keys, and past the end."""
    async with engine.connect() as conn:
        ids = sorted(
            (await conn.execute(select(column.table.c.id).where(column.in_(keys)))).scalars()
        )
    return [0, *ids[1::3], ids[-1] + 1]


@pytest.fixture
async def mixed(client, world, engine, settings) -> dict[str, Any]:
    """Messages and feed entries on three cases, notifications for three people; principals
    of every kind, and a revoked customer and a deactivated user (with notifications) of
    another portal."""
    portal, foreign = world.portal, world.foreign
    staff = portal.tokens["staff"]
    for case in (portal.case, portal.lonely_case, portal.handled_case):
        for n in range(3):
            await send_message(client, staff, case.id, f"to the customer {n}")
        comment = {"caseId": gid("Case", case.id), "body": "internal"}
        assert (await gql(client, COMMENT_ADD, {"i": comment}, token=staff))["data"]
    people = [portal.handler, portal.partner_user, portal.ech, foreign.handler]
    async with engine.begin() as conn:
        for user in people:
            for _ in range(4):
                await conn.execute(text(INSERT_NOTIFICATION), {"i": user.insurer_id, "u": user.id})
    labels = ("staff", "partner", "customer", "ech", "integration_readonly")
    principals = [await principal(engine, settings, portal.tokens[label]) for label in labels]
    revoked = [
        await principal(engine, settings, foreign.tokens[label]) for label in ("customer", "staff")
    ]
    await revoke_and_deactivate(engine, foreign)
    return {"principals": principals, "revoked": revoked}


async def revoke_and_deactivate(engine: AsyncEngine, portal: Any) -> None:
    """The portal's customer grant revoked, its handler (the "staff" token) deactivated."""
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE customer_access_grants SET revoked_at = now() WHERE id = :id"),
            {"id": portal.ids["grant"]},
        )
        await conn.execute(
            text("UPDATE users SET active = false WHERE id = :id"), {"id": portal.handler.id}
        )


async def test_a_coalesced_case_page_is_each_subscribers_own_page(world, mixed, small_engine):
    portal, foreign = world.portal, world.foreign
    cases = [portal.case.id, portal.lonely_case.id, portal.handled_case.id]
    revoked_customer = mixed["revoked"][0]
    for kind in ("feed", "messages"):
        tails = CaseTails(small_engine, kind)
        tails.page_size = 3  # pages cut short: `full` and `last` matter
        kinds = frozenset({kind})
        afters = await positions(small_engine, tails.model.case_id, cases)
        requests = [
            (Subscriber(p, case_id=case, kinds=kinds), after)
            for p in mixed["principals"]
            for case in cases
            for after in afters
        ] + [(Subscriber(revoked_customer, case_id=foreign.case.id, kinds=kinds), 0)]
        pages, counter = await coalesced_and_own(tails, requests, own_keyed_page)
        assert len([s for s in counter.statements if "LATERAL" in s]) == 1  # one batch
        assert len([s for s in counter.statements if "customer_access_grants" in s]) == 1
        outcomes = {(bool(p.deliveries), p.full, p.ended is not None) for p in pages}
        assert len(outcomes) >= 4, outcomes  # some full, some short, some ended…
        assert pages[-1].ended is not None


async def test_a_coalesced_notification_page_is_each_subscribers_own_page(
    world, mixed, small_engine
):
    tails = NotificationTails(small_engine)
    tails.page_size = 3
    people = [p for p in mixed["principals"] if p.user_id is not None] + mixed["revoked"][1:]
    afters = await positions(small_engine, UserNotification.user_id, [p.user_id for p in people])
    requests = [
        (Subscriber(p, kinds=frozenset({"notifications"})), after)
        for p in people
        for after in afters
    ]
    pages, counter = await coalesced_and_own(tails, requests, own_keyed_page)
    assert len([s for s in counter.statements if "LATERAL" in s]) == 1
    assert any(p.full for p in pages) and pages[-1].ended is not None


async def test_a_coalesced_viewer_page_is_each_subscribers_own_page(
    world, engine, mixed, small_engine
):
    await settled(engine, world.portal.insurer.id)
    tail = ViewerTail(small_engine)
    tail.page_size = 4
    start = (0, -1, 0)
    staff_page = await own_viewer_page(tail, Subscriber(mixed["principals"][0]), start)
    afters = [start] + [d.position for d in staff_page.deliveries[1::2]]
    kinds = [frozenset({"feed", "messages"}), frozenset({"messages"}), frozenset({"feed"})]
    requests = [
        (Subscriber(p, kinds=k), after)
        for p in mixed["principals"]
        for k in kinds
        for after in afters
    ] + [(Subscriber(mixed["revoked"][0]), start)]
    pages, counter = await coalesced_and_own(tail, requests, own_viewer_page)
    assert len([s for s in counter.statements if "customer_access_grants" in s]) == 1
    assert pages[-1].ended is not None and any(p.full for p in pages)


async def settled(engine: AsyncEngine, insurer_id: int) -> None:
    """Until no older transaction (anywhere on the server) holds the portal's rows back."""
    async with asyncio.timeout(10):
        while True:
            async with engine.connect() as conn:
                if (await conn.execute(text(SETTLED), {"i": insurer_id})).scalar_one():
                    return
            await asyncio.sleep(0.05)

"""The ordering invariants live subscriptions rely on, and bounded slow consumers.

Per case, feed entries and messages must be in commit order by id: every writer locks the
case row before it draws an id. Across cases, viewerCaseEvents holds a row back until no
older transaction can still commit.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from resolvers.auth import principal_from_bearer
from resolvers.subscriptions.subscriber import Subscriber, follow
from tests.api.test_mutations import HAPPY
from tests.factories import gid
from tests.graphql import gql
from tests.subscriptions.test_socket import send_message
from tests.subscriptions.wsclient import GraphQLSocket

SEQUENCES = (
    "SELECT last_value FROM feed_entries_id_seq UNION ALL SELECT last_value FROM messages_id_seq"
)
WAITING = """SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'"""


@pytest.mark.parametrize("name", [n for n, spec in HAPPY.items() if spec[3] is not None])
async def test_every_writer_locks_the_case_before_drawing_an_id(client, world, engine, name):
    """Hold the case row (FOR NO KEY UPDATE: it blocks FOR UPDATE but not the foreign-key
    checks of a plain insert). A writer that keeps the invariant waits for us before it
    draws any id; one that inserts first, or never locks, moves a sequence or finishes."""
    portal = world.portal
    role, document, variables, _ = HAPPY[name]
    async with engine.connect() as holder, engine.connect() as probe:
        await holder.execute(
            text("SELECT id FROM cases WHERE id = :id FOR NO KEY UPDATE"), {"id": portal.case.id}
        )
        before = (await probe.execute(text(SEQUENCES))).scalars().all()
        writing = asyncio.ensure_future(
            gql(client, document, variables(portal), token=portal.tokens[role])
        )
        async with asyncio.timeout(5):
            while (await probe.execute(text(WAITING))).scalar_one() == 0:
                await probe.rollback()  # activity statistics are snapshotted per transaction
                assert not writing.done(), f"{name} wrote without waiting for the case lock"
                await asyncio.sleep(0.01)
        assert (await probe.execute(text(SEQUENCES))).scalars().all() == before, (
            f"{name} drew an id before locking the case"
        )
        await holder.rollback()
    result = await asyncio.wait_for(writing, 5)
    assert next(iter(result["data"].values()))["errors"] == [], result


INSERT_MESSAGE = """INSERT INTO messages (insurer_id, case_id, direction, author_user_id, body)
                    VALUES (:insurer, :case, 'to_customer', :author, :body)"""
VIEWER_MESSAGES = "subscription { viewerCaseEvents(types: [MESSAGE]) { cursor message { body } } }"


async def test_viewer_events_wait_for_older_transactions_on_other_cases(ws_url, app, world, engine):
    """Ids across cases are not commit order: a row is held back until every older
    transaction has ended, so no cursor a client holds can skip a later commit."""
    portal = world.portal
    broker = app.state.services.broker
    socket = await GraphQLSocket.open(ws_url, portal.tokens["staff"])
    op = await socket.subscribe(VIEWER_MESSAGES)
    await socket.nothing_for(op, 0.2)
    values = {"insurer": portal.insurer.id, "author": portal.handler.id}
    async with engine.connect() as slow, engine.connect() as fast:
        await slow.execute(
            text(INSERT_MESSAGE), {**values, "case": portal.case.id, "body": "older"}
        )
        await fast.execute(
            text(INSERT_MESSAGE), {**values, "case": portal.lonely_case.id, "body": "newer"}
        )
        await fast.commit()
        await broker.publish(
            f"case:{portal.lonely_case.id}:messages", {"caseId": portal.lonely_case.id}
        )
        await socket.nothing_for(op, 0.3)  # "newer" waits for "older" to commit or abort
        await slow.commit()
        await broker.publish(f"case:{portal.case.id}:messages", {"caseId": portal.case.id})
    events = [p["data"]["viewerCaseEvents"] for p in await socket.collect(op, 2)]
    assert [e["message"]["body"] for e in events] == ["older", "newer"]
    await socket.close()


async def test_a_viewer_subscription_from_now_skips_rows_committed_before_it(
    ws_url, app, world, engine
):
    """A transaction open elsewhere (in any database of the server) holds the horizon
    back below rows already committed: a subscription "from now" must still not receive
    them (its client may have just read them), only what commits after it registers."""
    portal = world.portal
    broker = app.state.services.broker
    values = {"insurer": portal.insurer.id, "author": portal.handler.id}
    async with engine.connect() as old, engine.connect() as writer:
        await old.execute(text("SELECT pg_current_xact_id()"))  # an open, older transaction
        await writer.execute(
            text(INSERT_MESSAGE), {**values, "case": portal.case.id, "body": "before"}
        )
        await writer.commit()
        socket = await GraphQLSocket.open(ws_url, portal.tokens["staff"])
        op = await socket.subscribe(VIEWER_MESSAGES)
        await socket.nothing_for(op, 0.2)
        await writer.execute(
            text(INSERT_MESSAGE), {**values, "case": portal.lonely_case.id, "body": "after"}
        )
        await writer.commit()
        await old.rollback()
    await broker.publish(f"case:{portal.lonely_case.id}:messages", {"caseId": 0})
    events = [p["data"]["viewerCaseEvents"] for p in await socket.collect(op, 1)]
    assert [e["message"]["body"] for e in events] == ["after"]
    await socket.nothing_for(op, 0.3)
    await socket.close()


async def test_a_slow_consumer_is_bounded_and_loses_nothing(app, client, world, engine, settings):
    portal = world.portal
    principal = await principal_from_bearer(engine, portal.tokens["staff"], settings.signing_key())
    tails = app.state.services.live.case_tails["messages"]
    subscriber = Subscriber(
        principal, case_id=portal.case.id, kinds=frozenset({"messages"}), limit=3
    )
    stream = follow(tails, subscriber, None)
    first = asyncio.ensure_future(anext(stream))  # registers, then waits
    await asyncio.sleep(0.1)
    for n in range(20):
        await send_message(client, portal.tokens["staff"], portal.case.id, f"b{n}")
    async with asyncio.timeout(10):
        deliveries = [await first] + [await anext(stream) for _ in range(19)]
    assert [d.row.body for d in deliveries] == [f"b{n}" for n in range(20)]
    assert subscriber.overflows >= 1 and len(subscriber.inbox) <= 3
    await stream.aclose()
    assert tails.subscriber_count == 0


async def test_the_same_cursor_resumes_on_any_case_list(client, world):
    """caseMessages cursors are the connection's: a page's last cursor resumes a subscription."""
    portal = world.portal
    page = await gql(
        client,
        "query ($id: ID!) { case(id: $id) { messages(first: 1) { edges { cursor } } } }",
        {"id": gid("Case", portal.case.id)},
        token=portal.tokens["staff"],
    )
    assert page["data"]["case"]["messages"]["edges"][0]["cursor"]

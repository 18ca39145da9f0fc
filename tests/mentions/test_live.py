"""`viewerNotificationAdded` in one process: to the mentioned person only, resumable, and
never anything of comments for a customer."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from server.db.models import User
from tests.factories import gid
from tests.mentions.helpers import NOTIFICATION_ADDED, add_comment, mention
from tests.subscriptions.test_live import CASE_FEED, VIEWER_EVENTS
from tests.subscriptions.wsclient import GraphQLSocket


async def test_the_mentioned_person_gets_it_live_and_nobody_else(ws_url, client, world):
    p = world.portal
    handler = await GraphQLSocket.open(ws_url, p.tokens["staff"])
    partner = await GraphQLSocket.open(ws_url, p.tokens["partner"])
    mine = await handler.subscribe(NOTIFICATION_ADDED)
    theirs = await partner.subscribe(NOTIFICATION_ADDED)
    await handler.nothing_for(mine, 0.2)
    # when the admin mentions the handler
    body = f"{mention(p.handler)} can you call the customer?"
    await add_comment(client, p.tokens["admin"], p.case.id, body)
    # then the handler is told at once, the partner user not
    event = (await handler.data(mine))["data"]["viewerNotificationAdded"]
    assert event["kind"] == "MENTION"
    assert event["comment"] == {"body": body} and event["actor"] == {"name": "Ada Admin"}
    await partner.nothing_for(theirs, 0.3)
    # and a reconnecting client resumes after its cursor without gap or duplicate
    await handler.close()
    await add_comment(client, p.tokens["admin"], p.case.id, f"second {mention(p.handler)}")
    await add_comment(client, p.tokens["admin"], p.case.id, f"third {mention(p.handler)}")
    again = await GraphQLSocket.open(ws_url, p.tokens["staff"])
    resumed = await again.subscribe(NOTIFICATION_ADDED, {"a": event["cursor"]})
    missed = await again.collect(resumed, 2)
    bodies = [m["data"]["viewerNotificationAdded"]["comment"]["body"][:6] for m in missed]
    assert bodies == ["second", "third "]
    await again.nothing_for(resumed, 0.2)
    await again.close()
    await partner.close()


async def test_a_customer_gets_no_notification_stream_and_no_comment_events(ws_url, client, world):
    p = world.portal
    customer = await GraphQLSocket.open(ws_url, p.tokens["customer"])
    refused = await customer.next(await customer.subscribe(NOTIFICATION_ADDED))
    payload = refused["payload"]
    errors = payload["errors"] if refused["type"] == "next" else payload
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    feed = await customer.subscribe(CASE_FEED, {"c": gid("Case", p.case.id)})
    events = await customer.subscribe(VIEWER_EVENTS, {})
    await customer.nothing_for(feed, 0.2)
    # when staff comment, mention and reply on the customer's case
    first = await add_comment(client, p.tokens["staff"], p.case.id, f"{mention(p.admin)} hi")
    await add_comment(client, p.tokens["admin"], p.case.id, "reply", first["comment"]["id"])
    # then nothing reaches the customer's streams
    await customer.nothing_for(feed, 0.4)
    await customer.nothing_for(events, 0.2)
    await customer.close()


async def test_concurrent_mentions_on_several_cases_all_arrive_once_in_order(ws_url, client, world):
    p = world.portal
    socket = await GraphQLSocket.open(ws_url, p.tokens["staff"])
    op = await socket.subscribe(NOTIFICATION_ADDED)
    await socket.nothing_for(op, 0.2)
    cases = [p.case.id, p.handled_case.id, p.lonely_case.id] * 3
    await asyncio.gather(
        *(
            add_comment(client, p.tokens["admin"], case_id, f"{n} {mention(p.handler)}")
            for n, case_id in enumerate(cases)
        )
    )
    events = [m["data"]["viewerNotificationAdded"] for m in await socket.collect(op, len(cases))]
    bodies = sorted(int(e["comment"]["body"].split()[0]) for e in events)
    assert bodies == list(range(len(cases)))
    ids = [e["id"] for e in events]
    assert len(set(ids)) == len(ids)
    await socket.nothing_for(op, 0.3)
    await socket.close()


async def test_a_deactivated_persons_stream_ends_with_forbidden(ws_url, app, engine, world):
    p = world.portal
    socket = await GraphQLSocket.open(ws_url, p.tokens["partner"])
    op = await socket.subscribe(NOTIFICATION_ADDED)
    await socket.nothing_for(op, 0.2)
    async with engine.begin() as conn:
        await conn.execute(update(User).where(User.id == p.partner_user.id).values(active=False))
    # what the periodic re-check (or an access wake-up) does
    app.state.services.live.on_wakeup(f"access:{p.insurer.id}", {})
    message = await socket.next(op)
    payload = message["payload"]
    errors = payload["errors"] if message["type"] == "next" else payload
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    await socket.close()

"""Live subscriptions in one process: per-event permissions, cut-off, catch-up, order."""

from __future__ import annotations

import asyncio

from tests.factories import gid
from tests.graphql import gql
from tests.subscriptions.test_socket import send_message
from tests.subscriptions.wsclient import GraphQLSocket

CASE_FEED = (
    "subscription ($c: ID!, $a: String) { caseFeed(caseId: $c, after: $a) { id type cursor } }"
)
CASE_MESSAGES = (
    "subscription ($c: ID!, $a: String) { caseMessages(caseId: $c, after: $a) { id body cursor } }"
)
VIEWER_EVENTS = """subscription ($a: String, $t: [CaseEventKind!]) {
  viewerCaseEvents(after: $a, types: $t) {
    cursor kind caseId message { body } feedEntry { type } case { number }
  }
}"""
COMMENT_ADD = "mutation ($i: CommentAddInput!) { commentAdd(input: $i) { errors { code } } }"
REGRANT = "mutation ($i: CustomerAccessGrantInput!) { customerAccessGrant(input: $i) { errors { code } } }"


async def test_a_customer_receives_only_customer_facing_feed_entries(ws_url, client, world):
    portal = world.portal
    socket = await GraphQLSocket.open(ws_url, portal.tokens["customer"])
    op = await socket.subscribe(CASE_FEED, {"c": gid("Case", portal.case.id)})
    await socket.nothing_for(op, 0.2)
    comment = {"caseId": gid("Case", portal.case.id), "body": "internal only"}
    result = await gql(client, COMMENT_ADD, {"i": comment}, token=portal.tokens["staff"])
    assert result["data"]["commentAdd"]["errors"] == []
    await send_message(client, portal.tokens["staff"], portal.case.id, "Visible")
    event = (await socket.data(op))["data"]["caseFeed"]
    assert event["type"] == "COMMUNICATION_TO_CUSTOMER"  # COMMENT_ADDED was not sent
    await socket.nothing_for(op, 0.3)
    await socket.close()


async def test_subscribing_to_a_case_out_of_reach_is_not_found(ws_url, world):
    socket = await GraphQLSocket.open(ws_url, world.portal.tokens["customer"])
    op = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", world.portal.lonely_case.id)})
    message = await socket.next(op)
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    await socket.close()


async def test_a_revoked_customer_is_cut_off_with_forbidden(ws_url, client, world):
    portal = world.portal
    socket = await GraphQLSocket.open(ws_url, portal.tokens["customer"])
    op = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id)})
    await socket.nothing_for(op, 0.2)
    ids = {
        "caseId": gid("Case", portal.case.id),
        "contactId": gid("CaseContact", portal.contact.id),
    }
    await gql(client, REGRANT, {"i": ids}, token=portal.tokens["staff"])  # revokes the old grant
    payload = await socket.data(op, timeout=3)  # the access wake-up: no message needed
    assert payload["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await socket.next(op))["type"] == "complete"
    await socket.close()


async def test_after_a_cursor_the_backlog_then_live_events_in_order(ws_url, client, world):
    portal = world.portal
    staff = portal.tokens["staff"]
    socket = await GraphQLSocket.open(ws_url, staff)
    live = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id)})
    await socket.nothing_for(live, 0.2)
    await send_message(client, staff, portal.case.id, "m0")
    first = (await socket.data(live))["data"]["caseMessages"]
    for n in range(1, 6):
        await send_message(client, staff, portal.case.id, f"m{n}")
    resumed = await socket.subscribe(
        CASE_MESSAGES, {"c": gid("Case", portal.case.id), "a": first["cursor"]}
    )
    sending = asyncio.ensure_future(
        asyncio.gather(*[send_message(client, staff, portal.case.id, f"m{n}") for n in range(6, 9)])
    )
    events = [e["data"]["caseMessages"] for e in await socket.collect(resumed, 8)]
    await sending
    bodies = [e["body"] for e in events]
    assert bodies[:5] == [f"m{n}" for n in range(1, 6)]  # the backlog, in order
    assert sorted(bodies[5:]) == ["m6", "m7", "m8"]  # then live ones, each once
    assert [int(e["id"] != "") for e in events] == [1] * 8
    await socket.nothing_for(resumed, 0.3)
    await socket.close()


async def test_viewer_events_across_cases_respect_each_viewers_reach(ws_url, client, world):
    portal, foreign = world.portal, world.foreign
    staff = await GraphQLSocket.open(ws_url, portal.tokens["staff"])
    partner = await GraphQLSocket.open(ws_url, portal.tokens["partner"])
    staff_op = await staff.subscribe(VIEWER_EVENTS, {"t": ["MESSAGE"]})
    partner_op = await partner.subscribe(VIEWER_EVENTS, {})
    await staff.nothing_for(staff_op, 0.2)
    await send_message(client, foreign.tokens["staff"], foreign.case.id, "other portal")
    await send_message(client, portal.tokens["staff"], portal.lonely_case.id, "lonely")
    await send_message(client, portal.tokens["staff"], portal.case.id, "main")
    events = [p["data"]["viewerCaseEvents"] for p in await staff.collect(staff_op, 2)]
    assert [e["message"]["body"] for e in events] == ["lonely", "main"]
    assert events[0]["cursor"] < events[1]["cursor"] or events[0]["cursor"] != events[1]["cursor"]
    # The partner's office works on `case` only, and partners do not read the chat.
    seen = (await partner.data(partner_op))["data"]["viewerCaseEvents"]
    assert seen["kind"] == "FEED_ENTRY" and seen["feedEntry"]["type"] == "COMMUNICATION_TO_CUSTOMER"
    assert seen["case"]["number"] == portal.case.number
    await partner.nothing_for(partner_op, 0.3)
    # Resuming after the first event gives the second again, and nothing else.
    resumed = await staff.subscribe(VIEWER_EVENTS, {"a": events[0]["cursor"], "t": ["MESSAGE"]})
    again = (await staff.data(resumed))["data"]["viewerCaseEvents"]
    assert again["cursor"] == events[1]["cursor"]
    await staff.nothing_for(resumed, 0.3)
    await staff.close()
    await partner.close()

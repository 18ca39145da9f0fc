"""A customer's live feed follows the customer page: its filter, and the milestone at
which the feed appears, are checked per event, not once at subscribe time."""

from __future__ import annotations

from tests.customer_page.helpers import set_case_state, set_portal_settings
from tests.factories import gid
from tests.graphql import gql
from tests.subscriptions.wsclient import GraphQLSocket

CASE_FEED = "subscription ($c: ID!) { caseFeed(caseId: $c) { type details } }"
SHARE = """mutation ($ids: [ID!]!, $shared: Boolean!) {
  documentShare(input: {documentIds: $ids, shared: $shared}) { errors { code message } }
}"""
DECIDE = """mutation ($c: ID!) {
  caseSetCompensationDecision(input: {caseId: $c, decision: ACCEPTED}) { errors { code } }
}"""


async def test_feed_events_reach_the_customer_once_the_feed_milestone_passes(
    ws_url, client, engine, world
):
    portal = world.portal
    staff, case_id = portal.tokens["staff"], gid("Case", portal.case.id)
    await set_portal_settings(
        engine, portal.insurer.id, show_feed="positive_decision", feed_filter=["document_shared"]
    )
    await set_case_state(engine, portal.case, "inspector_assigned", portal.partner_user.id)
    socket = await GraphQLSocket.open(ws_url, portal.tokens["customer"])
    op = await socket.subscribe(CASE_FEED, {"c": case_id})
    await socket.nothing_for(op, 0.2)
    report, log = (gid("Document", doc) for doc in portal.ids["docs"][1:3])

    await _ok(client, SHARE, {"ids": [report], "shared": True}, staff)  # feed not shown yet
    await socket.nothing_for(op, 0.3)
    await _ok(client, DECIDE, {"c": case_id}, staff)  # the milestone: not in the filter
    await _ok(client, SHARE, {"ids": [log], "shared": True}, staff)

    event = (await socket.data(op))["data"]["caseFeed"]
    assert event["type"] == "DOCUMENT_SHARED"
    assert event["details"]["title"] == "Drying log"
    await socket.nothing_for(op, 0.3)
    await socket.close()


async def _ok(client, mutation, variables, token):
    result = await gql(client, mutation, variables, token=token)
    payload = next(iter(result["data"].values()))
    assert payload["errors"] == [], result

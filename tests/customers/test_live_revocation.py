"""A case opened through a customer grant ends its open subscription when the grant is
revoked (the `access:{insurer}` event re-checks it at once)."""

from __future__ import annotations

from tests.customer_access.conftest import ws_url  # noqa: F401
from tests.customers.conftest import GRANT_REVOKE, grant_login, ok, open_case
from tests.factories import gid
from tests.subscriptions.wsclient import GraphQLSocket


async def test_revoking_the_grant_ends_an_open_subscription(ws_url, client, world, brokered):  # noqa: F811
    portal = world.portal
    session = (await grant_login(client, brokered.access_token))["sessionToken"]
    bearer = (await open_case(client, session, portal.case.id))["data"]["grantOpenCase"]["token"]
    socket = await GraphQLSocket.open(ws_url, bearer)
    subscription = "subscription ($c: ID!) { caseMessages(caseId: $c) { id } }"
    op = await socket.subscribe(subscription, {"c": gid("Case", portal.case.id)})
    await socket.nothing_for(op, 0.2)
    await ok(client, GRANT_REVOKE, {"id": brokered.grant_id}, portal.tokens["staff"])
    payload = await socket.data(op, timeout=3)
    assert payload["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await socket.next(op))["type"] == "complete"
    await socket.close()

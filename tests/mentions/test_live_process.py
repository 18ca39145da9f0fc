"""A colleague is mentioned and gets the notification live from a real `casegraph serve`
(two worker processes sharing Redis), signed in the way an app signs in."""

from __future__ import annotations

import httpx

from tests.e2e.process import serve
from tests.factories import PASSWORD, gid
from tests.mentions.helpers import COMMENT_ADD, NOTIFICATION_ADDED, NOTIFICATIONS, mention
from tests.subscriptions.wsclient import GraphQLSocket

LOGIN = "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


async def post(http: httpx.AsyncClient, query: str, variables: dict, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_mentioned_colleague_is_notified_live_by_a_server_process(
    database_url, redis_url, world, tmp_path
):
    p = world.portal
    with serve(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path / "data",
        log=tmp_path / "server.log",
    ) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
            tokens = {}
            for user in (p.admin, p.handler):
                result = await post(http, LOGIN, {"e": user.email, "p": PASSWORD})
                tokens[user.id] = result["data"]["login"]["token"]
            socket = await GraphQLSocket.open(server.ws, tokens[p.handler.id])
            op = await socket.subscribe(NOTIFICATION_ADDED)
            await socket.nothing_for(op, 0.5)
            body = f"{mention(p.handler)} the customer called about the dryer"
            comment = {"caseId": gid("Case", p.case.id), "body": body}
            result = await post(http, COMMENT_ADD, {"i": comment}, tokens[p.admin.id])
            assert result["data"]["commentAdd"]["errors"] == [], result
            event = (await socket.data(op, timeout=10))["data"]["viewerNotificationAdded"]
            assert event["comment"] == {"body": body}
            assert event["text"] == f"Ada Admin mentioned you in a comment on case {p.case.number}."
            listed = await post(http, NOTIFICATIONS, {}, tokens[p.handler.id])
            assert listed["data"]["viewerNotifications"]["unreadCount"] == 1
            await socket.close()

"""Two real `casegraph serve` processes sharing PostgreSQL and Redis, as in production:
what is committed through one reaches subscribers of the other, checked, in order, once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio as aioredis

from tests.factories import build_portal, gid
from tests.subscriptions.servers import ServerProcess, start_servers
from tests.subscriptions.test_live import CASE_FEED, CASE_MESSAGES, COMMENT_ADD, REGRANT
from tests.subscriptions.wsclient import GraphQLSocket

MESSAGE_SEND = (
    "mutation ($i: MessageSendInput!) { messageSend(input: $i) { message { id } errors { code } } }"
)
VIEWER_MESSAGES = "subscription ($a: String) { viewerCaseEvents(after: $a, types: [MESSAGE]) { cursor message { body } } }"


@pytest.fixture(scope="module")
def cluster(database_url, redis_url, settings, tmp_path_factory) -> Iterator[list[ServerProcess]]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CASEGRAPH_DATA_DIR": str(tmp_path_factory.mktemp("cluster-data")),
        "SECRET_KEY": settings.signing_key(),  # the factories' tokens work on both
        "LOG_LEVEL": "WARNING",
    }
    servers = start_servers(env, tmp_path_factory.mktemp("cluster-logs"), 2)
    try:
        yield servers
    finally:
        for server in servers:
            log = server.stop()
            assert "Traceback" not in log, log


@pytest.fixture
async def portal(engine, settings):
    return await build_portal(engine, settings, "Cluster")


async def post(server: ServerProcess, query: str, variables: dict, token: str) -> dict:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    return response.json()


async def send(server: ServerProcess, token: str, case_id: int, body: str) -> None:
    result = await post(
        server, MESSAGE_SEND, {"i": {"caseId": gid("Case", case_id), "body": body}}, token
    )
    assert result["data"]["messageSend"]["errors"] == [], result


async def test_a_message_sent_through_a_arrives_at_a_subscriber_on_b(cluster, portal):
    a, b = cluster
    socket = await GraphQLSocket.open(b.ws, portal.tokens["staff"])
    op = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id)})
    await socket.nothing_for(op, 0.3)
    await send(a, portal.tokens["staff"], portal.case.id, "via A")
    assert (await socket.data(op))["data"]["caseMessages"]["body"] == "via A"
    await socket.close()


async def test_a_customer_on_b_does_not_receive_what_it_may_not_see(cluster, portal):
    a, b = cluster
    socket = await GraphQLSocket.open(b.ws, portal.tokens["customer"])
    op = await socket.subscribe(CASE_FEED, {"c": gid("Case", portal.case.id)})
    await socket.nothing_for(op, 0.3)
    comment = {"i": {"caseId": gid("Case", portal.case.id), "body": "internal"}}
    assert (await post(a, COMMENT_ADD, comment, portal.tokens["staff"]))["data"]["commentAdd"][
        "errors"
    ] == []
    await send(a, portal.tokens["staff"], portal.case.id, "for the customer")
    assert (await socket.data(op))["data"]["caseFeed"]["type"] == "COMMUNICATION_TO_CUSTOMER"
    await socket.nothing_for(op, 0.5)
    await socket.close()


async def test_a_revoked_subscriber_on_b_is_cut_off(cluster, portal):
    a, b = cluster
    socket = await GraphQLSocket.open(b.ws, portal.tokens["customer"])
    op = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id)})
    await socket.nothing_for(op, 0.3)
    ids = {
        "caseId": gid("Case", portal.case.id),
        "contactId": gid("CaseContact", portal.contact.id),
    }
    await post(a, REGRANT, {"i": ids}, portal.tokens["staff"])
    payload = await socket.data(op, timeout=5)
    assert payload["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await socket.close()


async def test_reconnecting_with_after_gets_exactly_the_100_missed_in_order(cluster, portal):
    a, b = cluster
    staff = portal.tokens["staff"]
    socket = await GraphQLSocket.open(b.ws, staff)
    op = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id)})
    await socket.nothing_for(op, 0.3)
    await send(a, staff, portal.case.id, "last seen")
    cursor = (await socket.data(op))["data"]["caseMessages"]["cursor"]
    await socket.close()  # offline while 100 messages are sent
    for n in range(100):
        await send(a, staff, portal.case.id, f"missed {n}")
    socket = await GraphQLSocket.open(b.ws, staff)
    op = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id), "a": cursor})
    events = await socket.collect(op, 100, timeout=20)
    assert [e["data"]["caseMessages"]["body"] for e in events] == [
        f"missed {n}" for n in range(100)
    ]
    await socket.nothing_for(op, 0.5)
    await socket.close()


async def test_killing_the_servers_redis_connections_mid_stream_loses_nothing(
    cluster, portal, redis_url
):
    a, b = cluster
    staff = portal.tokens["staff"]
    socket = await GraphQLSocket.open(b.ws, staff)
    one_case = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id)})
    every_case = await socket.subscribe(VIEWER_MESSAGES, {})
    await socket.nothing_for(one_case, 0.3)

    async def sender() -> None:
        redis = aioredis.from_url(redis_url)
        try:
            for n in range(60):
                case = portal.case if n % 2 else portal.lonely_case
                await send(a, staff, case.id, f"n{n}")
                if n in (15, 40):  # every process's hub loses its subscription
                    killed = await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
                    assert killed >= 2
        finally:
            await redis.aclose()

    sending = asyncio.ensure_future(sender())
    viewer = [
        e["data"]["viewerCaseEvents"]["message"]["body"]
        for e in await socket.collect(every_case, 60, timeout=30)
    ]
    case = [
        e["data"]["caseMessages"]["body"] for e in await socket.collect(one_case, 30, timeout=30)
    ]
    await sending
    assert viewer == [f"n{n}" for n in range(60)]
    assert case == [f"n{n}" for n in range(1, 60, 2)]
    await socket.nothing_for(every_case, 0.5)
    await socket.close()


async def test_a_third_party_client_subscribes_and_receives(cluster, portal):
    """The Python `gql` client (graphql-transport-ws), as an integrator would use it."""
    from gql import Client, gql
    from gql.transport.websockets import WebsocketsTransport

    a, b = cluster
    transport = WebsocketsTransport(
        url=b.ws,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {portal.tokens['customer']}"},
    )
    request = gql(CASE_MESSAGES)
    request.variable_values = {"c": gid("Case", portal.case.id)}
    async with Client(transport=transport) as session:
        stream = session.subscribe(request)
        first = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.3)  # the subscription reaches the server
        await send(a, portal.tokens["staff"], portal.case.id, "hello gql")
        result = await asyncio.wait_for(first, 5)
        assert result["caseMessages"]["body"] == "hello gql"
        await stream.aclose()


async def test_shutdown_closes_open_sockets_with_going_away(cluster, portal):
    a, b = cluster
    socket = await GraphQLSocket.open(b.ws, portal.tokens["staff"])
    await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id)})
    await asyncio.sleep(0.2)
    stopping = asyncio.get_running_loop().run_in_executor(None, b.stop)
    code, reason = await socket.closed(timeout=10)
    assert code == 1001 and "reconnect" in reason
    assert "Traceback" not in await stopping

"""The WebSocket endpoint: sign-in on connection_init, both protocols, text frames, fresh
principal per operation."""

from __future__ import annotations

from tests.factories import gid
from tests.graphql import gql
from tests.subscriptions.wsclient import LEGACY, GraphQLSocket

CASE_MESSAGES = (
    "subscription ($c: ID!) { caseMessages(caseId: $c) { id body cursor authorUser { name } } }"
)
MESSAGE_SEND = (
    "mutation ($i: MessageSendInput!) { messageSend(input: $i) { message { id } errors { code } } }"
)
VIEWER = "query { viewer { role } }"


async def send_message(client, token, case_id, body):
    result = await gql(
        client, MESSAGE_SEND, {"i": {"caseId": gid("Case", case_id), "body": body}}, token=token
    )
    assert result["data"]["messageSend"]["errors"] == [], result
    return result["data"]["messageSend"]["message"]["id"]


async def test_missing_or_bad_token_closes_4403_with_a_reason(ws_url):
    socket = await GraphQLSocket.open(ws_url, params={}, ack=False)
    code, reason = await socket.closed()
    assert code == 4403 and "Authorization" in reason
    socket = await GraphQLSocket.open(ws_url, params={"Authorization": "Bearer nope"}, ack=False)
    code, reason = await socket.closed()
    assert code == 4403 and "not valid" in reason


async def test_legacy_protocol_refuses_with_connection_error(ws_url):
    socket = await GraphQLSocket.open(ws_url, protocol=LEGACY, params={}, ack=False)
    message = await socket.receive()
    assert message["type"] == "connection_error"
    assert message["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
    code, _ = await socket.closed()
    assert code == 1011  # what subscriptions-transport-ws servers do after connection_error


async def test_a_message_reaches_subscribers_of_both_protocols_as_text(ws_url, client, world):
    portal = world.portal
    transport = await GraphQLSocket.open(
        ws_url,
        params={"authorization": f"bearer {portal.tokens['staff']}"},  # any case
    )
    legacy = await GraphQLSocket.open(ws_url, portal.tokens["customer"], protocol=LEGACY)
    variables = {"c": gid("Case", portal.case.id)}
    ops = [(transport, await transport.subscribe(CASE_MESSAGES, variables)),
           (legacy, await legacy.subscribe(CASE_MESSAGES, variables))]  # fmt: skip
    await transport.nothing_for(ops[0][1], 0.2)  # subscribed before the send
    message_id = await send_message(client, portal.tokens["staff"], portal.case.id, "Hello")
    for socket, op_id in ops:
        payload = await socket.data(op_id)
        assert "errors" not in payload, payload
        event = payload["data"]["caseMessages"]
        assert event["id"] == message_id and event["body"] == "Hello"
        assert event["authorUser"]["name"] == "Hans Handler"
        assert all(isinstance(frame, str) for frame in socket.frames)  # text frames only
        await socket.close()


async def test_each_operation_sees_the_credential_as_it_is_now(ws_url, client, world):
    portal = world.portal
    socket = await GraphQLSocket.open(ws_url, portal.tokens["customer"])
    first = await socket.data(await socket.subscribe(VIEWER))
    assert first["data"]["viewer"]["role"] == "CUSTOMER"
    regrant = "mutation ($i: CustomerAccessGrantInput!) { customerAccessGrant(input: $i) { errors { code } } }"
    ids = {
        "caseId": gid("Case", portal.case.id),
        "contactId": gid("CaseContact", portal.contact.id),
    }
    await gql(client, regrant, {"i": ids}, token=portal.tokens["staff"])  # revokes the old grant
    second = await socket.data(await socket.subscribe(VIEWER))
    assert second["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert second["errors"][0]["extensions"]["requestId"]
    await socket.close()

"""A scope's finished render goes out as a ready frame, byte for byte what Strawberry sends."""

from __future__ import annotations

import re
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from schema.root import build_schema
from schema.socket_scope import SocketScope
from tests.factories import gid
from tests.subscriptions.test_shared_render import count_calls
from tests.subscriptions.test_socket import send_message
from tests.subscriptions.wsclient import LEGACY, TRANSPORT, GraphQLSocket

CASE_MESSAGES = (
    "subscription ($c: ID!) { caseMessages(caseId: $c) { id body cursor sender { name } } }"
)


def without_id(frame: str | bytes) -> str:
    text = frame.decode() if isinstance(frame, bytes) else frame
    return re.sub(r'"id":"\d+"', '"id":"?"', text, count=1)


async def subscribed(ws_url: str, token: str, protocol: str, query: str, case: str) -> Any:
    socket = await GraphQLSocket.open(ws_url, token, protocol=protocol)
    return socket, await socket.subscribe(query, {"c": case})


async def test_ready_frames_equal_what_strawberry_sends_in_both_protocols(
    ws_url, client, world, monkeypatch
):
    portal = world.portal
    token, case = portal.tokens["staff"], gid("Case", portal.case.id)
    shared = [
        await subscribed(ws_url, token, protocol, CASE_MESSAGES, case)
        for protocol in (TRANSPORT, LEGACY, TRANSPORT, LEGACY, TRANSPORT, LEGACY)
    ]
    # Another operation text is another render: these two are rendered by Strawberry.
    control = {
        TRANSPORT: await subscribed(ws_url, token, TRANSPORT, CASE_MESSAGES + " ", case),
        LEGACY: await subscribed(ws_url, token, LEGACY, CASE_MESSAGES + "  ", case),
    }
    await shared[0][0].nothing_for(shared[0][1], 0.2)
    rendered_sends = count_calls(monkeypatch, Operation, "send_next")
    legacy_sends = count_calls(monkeypatch, BaseGraphQLWSHandler, "send_data_message")

    await send_message(client, token, portal.case.id, "hello @ everyone")

    for socket, op in [*shared, *control.values()]:
        payload = await socket.data(op)
        assert payload["data"]["caseMessages"]["body"] == "hello @ everyone"
        assert "errors" not in payload
    # Strawberry sent three: the first socket of the shared operation and the two controls;
    # the other five got the ready frame.
    assert rendered_sends[0] + legacy_sends[0] == 3
    for socket, _ in shared:
        own_protocol_control = control[socket.protocol][0]
        assert without_id(socket.frames[-1]) == without_id(own_protocol_control.frames[-1])
    for socket, _ in [*shared, *control.values()]:
        await socket.close()


async def test_ready_frames_keep_each_sockets_order_across_events(ws_url, client, world):
    portal = world.portal
    token, case = portal.tokens["staff"], gid("Case", portal.case.id)
    sockets = [await subscribed(ws_url, token, TRANSPORT, CASE_MESSAGES, case) for _ in range(5)]
    await sockets[0][0].nothing_for(sockets[0][1], 0.2)
    for n in range(10):
        await send_message(client, token, portal.case.id, f"m{n}")
    for socket, op in sockets:
        bodies = [p["data"]["caseMessages"]["body"] for p in await socket.collect(op, 10)]
        assert bodies == [f"m{n}" for n in range(10)]
        await socket.close()


async def test_each_socket_gets_its_own_operation_id_of_any_json_type(ws_url, client, world):
    """Ids equal in Python (1, 1.0, True) but not in JSON must not share a frame."""
    portal = world.portal
    token, case = portal.tokens["staff"], gid("Case", portal.case.id)
    ids = ["a", "b", 1, 1.0, True]
    for protocol in (TRANSPORT, LEGACY):
        sockets = []
        for op_id in ids:
            socket = await GraphQLSocket.open(ws_url, token, protocol=protocol)
            kind = "subscribe" if protocol == TRANSPORT else "start"
            payload = {"query": CASE_MESSAGES, "variables": {"c": case}}
            await socket.send({"id": op_id, "type": kind, "payload": payload})
            sockets.append(socket)
        await sockets[0].nothing_for("a", 0.2)
        await send_message(client, token, portal.case.id, f"to {protocol}")
        for op_id, socket in zip(ids, sockets, strict=True):
            message = await socket.receive()
            assert message["type"] in ("next", "data")
            assert type(message["id"]) is type(op_id) and message["id"] == op_id
            await socket.close()


def test_no_schema_extension_changes_an_error_free_streamed_result():
    """A ready frame skips the per-result hooks: true only while none returns results and
    the one that sees streamed results (SocketScope) only formats errors."""
    for factory in build_schema().extensions:
        extension = factory if isinstance(factory, type) else type(factory())
        assert extension.get_results is SchemaExtension.get_results, extension
        if extension.on_stream_result is not SchemaExtension.on_stream_result:
            assert extension is SocketScope, extension

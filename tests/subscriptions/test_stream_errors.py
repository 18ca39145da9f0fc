"""What a subscriber receives when its stream fails for a reason that is not its own."""

from __future__ import annotations

import logging
from typing import Any

from tests.factories import gid
from tests.graphql import gql
from tests.subscriptions.test_live import CASE_MESSAGES
from tests.subscriptions.wsclient import GraphQLSocket

MESSAGES_PAGE = "query ($id: ID!) { case(id: $id) { messages(first: 1) { edges { cursor } } } }"


async def test_an_unexpected_error_in_a_stream_is_masked_as_internal(
    ws_url, client, app, world, monkeypatch, caplog
):
    """A stream that fails after it started (here the backlog read) ends with the server's
    masked INTERNAL error, as an unexpected error does over HTTP; never with the internal
    message, nor coded as if the client's document were wrong."""
    portal = world.portal
    page = await gql(client, MESSAGES_PAGE, {"id": gid("Case", portal.case.id)},
                     token=portal.tokens["staff"])  # fmt: skip
    cursor = page["data"]["case"]["messages"]["edges"][0]["cursor"]
    tails = app.state.services.live.case_tails["messages"]

    async def broken(wanted: Any) -> Any:
        raise RuntimeError("QueuePool limit of size 20 overflow 20 reached")

    monkeypatch.setattr(tails, "_read_pages", broken)
    socket = await GraphQLSocket.open(ws_url, portal.tokens["staff"])
    with caplog.at_level(logging.ERROR, logger="casegraph.errors"):
        op = await socket.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id), "a": cursor})
        payload = await socket.data(op)
        assert (await socket.next(op))["type"] == "complete"
    (error,) = payload["errors"]
    request_id = error["extensions"]["requestId"]
    assert payload["data"] is None
    assert error == {
        "message": f"Internal error; quote request id {request_id} when reporting it.",
        "extensions": {"code": "INTERNAL", "requestId": request_id},
    }
    assert not any("QueuePool" in str(frame) for frame in socket.frames)
    assert any(getattr(r, "requestId", None) == request_id for r in caplog.records)
    await socket.close()

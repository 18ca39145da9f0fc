"""WebSocket operations pass the same admission as HTTP requests."""

from __future__ import annotations

from tests.api.test_limits import COST_5001, DEPTH_10
from tests.subscriptions.wsclient import GraphQLSocket


def _codes(message: dict) -> list[str]:
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return [e["extensions"]["code"] for e in errors]


async def test_limits_apply_to_websocket_operations(ws_url, world):
    socket = await GraphQLSocket.open(ws_url, world.portal.tokens["staff"])
    try:
        too_deep = await socket.subscribe(DEPTH_10)
        assert _codes(await socket.next(too_deep)) == ["QUERY_TOO_COMPLEX"]
        too_dear = await socket.subscribe(COST_5001)
        assert _codes(await socket.next(too_dear)) == ["COST_LIMIT"]
    finally:
        await socket.close()

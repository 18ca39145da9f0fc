"""A small GraphQL-over-WebSocket client for tests, speaking both protocols.

`graphql-transport-ws` (graphql-ws, Apollo) and the legacy `graphql-ws`
(subscriptions-transport-ws). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TRANSPORT = "graphql-transport-ws"
LEGACY = "graphql-ws"
_ids = itertools.count(1)


class GraphQLSocket:
    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.frames: list[str | bytes] = []  # raw frames received, for frame-type checks
        self._pending: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    async def open(
        cls,
        url: str,
        token: str | None = None,
        *,
        protocol: str = TRANSPORT,
        params: dict[str, Any] | None = None,
        ack: bool = True,
    ) -> GraphQLSocket:
        ws = await asyncio.wait_for(connect(url, subprotocols=[protocol], open_timeout=5), 5)
        socket = cls(ws, protocol)
        payload = (
            params
            if params is not None
            else ({"Authorization": f"Bearer {token}"} if token else {})
        )
        await socket.send({"type": "connection_init", "payload": payload})
        if ack:
            message = await socket.receive()
            assert message["type"] == "connection_ack", message
        return socket

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next protocol message, answering pings and skipping keep-alives."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.ws.recv()
                self.frames.append(frame)
                message = json.loads(frame)
                if message.get("type") == "ping":
                    await self.send({"type": "pong"})
                elif message.get("type") not in ("ka", "pong"):
                    return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op_id = str(next(_ids))
        kind = "subscribe" if self.protocol == TRANSPORT else "start"
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": op_id, "type": kind, "payload": payload})
        return op_id

    async def next(self, op_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next message for operation `op_id`: {'type': 'next'|'data'|'error'|'complete', ...}."""
        queue = self._pending.setdefault(op_id, [])
        async with asyncio.timeout(timeout):
            while not queue:
                message = await self.receive(timeout)
                self._pending.setdefault(message.get("id", ""), []).append(message)
        return queue.pop(0)

    async def data(self, op_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next result payload (data and errors) of `op_id`; fails on anything else."""
        message = await self.next(op_id, timeout)
        assert message["type"] in ("next", "data"), message
        return message["payload"]

    async def collect(self, op_id: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            return [await self.data(op_id, timeout) for _ in range(count)]

    async def nothing_for(self, op_id: str, seconds: float) -> None:
        """Assert that no message for `op_id` arrives within `seconds`."""
        try:
            message = await self.next(op_id, seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {message}")

    async def stop(self, op_id: str) -> None:
        kind = "complete" if self.protocol == TRANSPORT else "stop"
        await self.send({"id": op_id, "type": kind})

    async def closed(self, timeout: float = 5.0) -> tuple[int | None, str]:
        """Wait for the server to close the socket: (code, reason)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.frames.append(await self.ws.recv())
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            return (rcvd.code, rcvd.reason) if rcvd else (None, "")

    async def close(self) -> None:
        await self.ws.close()

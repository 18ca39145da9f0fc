"""Send a live event's finished shared render as a ready frame, past Strawberry's per-result
path.

Once a permission scope's render of an event is done (schema/shared_render) and has no
errors, every other socket running the same operation gets the same `next` frame but for
its operation id. Strawberry would still copy the result for each socket, run its
extension hooks, build the message, encode it and hand it through Starlette: with a
thousand sockets on one chat that was most of the server's time. So the subscription
field's generator sends such a frame itself, encoded once per (scope, event, operation,
operation id, protocol), and yields to Strawberry only what still needs rendering (the
first socket of a scope, a render with errors, an operation that is not shared).

Exact, not approximate: an error-free result has nothing per socket (no extension of this
schema adds result extensions: tests/subscriptions/test_live_frames.py checks), and the
frame is sent by the operation's own task, in order with everything else it sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson
from graphql import ExecutionResult

from resolvers.subscriptions.subscriber import Delivery
from schema.shared_render import operation_key, render_key, tagged

T = TypeVar("T")


class TextSender(Protocol):
    async def send_text(self, text: str) -> None:
        """Send one text frame; a socket already gone is not an error."""


@dataclass(frozen=True, slots=True)
class FrameSink:
    """Where one operation's frames go: its socket, its id and the protocol's message."""

    socket: TextSender
    operation_id: str
    message_type: str  # "next" (graphql-transport-ws) or "data" (legacy graphql-ws)

    def frame(self, payload: bytes) -> str:
        """The message exactly as the protocol handler would encode it (same key order)."""
        head: dict[str, Any] = (
            {"id": self.operation_id, "type": "next"}
            if self.message_type == "next"
            else {"type": "data", "id": self.operation_id}
        )
        return orjson.dumps({**head, "payload": orjson.Fragment(payload)}).decode()


# Set by the WebSocket protocol handlers (server/websocket.py) in each operation's task.
CURRENT_SINK: ContextVar[FrameSink | None] = ContextVar("casegraph_frame_sink", default=None)


async def live_payloads(
    info: Any, deliveries: AsyncIterator[Delivery], build: Callable[[Delivery], T]
) -> AsyncIterator[T]:
    """Each delivery's payload for Strawberry to render, except those whose render is
    already done for the delivery's scope: their frame goes out directly."""
    sink = CURRENT_SINK.get()
    op_key = operation_key(info.operation, info.variable_values) if sink else None  # coerced
    async for delivery in deliveries:
        if sink is not None and op_key is not None:
            frame = await _ready_frame(delivery, render_key(_event(delivery), op_key), sink)
            if frame is not None:
                await sink.socket.send_text(frame)
                continue
        yield tagged(build(delivery), delivery)


def _event(delivery: Delivery) -> Hashable:
    return (delivery.kind, delivery.position)  # as schema.shared_render.tagged tags it


async def _ready_frame(delivery: Delivery, key: Hashable, sink: FrameSink) -> str | None:
    renders = delivery.view.renders
    frames: dict[Any, Any] | None = renders.get(("frames", key))
    if frames is None:
        entry = renders.get(key)
        if isinstance(entry, asyncio.Future):  # the scope's first socket is rendering it
            entry = await asyncio.shield(entry)  # our cancellation must not cancel its render
        if not isinstance(entry, ExecutionResult) or entry.errors:
            return None  # not rendered (or failed), or errors: formatted per socket
        frames = renders.setdefault(("frames", key), {None: orjson.dumps({"data": entry.data})})
    frame_id = (sink.message_type, sink.operation_id)
    frame = frames.get(frame_id)
    if frame is None:
        frame = frames[frame_id] = sink.frame(frames[None])  # None: the encoded payload
    return frame  # type: ignore[no-any-return]

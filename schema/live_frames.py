"""Send a live event's finished shared render as a ready frame, past Strawberry's per-result
path.

Once a permission scope's render of an event is done (schema/shared_render) and has no
errors, every other socket running the same operation gets the same `next` frame but for
its operation id. Strawberry would still copy the result for each socket, run its
extension hooks, build the message, encode it and hand it through Starlette: with a
thousand sockets on one chat that was most of the server's time. So the subscription
field's generator sends such a frame itself: the render is encoded once per (scope, event,
operation) and kept beside the scope's renders (`View.payloads`); only the message head
(operation id, type) is the socket's own. Strawberry still renders what needs it (a
scope's first socket, a render with errors, an operation that is not shared).

Exact, not approximate: an error-free result has nothing per socket (no extension of this
schema adds result extensions or rewrites streamed results: tests/subscriptions/
test_live_frames.py checks), and the frame is sent by the operation's own task, in order
with everything else it sends.
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
    """Where one operation's frames go: its socket, and its message's head (id, type)."""

    socket: TextSender
    head: str  # the message up to its payload, key order as the protocol handler's

    @classmethod
    def of(cls, socket: TextSender, operation_id: Any, message_type: str) -> FrameSink:
        op_id = orjson.dumps(operation_id).decode()  # clients may send any JSON value
        if message_type == "next":  # graphql-transport-ws
            return cls(socket, '{"id":' + op_id + ',"type":"next","payload":')
        return cls(socket, '{"type":"data","id":' + op_id + ',"payload":')  # legacy graphql-ws

    def frame(self, payload: str) -> str:
        return self.head + payload + "}"


# Set by the WebSocket protocol handlers (server/websocket.py) in each operation's task.
CURRENT_SINK: ContextVar[FrameSink | None] = ContextVar("casegraph_frame_sink", default=None)


async def live_payloads(
    info: Any, deliveries: AsyncIterator[Delivery], build: Callable[[Delivery], T]
) -> AsyncIterator[T]:
    """Each delivery's payload for Strawberry to render, except those whose render is
    already done for the delivery's scope: their frame goes out directly."""
    sink = CURRENT_SINK.get()
    op_key = None
    if sink is not None:
        fragments = info._raw_info.fragments  # strawberry's Info does not pass them on
        principal = info.context.principal
        op_key = operation_key(info.operation, info.variable_values, fragments, principal)
    async for delivery in deliveries:
        if sink is not None and op_key is not None:
            payload = await _ready_payload(delivery, render_key(_event(delivery), op_key))
            if payload is not None:
                delivery = None  # type: ignore[assignment]  # while idle, hold no batch
                await sink.socket.send_text(sink.frame(payload))
                continue
        yield tagged(build(delivery), delivery)
        delivery = None  # type: ignore[assignment]


def _event(delivery: Delivery) -> Hashable:
    return (delivery.kind, delivery.position)  # as schema.shared_render.tagged tags it


async def _ready_payload(delivery: Delivery, key: Hashable) -> str | None:
    """The scope's encoded render of the event, once it is done and has no errors."""
    view = delivery.view
    payload = view.payloads.get(key)
    if payload is not None:
        return payload
    entry = view.renders.get(key)
    if isinstance(entry, asyncio.Future):  # the scope's first socket is rendering it
        entry = await asyncio.shield(entry)  # our cancellation must not cancel its render
    if not isinstance(entry, ExecutionResult) or entry.errors:
        return None  # not rendered (or failed), or errors: formatted per socket
    payload = view.payloads[key] = orjson.dumps({"data": entry.data}).decode()
    return payload

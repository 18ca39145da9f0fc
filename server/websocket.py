"""WebSocket plumbing for the GraphQL view: sign-in on connection_init, text frames,
the socket context, and closing every socket with 1001 (going away) on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import weakref
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler as GraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import (
    BaseGraphQLWSHandler as GraphQLWSHandler,
)
from strawberry.types.unset import UNSET, UnsetType

from resolvers.loaders import Loaders
from resolvers.subscriptions.context import SocketContext
from schema.live_frames import CURRENT_SINK, FrameSink
from server.errors import AppError

log = logging.getLogger(__name__)

GOING_AWAY = 1001
FORBIDDEN_CLOSE = 4403  # graphql-transport-ws: connection_init refused


class OpenSockets:
    """The sockets this process serves, so shutdown can say goodbye with 1001."""

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[WebSocket] = weakref.WeakSet()
        self.closing = False

    def add(self, websocket: WebSocket) -> None:
        self._sockets.add(websocket)

    def __len__(self) -> int:
        return len(self._sockets)

    async def close_all(self, reason: str = "server shutting down; reconnect") -> None:
        """Close every open socket with 1001 so clients reconnect (to another process)."""
        self.closing = True
        for websocket in list(self._sockets):
            if websocket.application_state is WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):  # it may be closing on its own
                    await websocket.close(GOING_AWAY, reason)


# Process-wide on purpose: uvicorn's shutdown hook (server.cli) and the app's lifespan
# both reach it, and one process serves one app.
OPEN_SOCKETS = OpenSockets()


def goodbye_on_exit_signals(loop: asyncio.AbstractEventLoop) -> None:
    """Chain the server's SIGINT/SIGTERM handlers: open sockets get 1001 (going away) at
    once, before uvicorn's own shutdown would close them with 1012."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(lambda: loop.create_task(OPEN_SOCKETS.close_all()))
            if callable(previous):
                previous(signum, frame)

        signal.signal(sig, handler)


class GoodbyeOnExit:
    """ASGI wrapper for `casegraph serve` workers: installs `goodbye_on_exit_signals` once
    uvicorn has installed its handlers (they are in place when the lifespan starts)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            goodbye_on_exit_signals(asyncio.get_running_loop())
        await self.app(scope, receive, send)


class TextFrameAdapter(ASGIWebSocketAdapter):
    """Sends JSON as text frames (graphql-ws clients reject binary ones; the view's
    encoder returns bytes), and tolerates a socket that is already gone."""

    def __init__(self, view: Any, request: WebSocket, response: WebSocket) -> None:
        super().__init__(view, request, response)
        OPEN_SOCKETS.add(response)

    async def send_json(self, message: Any) -> None:
        data = self.view.encode_json(message)
        await self.send_text(data.decode() if isinstance(data, bytes) else data)

    async def send_text(self, text: str) -> None:
        """One text frame (also a ready live frame: schema/live_frames)."""
        if self.ws.application_state is not WebSocketState.CONNECTED:
            return  # closed (shutdown, rejection): the reader loop ends the operations
        try:
            await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            # The client went away mid-send; its reader loop notices and cleans up.
            return

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await self.ws.close(code=code, reason=reason)


class TransportWSHandler(GraphQLTransportWSHandler):
    """graphql-transport-ws; each operation's task knows where its ready frames go."""

    async def run_operation(self, operation: Any) -> None:
        CURRENT_SINK.set(FrameSink.of(self.websocket, operation.id, "next"))
        await super().run_operation(operation)


class LegacyWSHandler(GraphQLWSHandler):
    """Legacy graphql-ws (subscriptions-transport-ws), likewise."""

    async def handle_async_results(self, operation_id: str, *args: Any) -> None:
        CURRENT_SINK.set(FrameSink.of(self.websocket, operation_id, "data"))
        await super().handle_async_results(operation_id, *args)


def socket_context(websocket: WebSocket, request_id: str, format_error: Any) -> SocketContext:
    services = websocket.app.state.services
    context = SocketContext(
        request=websocket,
        response=websocket,
        principal=None,
        engine=services.engine,
        sessions=services.sessions,
        loaders=Loaders(services.engine, None),
        broker=services.broker,
        storage=services.storage,
        settings=services.settings,
        request_id=request_id,
    )
    context.live = services.live
    context.format_error = format_error
    context.buckets = services.buckets
    address = websocket.client.host if websocket.client else None

    async def admit(execution: Any) -> None:
        """Each operation on the socket passes the same admission as over HTTP."""
        await services.admission.admit(
            query=execution.query,
            operation_name=execution.operation_name,
            variables=execution.variables,
            extensions=None,
            principal=context.principal,
            client_ip=address,
        )

    context.admit = admit
    return context


def _credential(params: dict[str, Any] | None, websocket: WebSocket) -> str | None:
    """`Authorization: Bearer <token>` from the connection_init payload (key in any case),
    else from the handshake's headers (native clients can send them)."""
    header = None
    for key, value in (params or {}).items():
        if isinstance(key, str) and key.lower() == "authorization" and isinstance(value, str):
            header = value
    if header is None:
        header = websocket.headers.get("authorization")
    scheme, _, token = (header or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def on_connect(view: Any, context: SocketContext) -> UnsetType:
    """Sign the socket in; refuse it (4403 with the reason, or the legacy protocol's
    connection_error) when the credential is missing or not accepted."""
    websocket: WebSocket = context.request
    credential = _credential(context.connection_params, websocket)
    if credential is None:
        message = 'Send {"Authorization": "Bearer <token>"} in the connection_init payload.'
        return await _refuse(view, websocket, message)
    try:
        context.principal = await context.check_credential(credential)
    except AppError as exc:
        return await _refuse(view, websocket, exc.message)
    context.credential = credential
    return UNSET


async def _refuse(view: Any, websocket: WebSocket, message: str) -> UnsetType:
    payload = {"message": message, "extensions": {"code": "UNAUTHENTICATED"}}
    if await view.pick_websocket_subprotocol(websocket) == GRAPHQL_TRANSPORT_WS_PROTOCOL:
        # Strawberry would close with a bare "Forbidden"; say why (reasons are <= 123 bytes).
        await websocket.close(FORBIDDEN_CLOSE, message.encode()[:123].decode(errors="ignore"))
    raise ConnectionRejectionError(payload)

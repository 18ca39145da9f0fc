"""The Strawberry ASGI view: context per request, error shape, orjson responses."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import uuid
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from resolvers.auth import principal_from_bearer
from resolvers.context import Context
from resolvers.loaders import Loaders
from schema.request_log import error_code
from server.errors import AppError, ErrorCode
from server.websocket import TextFrameAdapter, socket_context
from server.websocket import on_connect as accept_socket

log = logging.getLogger("casegraph.errors")
request_log = logging.getLogger("casegraph.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_of(request: Request | WebSocket) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    return new_request_id(request.headers.get("x-request-id", ""))


def new_request_id(given: str) -> str:
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def bearer_token(request: Request | WebSocket) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(request: Request | WebSocket) -> tuple[Any, AppError | None]:
    """(principal or None, the reason a sent credential was rejected)."""
    token = bearer_token(request)
    if token is None:
        return None, None
    services = request.app.state.services
    key = services.settings.signing_key()
    try:
        return await principal_from_bearer(services.engine, token, key), None
    except AppError as exc:
        return None, exc


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """Every error gets a stable code and the request id; unexpected ones are masked."""
    code = error_code(error)
    original = error.original_error
    formatted = error.formatted
    extensions: dict[str, Any] = {"code": code.value, "requestId": request_id}
    if isinstance(original, AppError):
        extensions.update(original.extensions)
    elif code is ErrorCode.INTERNAL:
        log.error(
            "unexpected error in resolver",
            exc_info=original,
            extra={"requestId": request_id, "path": error.path},
        )
        formatted["message"] = f"Internal error; quote request id {request_id} when reporting it."
    formatted["extensions"] = extensions
    return formatted


class CasegraphGraphQL(GraphQL):
    websocket_adapter_class = TextFrameAdapter  # type: ignore[assignment]

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        services = request.app.state.services
        request_id = request_id_of(request)
        request.state.request_id = request_id
        if isinstance(request, WebSocket):  # signed in by on_ws_connect, per operation after
            return socket_context(request, request_id, format_error)
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = request_id
        principal, auth_error = await authenticate(request)
        return Context(
            request=request,
            response=response,
            principal=principal,
            engine=services.engine,
            sessions=services.sessions,
            loaders=Loaders(services.engine, principal),
            broker=services.broker,
            storage=services.storage,
            settings=services.settings,
            request_id=request_id,
            auth_error=auth_error,
        )

    async def execute_single(  # type: ignore[override]
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """Queries take the compiled SQL path when it can answer them exactly."""
        compiled = await self._compiled(request, context, request_data)
        if compiled is not None and not context.settings.compare_read_paths:
            return compiled
        reference = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )
        if compiled is None:
            return reference
        # Differential mode (the test suite): both paths must give the same response.
        expected = await self.process_result(request, reference)
        actual = orjson.loads(compiled.body)
        if actual == expected:
            return compiled
        message = f"compiled read path differs: {actual!r} != {expected!r}"
        log.error(message)
        return ExecutionResult(data=None, errors=[GraphQLError(message)])

    async def _compiled(
        self, request: Any, context: Context, request_data: Any
    ) -> CompiledResult | None:
        reads = request.app.state.services.reads
        if context.principal is None or reads is None or not request_data.query:
            return None
        started = time.perf_counter()
        body = await reads.execute(
            query=request_data.query,
            operation_name=request_data.operation_name,
            variables=request_data.variables,
            principal=context.principal,
        )
        if body is None:
            return None
        request_log.info(
            "graphql",
            extra={
                "requestId": context.request_id,
                "principal": context.principal.label(),
                "operationName": request_data.operation_name,
                "operationType": "query",
                "durationMs": round((time.perf_counter() - started) * 1000, 2),
                "errorCodes": [],
                "path": "compiled",
            },
        )
        return CompiledResult(data=None, errors=None, body=body)

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        return await accept_socket(self, context)  # type: ignore[arg-type]

    async def process_result(self, request: Any, result: ExecutionResult) -> dict[str, Any]:
        if isinstance(result, CompiledResult):
            return RawBody(result.body)
        data: dict[str, Any] = {"data": result.data}
        if result.errors:
            request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
            data["errors"] = [format_error(e, request_id) for e in result.errors]
        if result.extensions:
            data["extensions"] = result.extensions
        return data

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        if isinstance(data, RawBody):
            return data.body  # built by PostgreSQL; passed on without decoding
        return orjson.dumps(data)


@dataclasses.dataclass
class CompiledResult(ExecutionResult):
    """A response the compiled read path built: the whole body, as bytes."""

    body: bytes = b""


class RawBody(dict):  # type: ignore[type-arg]
    """The response body as bytes, carried through Strawberry's response plumbing."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

"""The Strawberry ASGI view: context per request, admission (limits, cost, rate limits,
trusted documents), idempotent mutations, error shape, status codes and media types of
GraphQL over HTTP, orjson responses."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import re
import time
from typing import Any

import orjson
from graphql import GraphQLError, OperationType
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from resolvers.auth import principal_from_bearer
from resolvers.context import Context
from resolvers.loaders import Loaders
from schema.request_log import error_code
from server.admission import Ticket
from server.errors import AppError, ErrorCode
from server.http_media import http_status, negotiate
from server.idempotency import HEADER as IDEMPOTENCY_HEADER
from server.idempotency import checked_key, request_hash
from server.logs import log_line
from server.websocket import LegacyWSHandler, TextFrameAdapter, TransportWSHandler, socket_context
from server.websocket import on_connect as accept_socket

log = logging.getLogger("casegraph.errors")
request_log = logging.getLogger("casegraph.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# The lean path (server/fast_path.py) leaves its admission here when it hands a request on.
TICKET_SCOPE_KEY = "casegraph.ticket"


def client_ip(request: Request | WebSocket) -> str | None:
    return request.client.host if request.client else None


def request_id_of(request: Request | WebSocket) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    return new_request_id(request.headers.get("x-request-id", ""))


def new_request_id(given: str) -> str:
    """`given` when it is a sane id, else a new one: unique, not secret (it names a request
    in the logs), so a random per-process prefix and a counter do, without a syscall."""
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return f"{_ids.prefix}{next(_ids.counter):012x}"


class _RequestIds:
    """The prefix is 20 random hex digits per process (a forked child draws its own)."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = os.urandom(10).hex()
        self.counter = itertools.count()


_ids = _RequestIds()


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
    # Extensions a rule or AppError set (limit, retryAfter…); never an unexpected error's.
    given = error.extensions if code is not ErrorCode.INTERNAL else None
    extensions: dict[str, Any] = {**(given or {})}
    extensions.update(code=code.value, requestId=request_id)
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
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

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
            buckets=services.buckets,
        )

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # create_response is not given the request; it needs the client's Accept.
        sub_response.casegraph_accept = request.headers.get("accept", "")  # type: ignore[attr-defined]
        return sub_response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        media_type = negotiate(getattr(sub_response, "casegraph_accept", ""))
        status, headers = http_status(response_data, media_type)
        if sub_response.status_code is None:  # type: ignore[comparison-overlap]
            sub_response.status_code = status
        sub_response.headers.update(headers)
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        return response

    async def execute_single(  # type: ignore[override]
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """Admit the operation, then answer it: from a stored first response (idempotent
        retries), the compiled SQL path, or Strawberry."""
        services = request.app.state.services
        try:
            ticket: Ticket = request.scope.pop(TICKET_SCOPE_KEY, None) or (
                await services.admission.admit(
                    query=request_data.query,
                    operation_name=request_data.operation_name,
                    variables=request_data.variables,
                    extensions=request_data.extensions,
                    principal=context.principal,
                    client_ip=client_ip(request),
                )
            )
        except AppError as exc:
            return self._refused(exc, sub_response, context, request_data)
        if ticket.query != request_data.query:  # named by a persisted-query hash
            request_data = dataclasses.replace(request_data, query=ticket.query)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None or ticket.operation_type is not OperationType.MUTATION:
            result = await self._answer(request, request_adapter, sub_response, context,
                                        root_value, request_data, ticket)  # fmt: skip
        else:
            try:
                result = await self._idempotent(
                    key, request, request_adapter, sub_response, context, root_value,
                    request_data, ticket,
                )  # fmt: skip
            except AppError as exc:
                return self._refused(exc, sub_response, context, request_data)
        return self._with_cost(result, ticket)

    async def _answer(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
        ticket: Ticket,
    ) -> ExecutionResult:
        """Queries take the compiled SQL path when it can answer them exactly."""
        compiled = await self._compiled(request, context, request_data) if ticket.valid else None
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

    async def _idempotent(
        self,
        key: str,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
        ticket: Ticket,
    ) -> ExecutionResult:
        """A mutation with an Idempotency-Key acts once; retries get its first response.
        Signed-out mutations (`login`) ignore the key: it is scoped per principal, and
        clients that add it to every mutation must still be able to sign in."""
        principal = context.principal
        if principal is None:
            return await self._answer(request, request_adapter, sub_response, context,
                                      root_value, request_data, ticket)  # fmt: skip
        store = request.app.state.services.idempotency
        scope, key = principal.label(), checked_key(key)
        fingerprint = request_hash(
            request_data.query, request_data.operation_name, request_data.variables
        )
        first = await store.claim(scope, key, fingerprint)
        if first is not None:
            sub_response.headers["Idempotent-Replayed"] = "true"
            return CompiledResult(data=first.get("data"), errors=None, body=orjson.dumps(first))
        try:
            result = await self._answer(request, request_adapter, sub_response, context,
                                        root_value, request_data, ticket)  # fmt: skip
        except BaseException:
            await store.release(scope, key)
            raise
        response = await self.process_result(request, result)
        codes = {e["extensions"]["code"] for e in response.get("errors", ())}
        if ErrorCode.INTERNAL.value in codes and not context.committed:
            await store.release(scope, key)  # nothing was committed: let the retry act
        else:
            await store.finish(scope, key, dict(response))
        return CompiledResult(data=result.data, errors=None, body=orjson.dumps(response))

    def _with_cost(self, result: ExecutionResult, ticket: Ticket) -> ExecutionResult:
        """`extensions.cost` on every response: estimated, actual, and the budget left."""
        if isinstance(result, CompiledResult):
            data = result.data if result.data is not None else orjson.loads(result.body)["data"]
            result.extensions = {"cost": ticket.report(data)}
        else:
            result.extensions = {**(result.extensions or {}), "cost": ticket.report(result.data)}
        return result

    def _refused(
        self, exc: AppError, sub_response: Any, context: Context, request_data: Any
    ) -> ExecutionResult:
        """An operation admission (or an idempotency check) turned away, before it ran."""
        principal = context.principal
        log_line(
            request_log,
            "graphql",
            {
                "requestId": context.request_id,
                "principal": principal.label() if principal else "anonymous",
                "operationName": request_data.operation_name,
                "operationType": None,
                "durationMs": 0.0,
                "errorCodes": [exc.code.value],
                "path": "refused",
            },
        )
        result = ExecutionResult(data=None, errors=[GraphQLError(exc.message, original_error=exc)])
        requested = exc.extensions.get("cost", {}).get("requested", 0)
        result.extensions = {"cost": Ticket(None, False, requested, None).report(None)}
        return result

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
        log_line(
            request_log,
            "graphql",
            {
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
            return RawBody(_with_extensions(result.body, result.extensions))
        data: dict[str, Any] = {"data": result.data}
        if result.errors:
            request_id = getattr(request.state, "request_id", None) or new_request_id("")
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


def _with_extensions(body: bytes, extensions: dict[str, Any] | None) -> bytes:
    """`body` (a JSON object without "extensions") with `extensions` added."""
    if not extensions:
        return body
    end = body.rstrip()
    return end[:-1] + b',"extensions":' + orjson.dumps(extensions) + b"}"


class RawBody(dict):  # type: ignore[type-arg]
    """The response body as bytes, carried through Strawberry's response plumbing."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

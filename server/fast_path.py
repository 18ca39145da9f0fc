"""The lean path for reads: a POST /graphql query that the compiled path can answer goes
from the socket to PostgreSQL and back without Starlette or Strawberry in between.

It authenticates by the token's signed hint (no lookup: the statement itself checks the
hint against the database), passes admission (limits, cost, the client's points bucket:
server/admission.py), runs one statement per root field and sends PostgreSQL's bytes with
`extensions.cost` added. Anything else — mutations, API keys, uploads, persisted-query
hashes, refusals and errors of any kind, a hint the database no longer backs — is handed,
body and all, to the full application, with the admission already made (so the points are
taken once).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson

from resolvers.auth import principal_hint
from resolvers.compiled.executor import CompiledReads
from server.errors import AppError
from server.graphql_view import TICKET_SCOPE_KEY, new_request_id
from server.http_media import negotiate
from server.logs import log_line

request_log = logging.getLogger("casegraph.request")
Scope = dict[str, Any]


class CompiledFastPath:
    def __init__(self, app: Any, *, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    def __getattr__(self, name: str) -> Any:  # the wrapped app's state, router, …
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if not self._candidate(scope):
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        answered = await self._answer(scope, body, send)
        if not answered:
            await self.app(scope, _replay(messages, receive), send)

    def _candidate(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            return False
        names = [name for name, _ in scope["headers"]]
        if names.count(b"authorization") != 1 or names.count(b"content-type") != 1:
            return False  # repeated headers: the full app decides which one counts
        headers = dict(scope["headers"])
        content_type = headers[b"content-type"].split(b";")[0].strip()
        return content_type == b"application/json"

    async def _answer(self, scope: Scope, body: bytes, send: Any) -> bool:
        services = self.app.state.services
        reads: CompiledReads | None = services.reads
        settings = services.settings
        if reads is None or settings.compare_read_paths:
            return False
        headers = dict(scope["headers"])
        scheme, _, token = headers[b"authorization"].decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        principal = principal_hint(token.strip(), settings.signing_key())
        if principal is None:
            return False
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return False
        if request.get("extensions") is not None:
            return False  # persisted-query hashes and the like: the full app
        variables = request.get("variables")
        operation_name = request.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            return False
        if operation_name is not None and not isinstance(operation_name, str):
            return False
        started = time.perf_counter()
        try:
            ticket = await services.admission.admit(
                query=request["query"],
                operation_name=operation_name,
                variables=variables,
                extensions=None,
                principal=principal,
                client_ip=(scope.get("client") or (None,))[0],
            )
        except AppError:
            return False  # the full app refuses it again, in its words; nothing was taken
        scope[TICKET_SCOPE_KEY] = ticket  # if we hand on from here, the points are taken
        if not ticket.valid:
            return False
        answer = await reads.execute(
            query=request["query"],
            operation_name=operation_name,
            variables=variables,
            principal=principal,
            guard=True,
        )
        if answer is None:
            return False
        del scope[TICKET_SCOPE_KEY]
        cost = orjson.dumps({"cost": ticket.report_json(answer)})
        answer = answer.rstrip()[:-1] + b',"extensions":' + cost + b"}"
        media_type = negotiate(headers.get(b"accept", b"").decode("latin-1")).encode()
        request_id = new_request_id(headers.get(b"x-request-id", b"").decode("latin-1"))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", media_type + b"; charset=utf-8"),
                    (b"content-length", str(len(answer)).encode()),
                    (b"x-request-id", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})
        log_line(
            request_log,
            "graphql",
            {
                "requestId": request_id,
                "principal": principal.label(),
                "operationName": operation_name,
                "operationType": "query",
                "durationMs": round((time.perf_counter() - started) * 1000, 2),
                "errorCodes": [],
                "path": "compiled",
            },
        )
        return True


async def _read_body(receive: Any) -> tuple[bytes, list[dict[str, Any]]]:
    messages: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[dict[str, Any]], receive: Any) -> Any:
    """A `receive` that gives the already-read messages again, then the live ones."""
    pending = list(messages)

    async def replay() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay

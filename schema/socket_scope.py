"""WebSocket operations: a fresh principal per operation, and the server's error shape.

Strawberry builds one context per socket. For every operation on it (each runs in its own
asyncio task) this extension re-checks the socket's credential and makes a fresh principal
and fresh loaders current, so a revoked customer or a deactivated user is refused by the
next operation and no loader cache outlives its operation. Over HTTP it does nothing.

Results streamed over a socket do not pass through the view's `process_result`; their
errors get the same `extensions.code` and `requestId` here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.loaders import Loaders
from resolvers.subscriptions.context import SocketContext


class FormattedError(GraphQLError):
    """An error whose wire form was decided by the server's error formatter."""

    def __init__(self, error: GraphQLError, formatted: dict[str, Any]) -> None:
        super().__init__(
            error.message,
            path=error.path,
            original_error=error.original_error,
            extensions=formatted.get("extensions"),
        )
        self._formatted = formatted

    @property
    def formatted(self) -> dict[str, Any]:  # type: ignore[override]
        return self._formatted


class SocketScope(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if not isinstance(context, SocketContext):
            yield
            return
        principal, error = await context.current_principal()
        context.enter(principal, Loaders(context.engine, principal), error)
        try:
            yield
        finally:
            context.leave()

    def on_stream_result(self, result: Any) -> None:  # type: ignore[override]
        context = self.execution_context.context
        errors = getattr(result, "errors", None)
        if not errors or not isinstance(context, SocketContext) or context.format_error is None:
            return
        format_error = context.format_error
        result.errors = [
            e
            if isinstance(e, FormattedError)
            else FormattedError(e, format_error(e, context.request_id))
            for e in errors
        ]

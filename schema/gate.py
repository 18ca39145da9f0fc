"""Operations on a WebSocket pass the same admission as HTTP requests (limits, cost,
trusted documents, the client's points bucket): the socket context carries it. Over HTTP
the view admits every operation before Strawberry runs, so this does nothing there."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from resolvers.subscriptions.context import SocketContext


class SocketGate(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, SocketContext) and context.admit is not None:
            # A refusal raises its AppError: the operation ends with that error.
            await context.admit(self.execution_context)
        yield

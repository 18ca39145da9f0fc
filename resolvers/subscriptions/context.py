"""The context of a WebSocket: fresh principal and loaders per operation and per event.

Strawberry builds one context per socket and hands it to every operation on it. A socket
can stay open for hours, so `principal` and `loaders` here are not the socket's: they are
read from a context variable that is set for each operation (its own asyncio task, see
`schema.socket_scope`) and for each delivered event (by the subscription resolver), from
the credential re-checked at that moment. Outside any scope they fall back to what the
handshake established.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from permissions.principal import Principal
from resolvers.auth import principal_from_bearer
from resolvers.context import Context
from resolvers.loaders import Loaders
from server.errors import AppError, unauthenticated


@dataclass(frozen=True, slots=True)
class OperationScope:
    context: Any  # the SocketContext this scope belongs to
    principal: Principal | None
    loaders: Loaders
    auth_error: AppError | None = None


_SCOPE: ContextVar[OperationScope | None] = ContextVar("casegraph_socket_scope", default=None)


class SocketContext(Context):
    """A Context whose principal and loaders follow the current operation or event."""

    # Set by the view when the socket opens.
    credential: str | None = None  # the bearer credential from connection_init
    connection_params: dict[str, Any] | None = None  # strawberry sets it on connection_init
    live: Any = None  # resolvers.subscriptions.live.LiveEvents
    format_error: Callable[[Any, str], dict[str, Any]] | None = None
    # server.admission for one operation on this socket (limits, cost, rate limit).
    admit: Callable[[Any], Any] | None = None

    def _scope(self) -> OperationScope | None:
        scope = _SCOPE.get()
        return scope if scope is not None and scope.context is self else None

    @property  # type: ignore[override]
    def principal(self) -> Principal | None:
        scope = self._scope()
        return scope.principal if scope else self.__dict__.get("_principal")

    @principal.setter
    def principal(self, value: Principal | None) -> None:
        self.__dict__["_principal"] = value

    @property  # type: ignore[override]
    def loaders(self) -> Loaders:
        scope = self._scope()
        return scope.loaders if scope else self.__dict__["_loaders"]

    @loaders.setter
    def loaders(self, value: Loaders) -> None:
        scope = self._scope()
        if scope is None:
            self.__dict__["_loaders"] = value
        else:  # e.g. fresh loaders after a mutation committed over the socket
            _SCOPE.set(OperationScope(self, scope.principal, value, scope.auth_error))

    @property  # type: ignore[override]
    def auth_error(self) -> AppError | None:
        scope = self._scope()
        return scope.auth_error if scope else self.__dict__.get("_auth_error")

    @auth_error.setter
    def auth_error(self, value: AppError | None) -> None:
        self.__dict__["_auth_error"] = value

    async def current_principal(self) -> tuple[Principal | None, AppError | None]:
        """The socket's credential re-checked now: a revoked grant or disabled user fails."""
        if self.credential is None:
            return None, self.__dict__.get("_auth_error") or unauthenticated()
        try:
            return await self.check_credential(self.credential), None
        except AppError as exc:
            return None, exc

    async def check_credential(self, credential: str) -> Principal:
        """The principal of a bearer credential as the database has it now, read together
        with other sockets' checks (resolvers.subscriptions.sign_ins); UNAUTHENTICATED."""
        key = self.settings.signing_key()
        if self.live is None:
            return await principal_from_bearer(self.engine, credential, key)
        return await self.live.sign_ins(credential, key)  # type: ignore[no-any-return]

    def enter(
        self, principal: Principal | None, loaders: Loaders, error: AppError | None = None
    ) -> None:
        """Make `principal` and `loaders` current for the running task (operation or event)."""
        _SCOPE.set(OperationScope(self, principal, loaders, error))

    def leave(self) -> None:
        _SCOPE.set(None)

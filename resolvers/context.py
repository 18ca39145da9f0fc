"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from permissions.principal import Principal
from resolvers.loaders import Loaders
from server.errors import AppError, unauthenticated
from server.pubsub.broker import Broker
from server.settings import Settings
from server.storage.files import LocalFileStorage


@dataclass
class Context:
    request: Any
    response: Any
    principal: Principal | None
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    loaders: Loaders
    broker: Broker
    storage: LocalFileStorage
    settings: Settings
    request_id: str
    # Set when a credential was sent but rejected: every field that needs a principal
    # reports this reason instead of a generic one.
    auth_error: AppError | None = None
    # Points buckets (server.ratelimit): the rateLimit query and sign-in attempts.
    buckets: Any = None
    # Some mutation of this request committed: an Idempotency-Key must then keep the
    # response (errors included) rather than let a retry act again.
    committed: bool = False

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise self.auth_error or unauthenticated()
        return self.principal

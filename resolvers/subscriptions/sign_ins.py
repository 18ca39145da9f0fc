"""The bearer credentials of many sockets, checked together.

Every socket signs in on connection_init, and every operation on it checks its credential
again (schema.socket_scope). After a restart, thousands of clients do both at the same
moment; one by one, those checks queue for the connection pool. Coalesced, a batch costs
a statement per kind of credential (users, customer grants, API keys). Each check still
reads the database after it was asked for (a coalesced read never joins a running one),
so a grant revoked or a user deactivated before an operation started refuses it.
"""

from __future__ import annotations

from collections.abc import Hashable

from sqlalchemy import String, any_, cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions.principal import Principal
from resolvers.auth import (
    GRANT_GONE,
    USER_GONE,
    api_key_select,
    api_key_with_secret,
    bearer_subject,
)
from resolvers.subscriptions.access import live_principals
from resolvers.subscriptions.coalesced_reads import CoalescedReads
from server.db.models import ApiKey
from server.errors import AppError, unauthenticated

Credential = tuple[str, str]  # (bearer token, signing key)


class SignIns:
    """`await sign_ins(token, key)`: what `principal_from_bearer` answers, in batches."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reads = CoalescedReads(self._read_batch)

    async def __call__(self, token: str, key: str) -> Principal:
        result = await self._reads((token, key))
        if isinstance(result, AppError):
            raise result
        return result

    async def _read_batch(self, credentials: list[Credential]) -> list[Principal | AppError]:
        subjects: list[tuple[str, Hashable] | AppError] = []
        for token, key in credentials:
            try:
                subjects.append(bearer_subject(token, key))
            except AppError as exc:
                subjects.append(exc)
        named = [s for s in subjects if not isinstance(s, AppError)]
        people = {s for s in named if s[0] != "key"}
        prefixes = sorted({subject[0] for kind, subject in named if kind == "key"})  # type: ignore[index]
        async with self.engine.connect() as conn:
            found = await live_principals(conn, people) if people else {}
            keys = {}
            if prefixes:
                stmt = api_key_select().where(ApiKey.prefix == any_(cast(prefixes, ARRAY(String))))
                keys = {row.prefix: row for row in await conn.execute(stmt)}
        results: list[Principal | AppError] = []
        for subject in subjects:
            if isinstance(subject, AppError):
                results.append(subject)
            elif subject[0] == "key":
                prefix, secret = subject[1]  # type: ignore[misc]
                try:
                    results.append(api_key_with_secret(keys.get(prefix), secret))
                except AppError as exc:
                    results.append(exc)
            else:
                principal = found.get(subject)
                gone = GRANT_GONE if subject[0] == "grant" else USER_GONE
                results.append(principal if principal is not None else unauthenticated(gone))
        return results

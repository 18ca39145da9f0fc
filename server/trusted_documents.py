"""Trusted documents and Apollo persisted queries.

A request may name its document by hash instead of sending it, as Apollo Client's
persisted-queries link does: `extensions.persistedQuery = {version: 1, sha256Hash}`, over
GET or POST. The hash is looked up among the documents first-party clients registered
from their build's manifest (`casegraph documents register`), then among documents this
process saw sent with their hash (automatic persisted queries). Unknown:
PERSISTED_QUERY_NOT_FOUND, and the client sends the document with its hash again.

With `TRUSTED_DOCUMENTS_ONLY_FOR_CUSTOMERS`, customer sessions may run registered
documents only (by hash, or by sending one's exact text); anything else is
PERSISTED_QUERY_NOT_IN_LIST. Staff, partners and API keys keep arbitrary documents,
bounded by the cost limit.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.models import TrustedDocument
from server.errors import AppError, ErrorCode, bad_input

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Lru(OrderedDict[str, str]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: str, value: str) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class TrustedDocuments:
    def __init__(self, engine: AsyncEngine, cache_size: int = 2000) -> None:
        self.engine = engine
        # Registered documents never change under their hash: cache what was found.
        self._registered = _Lru(cache_size)
        self._automatic = _Lru(cache_size)

    async def registered(self, sha256: str) -> str | None:
        body = self._registered.get(sha256)
        if body is None:
            stmt = select(TrustedDocument.body).where(TrustedDocument.sha256 == sha256).limit(1)
            async with self.engine.connect() as conn:
                body = (await conn.execute(stmt)).scalar()
            if body is not None:
                self._registered.put(sha256, body)
        return body

    async def resolve(
        self, query: str | None, extensions: dict[str, Any] | None, *, registered_only: bool
    ) -> str | None:
        """The document text to run: `query`, or the one its persisted hash names."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if registered_only and query is not None:
                await self._require_registered(sha256_of(query))
            return query
        sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise bad_input("Unsupported persisted query version; send version 1.")
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise bad_input("persistedQuery.sha256Hash must be 64 lowercase hex digits.")
        if query is not None:
            if sha256_of(query) != sha256:
                raise bad_input("provided sha does not match query")
            if registered_only:
                await self._require_registered(sha256)
            self._automatic.put(sha256, query)
            return query
        text = await self.registered(sha256)
        if text is None and not registered_only:
            text = self._automatic.get(sha256)
        if text is None:
            raise AppError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        return text

    async def _require_registered(self, sha256: str) -> None:
        if await self.registered(sha256) is None:
            raise AppError(
                ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
                "This session may only run the app's registered documents.",
            )


def parse_manifest(data: Any) -> list[tuple[str, str | None, str]]:
    """(sha256, operation name, body) from Apollo's persisted-query manifest
    (`{"format": "apollo-persisted-query-manifest", "operations": [{id, name, body}]}`)
    or a plain `{hash: document}` map. Every hash must be the sha256 of its body."""
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        entries = [(op.get("id"), op.get("name"), op.get("body")) for op in data["operations"]]
    elif isinstance(data, dict):
        entries = [(key, None, value) for key, value in data.items()]
    else:
        raise ValueError("a manifest is a JSON object")
    documents = []
    for sha256, name, body in entries:
        if not isinstance(body, str) or not isinstance(sha256, str):
            raise ValueError(f"entry {sha256!r}: id and body must be strings")
        if sha256_of(body) != sha256:
            raise ValueError(f"entry {sha256!r}: the id is not the sha256 of its body")
        documents.append((sha256, name if isinstance(name, str) else None, body))
    return documents


async def register_documents(
    engine: AsyncEngine, client_name: str, documents: list[tuple[str, str | None, str]]
) -> int:
    """Store a client's documents; returns how many were new."""
    if not documents:
        return 0
    rows = [
        {"client_name": client_name, "sha256": sha, "operation_name": name, "body": body}
        for sha, name, body in documents
    ]
    stmt = insert(TrustedDocument).values(rows).on_conflict_do_nothing()
    async with engine.begin() as conn:
        result = await conn.execute(stmt.returning(TrustedDocument.sha256))
        return len(result.all())

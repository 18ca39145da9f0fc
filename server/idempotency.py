"""Idempotent mutations: a retry with the same `Idempotency-Key` gets the first response.

Keys are scoped per principal and kept `IDEMPOTENCY_TTL_SECONDS`. The first request
claims its key with a unique insert (so two concurrent duplicates cannot both act), runs,
and stores its response; a duplicate waits for that response and gets it back unchanged.
The same key with a different operation (text, name or variables) is a CONFLICT. A first
attempt that fails unexpectedly (INTERNAL) releases its key, so the retry acts.

A process that dies between claiming and storing leaves its key pending; duplicates get
CONFLICT until it expires. The mutation may or may not have committed then, and acting
again could do it twice: refusing is the safe side.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import random
import re
import time
from typing import Any

import orjson
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.models import IdempotencyKey
from server.errors import AppError, ErrorCode, bad_input

HEADER = "idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def request_hash(query: str | None, operation_name: str | None, variables: Any) -> str:
    """What makes two requests "the same operation"."""
    body = orjson.dumps(
        [query, operation_name, variables], option=orjson.OPT_SORT_KEYS, default=str
    )
    return hashlib.sha256(body).hexdigest()


def checked_key(value: str) -> str:
    if not _KEY.match(value):
        raise bad_input("Idempotency-Key must be 1–255 printable ASCII characters.")
    return value


class IdempotencyStore:
    def __init__(self, engine: AsyncEngine, ttl_seconds: int, wait_seconds: float = 10) -> None:
        self.engine = engine
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.wait_seconds = wait_seconds

    async def claim(self, principal: str, key: str, fingerprint: str) -> dict[str, Any] | None:
        """None: this request owns the key and acts. Else the first response, to replay."""
        deadline = time.monotonic() + self.wait_seconds
        mine = and_(IdempotencyKey.principal == principal, IdempotencyKey.key == key)
        while True:
            async with self.engine.begin() as conn:
                # This key's expired claim, and now and then everyone's (indexed).
                sweep = random.random() < 0.01
                expired = IdempotencyKey.expires_at < func.now()
                await conn.execute(
                    delete(IdempotencyKey).where(expired if sweep else mine & expired)
                )
                claimed = await conn.execute(
                    insert(IdempotencyKey)
                    .values(
                        principal=principal,
                        key=key,
                        request_hash=fingerprint,
                        expires_at=func.now() + self.ttl,
                    )
                    .on_conflict_do_nothing()
                    .returning(IdempotencyKey.key)
                )
                if claimed.first() is not None:
                    return None
                row = (
                    await conn.execute(
                        select(IdempotencyKey.request_hash, IdempotencyKey.response).where(mine)
                    )
                ).first()
            if row is not None:
                if row.request_hash != fingerprint:
                    raise AppError(
                        ErrorCode.CONFLICT,
                        "This Idempotency-Key was already used for a different operation.",
                    )
                if row.response is not None:
                    return dict(row.response)
            if time.monotonic() > deadline:
                raise AppError(
                    ErrorCode.CONFLICT,
                    "A request with this Idempotency-Key is still running; retry later.",
                )
            await asyncio.sleep(0.05)  # the first request is still running

    async def finish(self, principal: str, key: str, response: dict[str, Any]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.principal == principal, IdempotencyKey.key == key)
                .values(response=response)
            )

    async def release(self, principal: str, key: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.principal == principal, IdempotencyKey.key == key
                )
            )

"""Setting a portal's customer page and reading what the chat left behind, straight in
the database (the GraphQL settings mutations are not what these tests are about)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.customer_page.helpers import set_portal_settings as set_portal_page  # noqa: F401


async def set_case_page(
    engine: AsyncEngine, insurer_id: int, case_id: int, **settings: Any
) -> None:
    """One case's override of the portal's settings."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO case_customer_page_overrides (case_id, insurer_id, settings) "
                "VALUES (:c, :i, CAST(:s AS jsonb)) "
                "ON CONFLICT (case_id) DO UPDATE SET settings = EXCLUDED.settings"
            ),
            {"c": case_id, "i": insurer_id, "s": json.dumps(settings)},
        )


async def execute(engine: AsyncEngine, sql: str, **params: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(sql), params)


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def notifications(engine: AsyncEngine, case_id: int) -> list[tuple[str, str, str]]:
    """(kind, channel, recipient) of the case's queued notifications, oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT kind, channel, recipient FROM notifications WHERE case_id = :c ORDER BY id"
            ),
            {"c": case_id},
        )
        return [tuple(row) for row in rows]

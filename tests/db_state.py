"""A fingerprint of everything one insurer's portal holds, to prove nothing changed."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

PORTAL_TABLES = (
    "cases",
    "case_contacts",
    "tasks",
    "documents",
    "feed_entries",
    "messages",
    "comments",
    "customer_access_grants",
    "offices",
    "users",
    "api_keys",
)


async def portal_fingerprint(engine: AsyncEngine, insurer_id: int) -> dict[str, str]:
    fingerprint: dict[str, str] = {}
    async with engine.connect() as conn:
        for table in PORTAL_TABLES:
            sql = text(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t.id)), '') "
                f"FROM {table} t WHERE t.insurer_id = :insurer"
            )
            fingerprint[table] = (await conn.execute(sql, {"insurer": insurer_id})).scalar_one()
    return fingerprint


async def latest_feed(engine: AsyncEngine, case_id: int) -> tuple[str, int | None, dict]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT type, actor_user_id, payload FROM feed_entries WHERE case_id = :c "
                    "ORDER BY id DESC LIMIT 1"
                ),
                {"c": case_id},
            )
        ).one()
    return row.type, row.actor_user_id, row.payload

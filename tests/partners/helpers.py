"""Helpers the partner-structure tests share: the portal's role rights, extra offices."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.models import Case, ExternalCaseHandlerRole, Notification, Office
from tests.factories import Portal

# The damage: Oslo Central Station.
OSLO = (59.9111, 10.7528)


async def grant_ech_rights(engine: AsyncEngine, portal: Portal, *rights: str) -> None:
    """Define the portal's external case handler role as exactly `rights`."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(ExternalCaseHandlerRole).where(
                ExternalCaseHandlerRole.insurer_id == portal.insurer.id
            )
        )
        await conn.execute(
            insert(ExternalCaseHandlerRole).values(
                insurer_id=portal.insurer.id, rights=list(rights)
            )
        )


async def place_case(engine: AsyncEngine, case_id: int, point: tuple[float, float] | None) -> None:
    latitude, longitude = point or (None, None)
    async with engine.begin() as conn:
        await conn.execute(
            update(Case).where(Case.id == case_id).values(latitude=latitude, longitude=longitude)
        )


async def add_office(engine: AsyncEngine, portal: Portal, name: str, **columns: Any) -> int:
    async with engine.begin() as conn:
        return (
            await conn.execute(
                insert(Office)
                .values(
                    insurer_id=portal.insurer.id,
                    company_id=portal.partner.id,
                    name=name,
                    **columns,
                )
                .returning(Office.id)
            )
        ).scalar_one()


async def notifications_of(engine: AsyncEngine, case_id: int, kind: str) -> list[str]:
    async with engine.connect() as conn:
        stmt = (
            select(Notification.recipient)
            .where(Notification.case_id == case_id, Notification.kind == kind)
            .order_by(Notification.id)
        )
        return list((await conn.execute(stmt)).scalars())


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))

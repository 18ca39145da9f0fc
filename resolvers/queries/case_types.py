"""The case types a principal reaches, in one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions.case_types import visible_case_types
from permissions.principal import Principal
from server.db.casework import CaseType


async def list_case_types(
    *, engine: AsyncEngine, principal: Principal, include_inactive: bool
) -> list[Any]:
    """By name (permissions.case_types says who reaches which)."""
    stmt = select(*CaseType.__table__.c).where(visible_case_types(principal))
    if not include_inactive:
        stmt = stmt.where(CaseType.active)
    async with engine.connect() as conn:
        return list((await conn.execute(stmt.order_by(CaseType.name, CaseType.id))).all())

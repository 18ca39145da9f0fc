"""Statuses, priorities and SLA clocks written straight into a test portal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.casework import CasePriority, CaseWorkflowStatus
from server.db.engine import make_session_factory
from server.db.models import Case


async def add_status(engine: AsyncEngine, insurer_id: int, name: str, **kw: Any) -> int:
    values = {"color": "#336699", "position": 0, **kw}
    async with make_session_factory(engine)() as session, session.begin():
        row = CaseWorkflowStatus(insurer_id=insurer_id, name=name, **values)
        session.add(row)
        await session.flush()
        return row.id


async def add_priority(engine: AsyncEngine, insurer_id: int, name: str, **kw: Any) -> int:
    values = {"position": 0, "at_risk_percent": 80, **kw}
    async with make_session_factory(engine)() as session, session.begin():
        row = CasePriority(insurer_id=insurer_id, name=name, **values)
        session.add(row)
        await session.flush()
        return row.id


async def set_case(engine: AsyncEngine, case_id: int, **values: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(Case).where(Case.id == case_id).values(**values))


async def db_now(engine: AsyncEngine) -> dt.datetime:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT now()"))).scalar_one()


async def case_row(engine: AsyncEngine, case_id: int) -> Any:
    async with engine.connect() as conn:
        stmt = text("SELECT * FROM cases WHERE id = :id")
        return (await conn.execute(stmt, {"id": case_id})).one()


async def feed_types(engine: AsyncEngine, case_id: int) -> list[tuple[str, dict]]:
    async with engine.connect() as conn:
        stmt = text("SELECT type, payload FROM feed_entries WHERE case_id = :c ORDER BY id")
        return [(r.type, r.payload) for r in (await conn.execute(stmt, {"c": case_id})).all()]


async def event_log(engine: AsyncEngine, insurer_id: int) -> list[Any]:
    async with engine.connect() as conn:
        stmt = text("SELECT * FROM event_log WHERE insurer_id = :i ORDER BY id")
        return list((await conn.execute(stmt, {"i": insurer_id})).all())

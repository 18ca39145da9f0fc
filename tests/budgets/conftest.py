"""Budget test helpers: the portal's external case handler rights, a budget file, the
notifications and feed entries a case got."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions.rights import Right
from server.db.engine import make_session_factory
from server.db.enums import DocumentType
from server.db.models import Case, Company, Document, ExternalCaseHandlerRole, User
from tests.factories import Portal


async def set_ech_rights(engine: AsyncEngine, portal: Portal, rights: set[Right]) -> None:
    values = [right.value for right in rights]
    stmt = insert(ExternalCaseHandlerRole).values(insurer_id=portal.insurer.id, rights=values)
    stmt = stmt.on_conflict_do_update(index_elements=["insurer_id"], set_={"rights": values})
    async with engine.begin() as conn:
        await conn.execute(stmt)


async def set_limits(
    engine: AsyncEngine,
    portal: Portal,
    *,
    portal_default: Decimal | None = None,
    users: dict[int, Decimal | None] | None = None,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(Company)
            .where(Company.id == portal.insurer.id)
            .values(default_budget_approval_limit=portal_default)
        )
        for user_id, limit in (users or {}).items():
            await conn.execute(
                update(User).where(User.id == user_id).values(budget_approval_limit=limit)
            )


async def make_ech_of_case(engine: AsyncEngine, portal: Portal) -> None:
    """The portal's external case handler (of `other_office`) also handles `portal.case`,
    where `office` holds the main inspection and `other_office` the drying."""
    async with engine.begin() as conn:
        await conn.execute(
            update(Case)
            .where(Case.id == portal.case.id)
            .values(
                external_case_handler_office_id=portal.other_office.id,
                external_case_handler_id=portal.ech.id,
            )
        )


async def add_document(engine: AsyncEngine, case_id: int, task_id: int | None) -> int:
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        case = await session.get(Case, case_id)
        assert case is not None
        document = Document(
            insurer_id=case.insurer_id,
            case_id=case_id,
            task_id=task_id,
            type=DocumentType.OTHER,
            title="Budget",
            file_name="budget.pdf",
            content_type="application/pdf",
            size_bytes=10,
            sha256="b" * 64,
            storage_key="missing-budget",
        )
        session.add(document)
        await session.flush()
        return document.id


async def notifications(engine: AsyncEngine, case_id: int, kind: str) -> list[Any]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT recipient, subject, body FROM notifications "
                "WHERE case_id = :case_id AND kind = :kind ORDER BY id"
            ),
            {"case_id": case_id, "kind": kind},
        )
        return list(result.all())


async def feed_types(engine: AsyncEngine, case_id: int) -> list[Any]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT type, payload FROM feed_entries WHERE case_id = :id ORDER BY id"),
            {"id": case_id},
        )
        return [row for row in result.all() if row.type.startswith("budget_")]


@pytest.fixture
async def portal(world: Any, engine: AsyncEngine) -> Portal:
    """A portal whose main case has the external case handler, with every right."""
    await make_ech_of_case(engine, world.portal)
    await set_ech_rights(engine, world.portal, set(Right))
    return world.portal  # type: ignore[no-any-return]

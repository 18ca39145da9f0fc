"""Setting a portal's customer page and moving its case between milestones, in SQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.enums import TaskKind

# Case states, named by the furthest milestone they reach.
STATES = ("case_created", "inspector_assigned", "positive_decision")
MILESTONES = ("case_created", "inspector_assigned", "positive_decision", "never")
REACHED = {
    "case_created": {"case_created"},
    "inspector_assigned": {"case_created", "inspector_assigned"},
    "positive_decision": {"case_created", "inspector_assigned", "positive_decision"},
}


async def set_portal_settings(engine: AsyncEngine, insurer_id: int, **settings: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO customer_page_settings (insurer_id, settings) VALUES (:i, :s) "
                "ON CONFLICT (insurer_id) DO UPDATE SET settings = EXCLUDED.settings"
            ),
            {"i": insurer_id, "s": json.dumps(settings)},
        )


async def set_case_state(engine: AsyncEngine, case: Any, state: str, inspector_id: int) -> None:
    """Put the case at `state`: the main inspection's responsible person and the
    compensation decision are what the milestones are computed from."""
    responsible = None if state == "case_created" else inspector_id
    decision = "accepted" if state == "positive_decision" else "none"
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE tasks SET responsible_id = :r WHERE case_id = :c AND kind = :k"),
            {"r": responsible, "c": case.id, "k": TaskKind.MAIN_INSPECTION.value},
        )
        await conn.execute(
            text("UPDATE cases SET compensation_decision = :d WHERE id = :c"),
            {"d": decision, "c": case.id},
        )

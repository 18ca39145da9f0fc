"""Setting a portal's customer page and moving its case between milestones, in SQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.auth import customer_claims, issue_token, new_link_token
from server.db.engine import make_session_factory
from server.db.enums import ContactRole, TaskKind
from server.db.models import CaseContact, CustomerAccessGrant

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


async def customer_token(
    engine: AsyncEngine, world: Any, case: Any, role: ContactRole, *, revoked: bool = False
) -> str:
    """A signed-in customer: a new contact in `role` on `case` with an access grant
    (revoked at once with `revoked`)."""
    async with make_session_factory(engine)() as session, session.begin():
        contact = CaseContact(
            insurer_id=case.insurer_id, case_id=case.id, role=role, name=f"{role.value} contact"
        )
        session.add(contact)
        await session.flush()
        grant = CustomerAccessGrant(
            insurer_id=case.insurer_id, case_id=case.id, contact_id=contact.id,
            token_hash=new_link_token()[1],
        )  # fmt: skip
        session.add(grant)
        await session.flush()
    settings = world.settings
    token = issue_token(customer_claims(grant), settings.signing_key(), settings.token_ttl_seconds)
    if revoked:
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE customer_access_grants SET revoked_at = now() WHERE id = :id"),
                {"id": grant.id},
            )
    return token[0]

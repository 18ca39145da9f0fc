"""Demo workflow statuses and priorities, and where the demo cases stand with them.

Defined through the admin services (so the event log has them), after the demo cases
have their spread-out timestamps: each case then gets a status and a priority that fit
its story, a first reply to the customer within 0 to 25 hours of its creation (if the
story has one: the demo's compressed chat times would make every reply days late), and
the pause of a case that waits on the customer or a third party. The breaches due by
then are marked, with their feed entries, as the watcher would have done.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal, Role
from resolvers.services import sla, sla_settings
from resolvers.services.outbox import Outbox
from resolvers.services.sla_settings import PriorityData, StatusData

# name: (colour, customer label or None (not shown), pauses the SLA, default)
STATUSES: dict[str, tuple[str, str | None, bool, bool]] = {
    "New": ("#6C757D", "Received", False, True),
    "Under assessment": ("#1F6FEB", "In progress", False, False),
    "Waiting for customer": ("#D29922", "Waiting for you", True, False),
    "Waiting for third party": ("#8250DF", "In progress", True, False),
    "Fraud check": ("#CF222E", None, False, False),
    "Repairs": ("#2DA44E", "Repairs under way", False, False),
    "Done": ("#57606A", "Completed", False, False),
}
# name: (minutes to the first response, minutes to resolution, default)
PRIORITIES: dict[str, tuple[int, int, bool]] = {
    "Normal": (24 * 60, 120 * 24 * 60, True),
    "High": (4 * 60, 60 * 24 * 60, False),
}

PLACE_CASES = """
UPDATE cases c SET
  workflow_status_id = CASE
    WHEN c.status = 'closed' THEN CAST(:done AS bigint)
    WHEN c.status = 'on_hold' THEN CAST(:third_party AS bigint)
    WHEN c.compensation_decision = 'more_information_needed' THEN CAST(:waiting AS bigint)
    WHEN c.compensation_decision = 'accepted' THEN CAST(:repairs AS bigint)
    WHEN c.created_at > now() - interval '1 day' THEN CAST(:new AS bigint)
    ELSE CAST(:assessing AS bigint) END,
  priority_id = CASE WHEN c.damage_type IN ('fire', 'flood') THEN CAST(:high AS bigint)
    ELSE CAST(:normal AS bigint) END,
  first_response_at = CASE
    WHEN EXISTS (SELECT 1 FROM feed_entries f
                 WHERE f.case_id = c.id AND f.type = 'communication_to_customer')
     AND c.created_at + make_interval(hours => (c.id % 6)::int * 5) <= now()
    THEN c.created_at + make_interval(hours => (c.id % 6)::int * 5) END,
  sla_paused_since = CASE
    WHEN c.status = 'on_hold' OR c.compensation_decision = 'more_information_needed'
    THEN c.updated_at END
WHERE c.insurer_id = :insurer
"""


async def seed_sla(session: AsyncSession, insurers: dict[str, int], users: dict[str, Any]) -> None:
    for key, insurer_id in insurers.items():
        admin = users[f"admin@{key}.test"]
        actor = Principal(
            role=Role.STAFF,
            insurer_id=insurer_id,
            user_id=admin.id,
            company_id=admin.company_id,
            authority_level=admin.authority_level,
        )
        ids: dict[str, int] = {}
        for position, (name, (color, label, pauses, default)) in enumerate(STATUSES.items()):
            data = StatusData(
                name=name,
                color=color,
                position=position + 1,
                visible_to_customer=label is not None,
                customer_label=label,
                pauses_sla=pauses,
                is_default=default,
                active=True,
            )
            status = await sla_settings.create_status(session=session, actor=actor, data=data)
            ids[name] = status.id
        for position, (name, (first, resolution, default)) in enumerate(PRIORITIES.items()):
            data = PriorityData(
                name=name,
                position=position + 1,
                first_response_minutes=first,
                resolution_minutes=resolution,
                at_risk_percent=80,
                is_default=default,
                active=True,
            )
            priority = await sla_settings.create_priority(session=session, actor=actor, data=data)
            ids[name] = priority.id
        await session.execute(
            text(PLACE_CASES),
            {
                "insurer": insurer_id,
                "done": ids["Done"],
                "third_party": ids["Waiting for third party"],
                "waiting": ids["Waiting for customer"],
                "repairs": ids["Repairs"],
                "new": ids["New"],
                "assessing": ids["Under assessment"],
                "high": ids["High"],
                "normal": ids["Normal"],
            },
        )
    # The breaches the demo starts with are in its feeds already, as a watcher would have
    # written them: a server started on fresh demo data finds none to add mid-walk.
    while await sla.record_due_breaches(session=session, outbox=Outbox(), batch=1000):
        pass

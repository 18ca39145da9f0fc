"""Demo data for recurring cases: Nordlys's monthly property inspection.

It starts on the first day of next month (08:00 UTC), so seeding never opens a case by
itself; the schedule shows in `recurringCaseSchedules` with its next occurrence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from resolvers.services import recurring_cases
from resolvers.services.cases import CaseData, ContactData
from server.db.enums import ContactRole, DamageType, RecurrenceFrequency


def _first_of_next_month(now: dt.datetime) -> dt.datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return dt.datetime(year, month, 1, 8, 0, tzinfo=dt.UTC)


async def seed_recurring(seeder: Any) -> None:
    """`seeder` is server.seed.demo.Seeder (not imported: demo.py imports this module)."""
    from server.seed.demo import principal_of

    admin = principal_of(seeder.users["admin@nordlys.test"])
    handler = seeder.users["handler1@nordlys.test"]
    await recurring_cases.create_schedule(
        session=seeder.session,
        actor=admin,
        data=recurring_cases.ScheduleData(
            name="Property inspection",
            case_data=CaseData(
                damage_type=DamageType.OTHER,
                street="Strandgata 12",
                postal_code="9008",
                city="Tromsø",
                description="Monthly inspection of the insured warehouse (roof, drains, "
                "sprinklers), agreed in the policy.",
                case_handler_id=handler.id,
            ),
            contacts=[
                ContactData(
                    role=ContactRole.POLICYHOLDER,
                    name="Nordnorsk Lager AS",
                    email="drift@nordnorsk-lager.example",
                )
            ],
            frequency=RecurrenceFrequency.MONTHLY,
            interval=1,
            starts_at=_first_of_next_month(dt.datetime.now(dt.UTC)),
        ),
    )

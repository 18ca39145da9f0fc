"""Demo case type: water damage reported by customers themselves (issue 7)."""

from __future__ import annotations

from typing import Any

from resolvers.services import case_types
from server.db.enums import CustomFieldKind, TaskKind

WATER_DAMAGE = "Water damage (self-service)"


async def seed_casetypes(seeder: Any) -> None:
    """Each demo portal's admin defines the self-service water damage type: a CHOICE the
    customer fills (where the water came from), a NUMBER only staff see (the water
    meter reading), and a main inspection two days after the report."""
    from server.seed.demo import principal_of  # the demo module calls this one

    for key, insurer_id in seeder.insurers.items():
        admin = principal_of(seeder.users[f"admin@{key}.test"])
        handler = seeder.users[f"handler1@{key}.test"]
        office = next(
            (o for o in seeder.offices.values()
             if o.insurer_id == insurer_id and o.available_for_new_tasks),
            None,
        )  # fmt: skip
        await case_types.create_case_type(
            session=seeder.session,
            actor=admin,
            data=case_types.CaseTypeData(
                name=WATER_DAMAGE,
                description="Leaks and flooding, reported by the customer online.",
                customer_reporting=True,
                public_reporting=True,
                default_deadline_days=14,
                default_case_handler_id=handler.id,
                fields=[
                    case_types.FieldData(
                        key="leakSource",
                        label="Where did the water come from?",
                        kind=CustomFieldKind.CHOICE,
                        options=["Pipe", "Roof", "Appliance", "Unknown"],
                        required=True,
                        visible_to_customer=True,
                    ),
                    case_types.FieldData(
                        key="meterReading",
                        label="Water meter reading (m³)",
                        kind=CustomFieldKind.NUMBER,
                    ),
                ],
                task_templates=[
                    case_types.TemplateData(
                        kind=TaskKind.MAIN_INSPECTION,
                        title="Inspect the water damage",
                        description="Moisture measurement and cause of the leak.",
                        office_id=office.id if office else None,
                        start_after_days=2,
                    )
                ],
            ),
        )

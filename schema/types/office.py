"""The insurer's office categories, and offices recommended for a task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from resolvers.services import offices
from schema.node import decode_typed_id, encode_global_id
from schema.types.people import Office


@strawberry.type(
    description="A category the insurer sorts its partner offices by (e.g. 'Preferred', "
    "'Large claims'), to pick the right office when assigning tasks."
)
class OfficeCategory:
    row: strawberry.Private[Any]
    id: strawberry.ID = strawberry.field(
        description="Opaque id; give it in `categoryIds` of `officeCreate`/`officeUpdate`."
    )
    name: str = strawberry.field(description="Name, unique in the portal.")
    description: str | None = strawberry.field(description="What the category means.")
    created_at: dt.datetime = strawberry.field(description="When it was defined.")

    @classmethod
    def from_row(cls, row: Any) -> OfficeCategory:
        return cls(
            row=row,
            id=encode_global_id("OfficeCategory", row.id),
            name=row.name,
            description=row.description,
            created_at=row.created_at,
        )


@strawberry.type(description="An office that can take a task, with its distance from the damage.")
class RecommendedOffice:
    office: Office = strawberry.field(description="The office.")
    distance_km: float | None = strawberry.field(
        description="Great-circle distance from the damage address to the office in "
        "kilometres; null when the case or the office has no coordinates."
    )


async def office_categories(info: strawberry.Info) -> list[OfficeCategory]:
    """The portal's office categories, by name."""
    principal = info.context.require_principal()
    async with info.context.sessions() as session:
        rows = await offices.list_categories(session=session, actor=principal)
    return [OfficeCategory.from_row(row) for row in rows]


async def recommended_offices(
    info: strawberry.Info,
    case_id: strawberry.ID,
    service: str,
    first: int | None = None,
) -> list[RecommendedOffice]:
    """Offices to assign a task of the case to, nearest first (one SQL statement)."""
    principal = info.context.require_principal()
    async with info.context.engine.connect() as conn:
        found = await offices.recommended_offices(
            conn=conn,
            actor=principal,
            case_id=decode_typed_id(case_id, "Case", "caseId"),
            service=service,
            first=first,
        )
    return [
        RecommendedOffice(office=Office.from_row(item.office), distance_km=item.distance_km)
        for item in found
    ]

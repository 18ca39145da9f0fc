"""Mutations on partner offices and the insurer's office categories.

Offices: staff create and edit them; a partner user may switch only their own office's
`availableForNewTasks`. Categories: staff with authority level 5 or more (company admins
included) define them, since they shape every assignment in the portal.
"""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.services import offices
from schema.mutations.payloads import ERRORS_HELP
from schema.mutations.runner import Outcome, UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.loading import load_one
from schema.types.office import OfficeCategory
from schema.types.people import Office

_SERVICES = "Task kinds and trades it offers (e.g. 'main_inspection', 'repair', 'drying')."


@strawberry.input(description="A new office of a partner company in your portal.")
class OfficeCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The partner company.")
    name: str = strawberry.field(description="Office name.")
    street: str | None = strawberry.field(default=None, description="Street address.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code.")
    city: str | None = strawberry.field(default=None, description="City.")
    latitude: float | None = strawberry.field(
        default=None, description="Latitude, -90 to 90 (with `longitude`)."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude, -180 to 180 (with `latitude`)."
    )
    services: list[str] | None = strawberry.field(default=None, description=_SERVICES)
    available_for_new_tasks: bool = strawberry.field(
        default=True, description="Whether it takes new tasks."
    )
    category_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The insurer's categories the office is in."
    )


@strawberry.input(
    description="Changes to an office; omitted fields stay. Partner users of the office may "
    "give only `availableForNewTasks`."
)
class OfficeUpdateInput:
    office_id: strawberry.ID = strawberry.field(description="The office.")
    name: str | None = strawberry.field(default=None, description="Office name.")
    street: str | None = strawberry.field(default=None, description="Street address.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code.")
    city: str | None = strawberry.field(default=None, description="City.")
    latitude: float | None = strawberry.field(
        default=None, description="Latitude, -90 to 90 (with `longitude`)."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude, -180 to 180 (with `latitude`)."
    )
    services: list[str] | None = strawberry.field(
        default=None, description=_SERVICES + " Replaces the list."
    )
    available_for_new_tasks: bool | None = strawberry.field(
        default=None, description="Whether it takes new tasks."
    )
    category_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The categories it is in; replaces them ([] clears)."
    )


@strawberry.input(description="A new office category of your portal.")
class OfficeCategoryCreateInput:
    name: str = strawberry.field(description="Name, unique in the portal.")
    description: str | None = strawberry.field(default=None, description="What it means.")


@strawberry.input(description="Changes to an office category; omitted fields stay.")
class OfficeCategoryUpdateInput:
    category_id: strawberry.ID = strawberry.field(description="The category.")
    name: str | None = strawberry.field(default=None, description="New name.")
    description: str | None = strawberry.field(
        default=None, description="New description; an empty string clears it."
    )


@strawberry.input(description="Names one office category.")
class OfficeCategoryDeleteInput:
    category_id: strawberry.ID = strawberry.field(description="The category.")


@strawberry.type(description="Result of a mutation on an office.")
class OfficePayload:
    office_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The office after the change; null if it failed.")
    async def office(self, info: strawberry.Info) -> Office | None:
        return await load_one(info, "office_by_id", self.office_id, Office)

    @classmethod
    def of(cls, outcome: Outcome[Any]) -> OfficePayload:
        return cls(office_id=outcome.value.id if outcome.value else None, errors=outcome.errors)


@strawberry.type(description="Result of a mutation on an office category.")
class OfficeCategoryPayload:
    category: OfficeCategory | None = strawberry.field(
        description="The category after the change; null if it failed."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


@strawberry.type(description="Result of deleting an office category.")
class OfficeCategoryDeletePayload:
    deleted_category_id: strawberry.ID | None = strawberry.field(
        description="The id of the deleted category; null if it failed."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


def category_id(global_id: strawberry.ID, field: str = "categoryId") -> int:
    return decode_typed_id(global_id, "OfficeCategory", field)


def _office_data(input: OfficeCreateInput | OfficeUpdateInput) -> offices.OfficeData:
    ids = input.category_ids
    return offices.OfficeData(
        name=input.name,
        street=input.street,
        postal_code=input.postal_code,
        city=input.city,
        latitude=input.latitude,
        longitude=input.longitude,
        services=input.services,
        available_for_new_tasks=input.available_for_new_tasks,
        category_ids=None if ids is None else [category_id(i, "categoryIds") for i in ids],
    )


async def office_create(info: strawberry.Info, input: OfficeCreateInput) -> OfficePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await offices.create_office(
            session=session,
            actor=actor,
            company_id=decode_typed_id(input.company_id, "Company", "companyId"),
            data=_office_data(input),
        )

    return OfficePayload.of(await run_mutation(info, work))


async def office_update(info: strawberry.Info, input: OfficeUpdateInput) -> OfficePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await offices.update_office(
            session=session,
            actor=actor,
            office_id=decode_typed_id(input.office_id, "Office", "officeId"),
            data=_office_data(input),
        )

    return OfficePayload.of(await run_mutation(info, work))


def _category_payload(outcome: Outcome[Any]) -> OfficeCategoryPayload:
    row = outcome.value
    category = OfficeCategory.from_row(row) if row is not None else None
    return OfficeCategoryPayload(category=category, errors=outcome.errors)


async def office_category_create(
    info: strawberry.Info, input: OfficeCategoryCreateInput
) -> OfficeCategoryPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await offices.create_category(
            session=session, actor=actor, name=input.name, description=input.description
        )

    return _category_payload(await run_mutation(info, work))


async def office_category_update(
    info: strawberry.Info, input: OfficeCategoryUpdateInput
) -> OfficeCategoryPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await offices.update_category(
            session=session,
            actor=actor,
            category_id=category_id(input.category_id),
            name=input.name,
            description=input.description,
        )

    return _category_payload(await run_mutation(info, work))


async def office_category_delete(
    info: strawberry.Info, input: OfficeCategoryDeleteInput
) -> OfficeCategoryDeletePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await offices.delete_category(
            session=session, actor=actor, category_id=category_id(input.category_id)
        )

    outcome = await run_mutation(info, work)
    deleted = input.category_id if outcome.value is not None else None
    return OfficeCategoryDeletePayload(deleted_category_id=deleted, errors=outcome.errors)

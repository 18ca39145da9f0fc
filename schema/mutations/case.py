"""Mutations on a case's lifecycle: create, update, hold, close, reopen, decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from resolvers.services import cases
from schema.enums import CompensationDecision, ContactRole, DamageType
from schema.mutations.case_type import CustomFieldValueInput, field_values
from schema.mutations.payloads import CasePayload
from schema.mutations.runner import run_mutation
from schema.node import decode_typed_id


@strawberry.input(description="A person on the customer side, given when creating a case.")
class CaseContactInput:
    role: ContactRole = strawberry.field(description="Policyholder, contact person or other.")
    name: str = strawberry.field(description="Full name.")
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(default=None, description="Mobile number, for SMS.")


@strawberry.input(description="A new case. One contact must be the policyholder.")
class CaseCreateInput:
    damage_type: DamageType = strawberry.field(description="What caused the damage.")
    street: str = strawberry.field(description="Street address of the damaged property.")
    postal_code: str = strawberry.field(description="Postal code.")
    city: str = strawberry.field(description="City.")
    latitude: float | None = strawberry.field(
        default=None, description="Latitude of the property, -90 to 90 (with `longitude`)."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude of the property, -180 to 180 (with `latitude`)."
    )
    contacts: list[CaseContactInput] = strawberry.field(description="Customer-side contacts.")
    claim_number: str | None = strawberry.field(default=None, description="Claim number.")
    description: str | None = strawberry.field(default=None, description="What happened.")
    damage_date: dt.date | None = strawberry.field(default=None, description="Date of damage.")
    case_handler_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff user handling the case."
    )
    budget: Decimal | None = strawberry.field(default=None, description="Initial budget.")
    # --- casetypes ---
    case_type_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The case's type (active): its defaults apply where this input names "
        "none, and its task template opens tasks.",
    )
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None,
        description="Values of the type's custom fields; each is checked against its "
        "definition (else BAD_USER_INPUT naming `customFields.<key>`).",
    )


@strawberry.input(description="Changes to a case; omitted fields stay as they are.")
class CaseUpdateInput:
    case_id: strawberry.ID = strawberry.field(description="The case to change.")
    damage_type: DamageType | None = strawberry.field(default=None, description="Damage type.")
    street: str | None = strawberry.field(default=None, description="Street address.")
    postal_code: str | None = strawberry.field(default=None, description="Postal code.")
    city: str | None = strawberry.field(default=None, description="City.")
    latitude: float | None = strawberry.field(
        default=None, description="Latitude of the property, -90 to 90 (with `longitude`)."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude of the property, -180 to 180 (with `latitude`)."
    )
    claim_number: str | None = strawberry.field(default=None, description="Claim number.")
    description: str | None = strawberry.field(default=None, description="What happened.")
    damage_date: dt.date | None = strawberry.field(default=None, description="Date of damage.")
    case_handler_id: strawberry.ID | None = strawberry.field(
        default=None, description="New case handler (a staff user)."
    )
    budget: Decimal | None = strawberry.field(default=None, description="New budget.")
    # --- casetypes ---
    case_type_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A new type: the values are checked against it (values of keys it does "
        "not define are dropped); no template tasks are opened.",
    )
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None,
        description="Values to set (null or blank clears one); the others stay. The result "
        "is checked as a whole: required fields stay required.",
    )


@strawberry.input(description="A status change of a case, with an optional reason.")
class CaseStatusInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    reason: str | None = strawberry.field(
        default=None, description="Why (internal; customers never see it)."
    )


@strawberry.input(description="The insurer's compensation decision on a case.")
class CaseCompensationDecisionInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    decision: CompensationDecision = strawberry.field(description="The decision.")


def _handler(global_id: strawberry.ID | None) -> int | None:
    return decode_typed_id(global_id, "User", "caseHandlerId") if global_id else None


def _case_data(input: CaseCreateInput | CaseUpdateInput) -> cases.CaseData:
    return cases.CaseData(
        damage_type=input.damage_type,
        street=input.street,
        postal_code=input.postal_code,
        city=input.city,
        latitude=input.latitude,
        longitude=input.longitude,
        claim_number=input.claim_number,
        description=input.description,
        damage_date=input.damage_date,
        case_handler_id=_handler(input.case_handler_id),
        budget=input.budget,
        case_type_id=decode_typed_id(input.case_type_id, "CaseType", "caseTypeId")
        if input.case_type_id
        else None,
        custom_fields=field_values(input.custom_fields),
    )


def _case_id(global_id: strawberry.ID) -> int:
    return decode_typed_id(global_id, "Case", "caseId")


async def case_create(info: strawberry.Info, input: CaseCreateInput) -> CasePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        data = _case_data(input)
        contacts = [cases.ContactData(c.role, c.name, c.email, c.phone) for c in input.contacts]
        return await cases.create_case(
            session=session, outbox=outbox, actor=actor, data=data, contacts=contacts
        )

    return CasePayload.of(await run_mutation(info, work))


async def case_update(info: strawberry.Info, input: CaseUpdateInput) -> CasePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        data = _case_data(input)
        return await cases.update_case(
            session=session, outbox=outbox, actor=actor, case_id=_case_id(input.case_id), data=data
        )

    return CasePayload.of(await run_mutation(info, work))


def _status_mutation(service):  # type: ignore[no-untyped-def]
    async def mutate(info: strawberry.Info, input: CaseStatusInput) -> CasePayload:
        async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
            return await service(
                session=session,
                outbox=outbox,
                actor=actor,
                case_id=_case_id(input.case_id),
                reason=input.reason,
            )

        return CasePayload.of(await run_mutation(info, work))

    return mutate


case_put_on_hold = _status_mutation(cases.put_on_hold)
case_close = _status_mutation(cases.close_case)
case_reopen = _status_mutation(cases.reopen_case)


async def case_set_compensation_decision(
    info: strawberry.Info, input: CaseCompensationDecisionInput
) -> CasePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await cases.set_compensation_decision(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=_case_id(input.case_id),
            decision=input.decision,
        )

    return CasePayload.of(await run_mutation(info, work))

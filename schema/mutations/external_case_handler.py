"""The external case handler: the portal's role definition, and its assignment on a case
(an office first, then a user of it)."""

from __future__ import annotations

import strawberry

from resolvers.services import external_case_handler as ech
from schema.mutations.payloads import CasePayload
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.rights import ExternalCaseHandlerRight, ExternalCaseHandlerRole, to_rights

ERRORS_HELP = "Why nothing was changed; empty on success."


@strawberry.type(description="The role definition after the change, or why nothing changed.")
class ExternalCaseHandlerRolePayload:
    role: ExternalCaseHandlerRole | None = strawberry.field(
        description="The portal's role now; null if it failed."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


async def external_case_handler_role_update(
    info: strawberry.Info,
    rights: list[ExternalCaseHandlerRight],  # type: ignore[valid-type]
) -> ExternalCaseHandlerRolePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await ech.define_role(session=session, actor=actor, rights=to_rights(rights))

    outcome = await run_mutation(info, work)
    role = ExternalCaseHandlerRole.of(outcome.value) if outcome.value is not None else None
    return ExternalCaseHandlerRolePayload(role=role, errors=outcome.errors)


async def case_assign_external_case_handler_office(
    info: strawberry.Info,
    case_id: strawberry.ID,
    office_id: strawberry.ID | None = None,
) -> CasePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        case = decode_typed_id(case_id, "Case", "caseId")
        office = decode_typed_id(office_id, "Office", "officeId") if office_id else None
        return await ech.assign_office(
            session=session, outbox=outbox, actor=actor, case_id=case, office_id=office
        )

    return CasePayload.of(await run_mutation(info, work))


async def case_assign_external_case_handler(
    info: strawberry.Info,
    case_id: strawberry.ID,
    user_id: strawberry.ID | None = None,
) -> CasePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        case = decode_typed_id(case_id, "Case", "caseId")
        user = decode_typed_id(user_id, "User", "userId") if user_id else None
        return await ech.assign_handler(
            session=session, outbox=outbox, actor=actor, case_id=case, user_id=user
        )

    return CasePayload.of(await run_mutation(info, work))

"""Customer access: staff give a contact of a case a link to the customer page."""

from __future__ import annotations

import strawberry

from resolvers.services.access import grant_customer_access
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id

ERRORS_HELP = "Why nothing was changed; empty on success."


@strawberry.type(description="A customer's access link token, shown only once.")
class CustomerAccessPayload:
    access_token: str | None = strawberry.field(
        description="Put in the customer's link; exchanged by `customerLogin` for a bearer token."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


@strawberry.input(description="Give one contact of a case access to the customer page.")
class CustomerAccessGrantInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    contact_id: strawberry.ID = strawberry.field(description="The contact on that case.")


async def customer_access_grant(
    info: strawberry.Info, input: CustomerAccessGrantInput
) -> CustomerAccessPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        _, token = await grant_customer_access(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=decode_typed_id(input.case_id, "Case", "caseId"),
            contact_id=decode_typed_id(input.contact_id, "CaseContact", "contactId"),
        )
        return token

    outcome = await run_mutation(info, work)
    return CustomerAccessPayload(access_token=outcome.value, errors=outcome.errors)

"""Customer access: staff give a contact of a case a link to the customer page, send it,
and revoke it."""

from __future__ import annotations

import strawberry

from resolvers.services.access import grant_customer_access, revoke_customer_access
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.access import CaseCustomerAccess

ERRORS_HELP = "Why nothing was changed; empty on success."


@strawberry.type(description="A customer's access link token, shown only once.")
class CustomerAccessPayload:
    case_id: strawberry.Private[int | None]
    access_token: str | None = strawberry.field(
        description="Put in the customer's link; exchanged by `customerLogin` for a bearer token."
    )
    link_sent: bool = strawberry.field(
        description="The link was queued to the contact by email (or SMS if no email)."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="Who has access to the case now; null if it failed.")
    async def access(self, info: strawberry.Info) -> CaseCustomerAccess | None:
        return await CaseCustomerAccess.load(info, self.case_id) if self.case_id else None


@strawberry.input(description="Give one contact of a case access to the customer page.")
class CustomerAccessGrantInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    contact_id: strawberry.ID = strawberry.field(description="The contact on that case.")
    send: bool = strawberry.field(
        default=False,
        description="Also send the link now: by email, or by SMS when the contact has no "
        "email (BAD_USER_INPUT when they have neither).",
    )


@strawberry.input(description="End one contact's access to the customer page.")
class CustomerAccessRevokeInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    contact_id: strawberry.ID = strawberry.field(description="The contact on that case.")


async def customer_access_grant(
    info: strawberry.Info, input: CustomerAccessGrantInput
) -> CustomerAccessPayload:
    case_id = decode_typed_id(input.case_id, "Case", "caseId")
    contact_id = decode_typed_id(input.contact_id, "CaseContact", "contactId")

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        _, token = await grant_customer_access(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=case_id,
            contact_id=contact_id,
            send=input.send,
        )
        return token

    outcome = await run_mutation(info, work)
    ok = outcome.value is not None
    return CustomerAccessPayload(
        case_id=case_id if ok else None,
        access_token=outcome.value,
        link_sent=ok and input.send,
        errors=outcome.errors,
    )


@strawberry.type(description="Result of revoking a contact's customer access.")
class CustomerAccessRevokePayload:
    case_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="Who has access to the case now; null if it failed.")
    async def access(self, info: strawberry.Info) -> CaseCustomerAccess | None:
        return await CaseCustomerAccess.load(info, self.case_id) if self.case_id else None


async def customer_access_revoke(
    info: strawberry.Info, input: CustomerAccessRevokeInput
) -> CustomerAccessRevokePayload:
    case_id = decode_typed_id(input.case_id, "Case", "caseId")
    contact_id = decode_typed_id(input.contact_id, "CaseContact", "contactId")

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await revoke_customer_access(
            session=session, outbox=outbox, actor=actor, case_id=case_id, contact_id=contact_id
        )

    outcome = await run_mutation(info, work)
    ok = outcome.value is not None
    return CustomerAccessRevokePayload(case_id=case_id if ok else None, errors=outcome.errors)

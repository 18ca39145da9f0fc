"""Customers and customer grants (staff), and the grant holder's sign-in."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers.auth import (
    customer_claims,
    customer_grant_session_claims,
    grant_session_code_verified,
    issue_token,
)
from resolvers.services import customer_grants, customers
from resolvers.services.customer_grant_login import grant_case_token_owner, sign_in
from resolvers.services.customer_grant_login import open_case as open_grant_case
from schema.mutations.auth import CustomerLoginError, CustomerLoginErrorCode
from schema.mutations.payloads import CasePayload
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.customers import Customer, CustomerGrant, GrantCase
from server.errors import bad_input

ERRORS_HELP = "Why nothing was changed; empty on success."


@strawberry.type(description="A customer after a change, or why nothing changed.")
class CustomerPayload:
    customer: Customer | None = strawberry.field(description="The customer; null if it failed.")
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


@strawberry.input(description="A new customer of your portal.")
class CustomerCreateInput:
    name: str = strawberry.field(description="Name of the person or organisation.")
    customer_number: str | None = strawberry.field(
        default=None, description="The insurer's customer number; unique in the portal."
    )
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")


@strawberry.input(description="Change a customer; omitted fields keep their value.")
class CustomerUpdateInput:
    id: strawberry.ID = strawberry.field(description="The customer.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    customer_number: str | None = strawberry.field(
        default=strawberry.UNSET, description="New customer number; null clears it."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="New email; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="New phone; null clears it."
    )


def _given(value: object) -> object:
    return customers.UNSET if value is strawberry.UNSET else value


async def customer_create(info: strawberry.Info, input: CustomerCreateInput) -> CustomerPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await customers.create_customer(
            session=session, actor=actor, name=input.name,
            customer_number=input.customer_number, email=input.email, phone=input.phone,
        )  # fmt: skip

    outcome = await run_mutation(info, work)
    row = outcome.value
    return CustomerPayload(customer=Customer.from_row(row) if row else None, errors=outcome.errors)


async def customer_update(info: strawberry.Info, input: CustomerUpdateInput) -> CustomerPayload:
    customer_id = decode_typed_id(input.id, "Customer", "id")
    if input.name is None:
        raise bad_input("'name' cannot be cleared.", "name")

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await customers.update_customer(
            session=session, actor=actor, customer_id=customer_id, name=_given(input.name),
            customer_number=_given(input.customer_number), email=_given(input.email),
            phone=_given(input.phone),
        )  # fmt: skip

    outcome = await run_mutation(info, work)
    row = outcome.value
    return CustomerPayload(customer=Customer.from_row(row) if row else None, errors=outcome.errors)


async def case_set_customer(
    info: strawberry.Info,
    case_id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
    customer_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="A customer of the case's portal; null unlinks."),
    ],
) -> CasePayload:
    case = decode_typed_id(case_id, "Case", "caseId")
    customer = decode_typed_id(customer_id, "Customer", "customerId") if customer_id else None

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await customers.set_case_customer(
            session=session, outbox=outbox, actor=actor, case_id=case, customer_id=customer
        )

    return CasePayload.of(await run_mutation(info, work))


# --- customer grants ------------------------------------------------------------------


@strawberry.input(description="Access for one person to the cases of several customers.")
class CustomerGrantCreateInput:
    name: str = strawberry.field(description="The holder's name.")
    email: str | None = strawberry.field(default=None, description="The holder's email.")
    phone: str | None = strawberry.field(
        default=None, description="The holder's mobile number (for SMS codes and links)."
    )
    customer_ids: list[strawberry.ID] = strawberry.field(
        description="The customers covered (1–100, all of your portal)."
    )
    send: bool = strawberry.field(
        default=False,
        description="Also send the link now: by email, or SMS when there is no email.",
    )


@strawberry.type(description="A new customer grant; its link token is shown only this once.")
class CustomerGrantCreatePayload:
    access_token: str | None = strawberry.field(
        description="Put in the holder's link; exchanged by `customerGrantLogin`."
    )
    grant: CustomerGrant | None = strawberry.field(description="The grant; null if it failed.")
    link_sent: bool = strawberry.field(description="The link was queued to the holder.")
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


@strawberry.type(description="A customer grant after a change, or why nothing changed.")
class CustomerGrantPayload:
    grant: CustomerGrant | None = strawberry.field(description="The grant; null if it failed.")
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


@strawberry.input(description="Change a live customer grant.")
class CustomerGrantUpdateInput:
    id: strawberry.ID = strawberry.field(description="The grant.")
    add_customer_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Customers to cover as well."
    )
    remove_customer_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Customers no longer covered: open sessions on their cases end at once.",
    )
    name: str | None = strawberry.field(default=None, description="New holder name.")
    email: str | None = strawberry.field(default=None, description="New holder email.")
    phone: str | None = strawberry.field(default=None, description="New holder phone.")


def _ids(values: list[strawberry.ID], field: str) -> list[int]:
    return [decode_typed_id(value, "Customer", field) for value in values]


async def customer_grant_create(
    info: strawberry.Info, input: CustomerGrantCreateInput
) -> CustomerGrantCreatePayload:
    ids = _ids(input.customer_ids, "customerIds")

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await customer_grants.create_customer_grant(
            session=session, actor=actor, name=input.name, email=input.email,
            phone=input.phone, customer_ids=ids, send=input.send,
        )  # fmt: skip

    outcome = await run_mutation(info, work)
    if outcome.value is None:
        return CustomerGrantCreatePayload(
            access_token=None, grant=None, link_sent=False, errors=outcome.errors
        )
    row, token = outcome.value
    return CustomerGrantCreatePayload(
        access_token=token, grant=CustomerGrant.from_row(row), link_sent=input.send, errors=[]
    )


async def customer_grant_update(
    info: strawberry.Info, input: CustomerGrantUpdateInput
) -> CustomerGrantPayload:
    grant_id = decode_typed_id(input.id, "CustomerGrant", "id")
    add = _ids(input.add_customer_ids, "addCustomerIds")
    remove = _ids(input.remove_customer_ids, "removeCustomerIds")

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await customer_grants.update_customer_grant(
            session=session, outbox=outbox, actor=actor, grant_id=grant_id,
            add_customer_ids=add, remove_customer_ids=remove, name=input.name,
            email=input.email, phone=input.phone,
        )  # fmt: skip

    outcome = await run_mutation(info, work)
    row = outcome.value
    return CustomerGrantPayload(
        grant=CustomerGrant.from_row(row) if row else None, errors=outcome.errors
    )


async def customer_grant_revoke(
    info: strawberry.Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The grant.")],
) -> CustomerGrantPayload:
    grant_id = decode_typed_id(id, "CustomerGrant", "id")

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await customer_grants.revoke_customer_grant(
            session=session, outbox=outbox, actor=actor, grant_id=grant_id
        )

    outcome = await run_mutation(info, work)
    row = outcome.value
    return CustomerGrantPayload(
        grant=CustomerGrant.from_row(row) if row else None, errors=outcome.errors
    )


# --- the holder's side --------------------------------------------------------------------


@strawberry.type(
    description="A customer grant session token, or (when the portal requires an SMS code) "
    "word that one was sent, or why neither happened."
)
class CustomerGrantLoginPayload:
    session_token: str | None = strawberry.field(
        description="Pass to `grantCases` and `grantOpenCase`. Not a bearer token: it "
        "lists and opens the covered cases and nothing else."
    )
    expires_at: dt.datetime | None = strawberry.field(description="When the session expires.")
    code_required: bool = strawberry.field(
        description="An SMS code is needed: call again with `code` (the first call sends it)."
    )
    code_sent_to: str | None = strawberry.field(
        description="The masked mobile number a code was just sent to."
    )
    code_expires_at: dt.datetime | None = strawberry.field(
        description="When the code just sent stops working."
    )
    help_text: str | None = strawberry.field(
        description="The portal's text on whom to contact when the code does not work."
    )
    cases: list[GrantCase] = strawberry.field(description="The cases the grant covers now.")
    errors: list[CustomerLoginError] = strawberry.field(description=ERRORS_HELP)


async def customer_grant_login(
    info: strawberry.Info,
    access_token: Annotated[
        str, strawberry.argument(description="The token from the grant holder's link.")
    ],
    code: Annotated[
        str | None,
        strawberry.argument(description="The SMS code, when `codeRequired` was answered."),
    ] = None,
) -> CustomerGrantLoginPayload:
    ctx = info.context
    secret = ctx.settings.signing_key()
    cases: list[GrantCase] = []
    async with ctx.sessions() as session, session.begin():  # attempts count on failure too
        outcome = await sign_in(session=session, link_token=access_token, code=code, secret=secret)
        if outcome.grant_id is not None:
            listed = await customer_grants.grant_cases(session, grant_id=outcome.grant_id)
            cases = [GrantCase.of(case) for case in listed]
    token = expires = None
    if outcome.grant_id is not None:
        claims = customer_grant_session_claims(
            outcome.grant_id, code_verified=outcome.code_verified
        )
        token, expires = issue_token(claims, secret, ctx.settings.token_ttl_seconds)
    errors = []
    if outcome.problem is not None:
        field = ["code"] if outcome.problem.startswith("CODE_") and code else None
        errors.append(
            CustomerLoginError(
                code=CustomerLoginErrorCode(outcome.problem), field=field, message=outcome.message
            )
        )
    return CustomerGrantLoginPayload(
        session_token=token, expires_at=expires,
        code_required=outcome.code_required and token is None,
        code_sent_to=outcome.code_sent_to, code_expires_at=outcome.code_expires_at,
        help_text=outcome.help_text, cases=cases, errors=errors,
    )  # fmt: skip


@strawberry.type(
    description="A customer bearer token for one covered case, or (when the case requires "
    "an SMS code the grant session did not give) word that one was sent, or why neither "
    "happened."
)
class GrantOpenCasePayload:
    token: str | None = strawberry.field(
        description="Send as 'Authorization: Bearer <token>': a customer session of this "
        "case exactly like `customerLogin`'s, ending when the customer grant is revoked or "
        "stops covering the case. Null while a code is required."
    )
    expires_at: dt.datetime | None = strawberry.field(description="When the token expires.")
    code_required: bool = strawberry.field(
        default=False,
        description="The case requires an SMS code the session did not give: call again "
        "with `code` (the first call sends it), as with `customerLogin`.",
    )
    code_sent_to: str | None = strawberry.field(
        default=None, description="The masked mobile number a code was just sent to."
    )
    code_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="When the code just sent stops working."
    )
    help_text: str | None = strawberry.field(
        default=None,
        description="The case's text on whom to contact when the code does not work.",
    )
    errors: list[CustomerLoginError] = strawberry.field(
        default_factory=list, description=ERRORS_HELP
    )


async def grant_open_case(
    info: strawberry.Info,
    session_token: Annotated[str, strawberry.argument(description="From `customerGrantLogin`.")],
    case_id: Annotated[strawberry.ID, strawberry.argument(description="A case of `grantCases`.")],
    code: Annotated[
        str | None,
        strawberry.argument(description="The SMS code, when `codeRequired` was answered."),
    ] = None,
) -> GrantOpenCasePayload:
    ctx = info.context
    secret = ctx.settings.signing_key()
    grant_id = grant_case_token_owner(session_token, secret)
    case = decode_typed_id(case_id, "Case", "caseId")
    async with ctx.sessions() as session, session.begin():  # attempts count on failure too
        outcome = await open_grant_case(
            session=session, grant_id=grant_id, case_id=case,
            code_verified=grant_session_code_verified(session_token, secret),
            code=code, secret=secret,
        )  # fmt: skip
    errors = []
    if outcome.problem is not None:
        field = ["code"] if outcome.problem.startswith("CODE_") and code else None
        errors.append(
            CustomerLoginError(
                code=CustomerLoginErrorCode(outcome.problem), field=field, message=outcome.message
            )
        )
    if outcome.grant_id is None:
        return GrantOpenCasePayload(
            token=None, expires_at=None, code_required=outcome.code_required,
            code_sent_to=outcome.code_sent_to, code_expires_at=outcome.code_expires_at,
            help_text=outcome.help_text, errors=errors,
        )  # fmt: skip
    token, expires = issue_token(
        customer_claims(_Ref(outcome.grant_id)), secret, ctx.settings.token_ttl_seconds
    )
    return GrantOpenCasePayload(token=token, expires_at=expires)


class _Ref:
    def __init__(self, row_id: int) -> None:
        self.id = row_id


async def grant_cases(
    info: strawberry.Info,
    session_token: Annotated[str, strawberry.argument(description="From `customerGrantLogin`.")],
) -> list[GrantCase]:
    ctx = info.context
    grant_id = grant_case_token_owner(session_token, ctx.settings.signing_key())
    async with ctx.sessions() as session:
        listed = await customer_grants.grant_cases(session, grant_id=grant_id)
    return [GrantCase.of(case) for case in listed]

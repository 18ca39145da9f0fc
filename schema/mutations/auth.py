"""Signing in: staff and partner users by password, customers by their link token."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers.auth import (
    authenticate_user,
    customer_claims,
    issue_token,
    redeem_link_token,
    user_claims,
)
from resolvers.services.access import grant_customer_access
from schema.mutations.runner import UserError, UserErrorCode, run_mutation
from schema.node import decode_typed_id
from schema.types.people import User

ERRORS_HELP = "Why nothing was changed; empty on success."


@strawberry.type(description="A bearer token, or why none was issued.")
class LoginPayload:
    token: str | None = strawberry.field(
        description="Send as 'Authorization: Bearer <token>' on every request."
    )
    expires_at: dt.datetime | None = strawberry.field(description="When the token expires.")
    user: User | None = strawberry.field(description="The signed-in user (not for customers).")
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


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


def _rejected(message: str) -> LoginPayload:
    error = UserError(code=UserErrorCode.UNAUTHENTICATED, field=None, message=message)
    return LoginPayload(token=None, expires_at=None, user=None, errors=[error])


async def login(info: strawberry.Info, email: str, password: str) -> LoginPayload:
    ctx = info.context
    user = await authenticate_user(ctx.engine, email, password)
    if user is None:
        return _rejected("Email or password is wrong.")
    token, expires = issue_token(
        user_claims(user), ctx.settings.signing_key(), ctx.settings.token_ttl_seconds
    )
    return LoginPayload(token=token, expires_at=expires, user=User.from_row(user), errors=[])


async def customer_login(info: strawberry.Info, access_token: str) -> LoginPayload:
    ctx = info.context
    grant = await redeem_link_token(ctx.engine, access_token.strip())
    if grant is None:
        return _rejected("This link is not valid any more; ask your case handler for a new one.")
    token, expires = issue_token(
        customer_claims(grant), ctx.settings.signing_key(), ctx.settings.token_ttl_seconds
    )
    return LoginPayload(token=token, expires_at=expires, user=None, errors=[])


async def customer_access_grant(
    info: strawberry.Info, input: CustomerAccessGrantInput
) -> CustomerAccessPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        _, token = await grant_customer_access(
            session=session,
            actor=actor,
            case_id=decode_typed_id(input.case_id, "Case", "caseId"),
            contact_id=decode_typed_id(input.contact_id, "CaseContact", "contactId"),
        )
        return token

    outcome = await run_mutation(info, work)
    return CustomerAccessPayload(access_token=outcome.value, errors=outcome.errors)

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
    user_principal,
)
from resolvers.loaders import Loaders
from schema.mutations.runner import UserError, UserErrorCode
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
    # The rest of this response is read as the user who just signed in.
    ctx.principal = user_principal(user, user.id)
    ctx.loaders = Loaders(ctx.engine, ctx.principal)
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

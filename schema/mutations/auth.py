"""Signing in: staff and partner users by password, customers by their link token."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Annotated, Any

import strawberry

from resolvers.auth import (
    authenticate_user,
    customer_claims,
    issue_token,
    user_claims,
    user_principal,
)
from resolvers.loaders import Loaders
from resolvers.services.customer_login import sign_in
from schema.mutations.runner import UserError, UserErrorCode
from schema.types.people import User
from server.ratelimit import rate_limited

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


# Buckets per sign-in attempt, as multiples of `login_attempts` per window: one email from
# one address (guessing a password), one address across emails (password spraying: an
# office's shared address still fits), one email across addresses (a distributed guess).
LOGIN_BUCKETS = (("email+address", 1), ("address", 10), ("email", 5))


async def _limit_attempts(ctx: Any, email: str) -> None:
    """Guessing passwords: each attempt draws from the three buckets above."""
    settings = ctx.settings
    if ctx.buckets is None or settings.login_attempts <= 0:
        return
    address = ctx.request.client.host if getattr(ctx.request, "client", None) else "unknown"
    keys = {
        "email+address": f"login:{email.strip().lower()}:{address}",
        "address": f"login-address:{address}",
        "email": f"login-email:{email.strip().lower()}",
    }
    for name, multiple in LOGIN_BUCKETS:
        capacity = settings.login_attempts * multiple
        budget = await ctx.buckets.charge(
            keys[name], 1, capacity=capacity, refill=capacity / settings.login_window_seconds
        )
        if not budget.allowed:
            raise rate_limited(budget, f"Too many sign-in attempts (per {name})")


async def login(info: strawberry.Info, email: str, password: str) -> LoginPayload:
    ctx = info.context
    await _limit_attempts(ctx, email)
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


@strawberry.enum(description="Why a customer sign-in did not give a token. Stable.")
class CustomerLoginErrorCode(enum.Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED",
        description="The link is unknown, revoked or expired (one answer for all three).",
    )
    PHONE_MISSING = strawberry.enum_value(
        "PHONE_MISSING", description="A code is required but the contact has no mobile number."
    )
    CODE_RATE_LIMITED = strawberry.enum_value(
        "CODE_RATE_LIMITED", description="Too many codes were requested lately; wait and retry."
    )
    CODE_INVALID = strawberry.enum_value(
        "CODE_INVALID", description="The code is wrong (an attempt was used) or none was sent."
    )
    CODE_EXPIRED = strawberry.enum_value(
        "CODE_EXPIRED", description="The code is too old or already used; ask for a new one."
    )
    CODE_ATTEMPTS_EXCEEDED = strawberry.enum_value(
        "CODE_ATTEMPTS_EXCEEDED", description="Too many wrong codes; ask for a new one."
    )


@strawberry.type(description="Why a customer sign-in failed.")
class CustomerLoginError:
    code: CustomerLoginErrorCode = strawberry.field(description="Machine-readable reason.")
    field: list[str] | None = strawberry.field(
        description="The offending argument, e.g. ['code']; null if general."
    )
    message: str = strawberry.field(description="What to tell the customer.")


@strawberry.type(
    description="A customer's bearer token; or, when the portal requires an SMS code, "
    "word that one was sent; or why neither happened."
)
class CustomerLoginPayload:
    token: str | None = strawberry.field(
        description="Send as 'Authorization: Bearer <token>'; null until signed in."
    )
    expires_at: dt.datetime | None = strawberry.field(description="When the token expires.")
    code_required: bool = strawberry.field(
        description="An SMS code is needed: call again with `code` (the first call sends it)."
    )
    code_sent_to: str | None = strawberry.field(
        description="The masked mobile number a code was just sent to, e.g. '+47 ••• •• 123'."
    )
    code_expires_at: dt.datetime | None = strawberry.field(
        description="When the code just sent stops working."
    )
    help_text: str | None = strawberry.field(
        description="The portal's text on whom to contact when the code does not work; "
        "given whenever a code is involved (never for an invalid link)."
    )
    errors: list[CustomerLoginError] = strawberry.field(description=ERRORS_HELP)


async def customer_login(
    info: strawberry.Info,
    access_token: str,
    code: Annotated[
        str | None,
        strawberry.argument(description="The SMS code, when `codeRequired` was answered."),
    ] = None,
) -> CustomerLoginPayload:
    ctx = info.context
    secret = ctx.settings.signing_key()
    async with ctx.sessions() as session, session.begin():  # attempts count on failure too
        outcome = await sign_in(session=session, link_token=access_token, code=code, secret=secret)
    token = expires = None
    if outcome.grant_id is not None:
        claims = customer_claims(_GrantRef(outcome.grant_id))
        token, expires = issue_token(claims, secret, ctx.settings.token_ttl_seconds)
    errors = []
    if outcome.problem is not None:
        field = ["code"] if outcome.problem.startswith("CODE_") and code else None
        errors.append(
            CustomerLoginError(
                code=CustomerLoginErrorCode(outcome.problem), field=field, message=outcome.message
            )
        )
    return CustomerLoginPayload(
        token=token,
        expires_at=expires,
        code_required=outcome.code_required and token is None,
        code_sent_to=outcome.code_sent_to,
        code_expires_at=outcome.code_expires_at,
        help_text=outcome.help_text,
        errors=errors,
    )


@dataclass(frozen=True, slots=True)
class _GrantRef:
    id: int

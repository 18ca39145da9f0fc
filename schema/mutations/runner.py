"""How every mutation runs: one transaction, expected failures as `errors` in the payload.

load → authorize → validate → write (with its feed entry) → commit → publish. An AppError
with an input-type code rolls everything back and comes back as a `UserError`; NOT_FOUND,
FORBIDDEN and UNAUTHENTICATED stay GraphQL errors (the request itself was not allowed).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal
from resolvers.context import Context
from resolvers.loaders import Loaders
from resolvers.services.outbox import Outbox
from server.errors import AppError

T = TypeVar("T")


@strawberry.enum(description="Why a mutation did nothing. Stable: clients may branch on it.")
class UserErrorCode(enum.Enum):
    BAD_USER_INPUT = strawberry.enum_value(
        "BAD_USER_INPUT", description="An argument is missing, empty, malformed or out of range."
    )
    CONFLICT = strawberry.enum_value(
        "CONFLICT", description="The object is in a state that does not allow this now."
    )
    PAYLOAD_TOO_LARGE = strawberry.enum_value(
        "PAYLOAD_TOO_LARGE", description="An uploaded file is over the size limit."
    )
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED", description="The credentials given were not accepted."
    )


@strawberry.type(description="An expected failure of a mutation; nothing was changed.")
class UserError:
    code: UserErrorCode = strawberry.field(description="Machine-readable reason.")
    field: list[str] | None = strawberry.field(
        description="Path to the offending argument, e.g. ['input', 'title']; null if general."
    )
    message: str = strawberry.field(description="Human-readable explanation.")


PAYLOAD_CODES = {code.value for code in UserErrorCode}


def user_error(exc: AppError) -> UserError:
    field = exc.extensions.get("field")
    return UserError(
        code=UserErrorCode(exc.code.value),
        field=["input", *str(field).split(".")] if field else None,
        message=exc.message,
    )


@dataclass(slots=True)
class Outcome(Generic[T]):
    """What a mutation's work returned, or the user errors that stopped it."""

    value: T | None
    errors: list[UserError]


async def run_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession, Outbox, Principal], Awaitable[T]]
) -> Outcome[T]:
    """Run `work` in one transaction; return its result, or the user errors it raised."""
    ctx: Context = info.context
    principal = ctx.require_principal()
    outbox = Outbox()  # one per mutation: nothing is published unless this one commits
    try:
        async with ctx.sessions() as session, session.begin():
            result = await work(session, outbox, principal)
    except AppError as exc:
        if exc.code.value in PAYLOAD_CODES:
            return Outcome(None, [user_error(exc)])
        raise
    ctx.committed = True
    # Later fields must see the committed state, not rows cached before it.
    ctx.loaders = Loaders(ctx.engine, principal)
    await outbox.publish(ctx.broker)
    return Outcome(result, [])

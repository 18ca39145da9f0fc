"""Standard replies: written by company admins, used by staff (see `Query.standardReplies`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.services import standard_replies
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id, encode_global_id
from schema.types.texts import StandardReply


@strawberry.input(description="A new standard reply.")
class StandardReplyCreateInput:
    title: str = strawberry.field(description="What staff pick it by, 1–200 characters.")
    body: str = strawberry.field(
        description="The text, 1–10,000 characters, with placeholders such as "
        "`{customer_name}` (see `StandardReply`); an unknown one is BAD_USER_INPUT."
    )


@strawberry.input(description="Changes to a standard reply; omitted fields keep their value.")
class StandardReplyUpdateInput:
    id: strawberry.ID = strawberry.field(description="The standard reply.")
    title: str | None = strawberry.field(default=None, description="New title.")
    body: str | None = strawberry.field(default=None, description="New text.")
    active: bool | None = strawberry.field(
        default=None, description="False takes it out of use (kept); true brings it back."
    )


@strawberry.type(description="The standard reply after the change, or why nothing changed.")
class StandardReplyPayload:
    standard_reply: StandardReply | None = strawberry.field(description="The reply.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of deleting a standard reply.")
class StandardReplyDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted reply's id.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _payload(outcome) -> StandardReplyPayload:  # type: ignore[no-untyped-def]
    row = outcome.value
    return StandardReplyPayload(
        standard_reply=StandardReply.from_row(row) if row else None, errors=outcome.errors
    )


async def standard_reply_create(
    info: strawberry.Info, input: StandardReplyCreateInput
) -> StandardReplyPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        reply = await standard_replies.create_reply(
            session=session, actor=actor, title=input.title, body=input.body
        )
        await session.refresh(reply)
        return reply

    return _payload(await run_mutation(info, work))


async def standard_reply_update(
    info: strawberry.Info, input: StandardReplyUpdateInput
) -> StandardReplyPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        reply = await standard_replies.update_reply(
            session=session,
            actor=actor,
            reply_id=decode_typed_id(input.id, "StandardReply", "id"),
            title=input.title,
            body=input.body,
            active=input.active,
        )
        await session.flush()
        await session.refresh(reply)
        return reply

    return _payload(await run_mutation(info, work))


async def standard_reply_delete(
    info: strawberry.Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The standard reply.")],
) -> StandardReplyDeletePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await standard_replies.delete_reply(
            session=session, actor=actor, reply_id=decode_typed_id(id, "StandardReply", "id")
        )

    outcome = await run_mutation(info, work)
    deleted = encode_global_id("StandardReply", outcome.value) if outcome.value else None
    return StandardReplyDeletePayload(deleted_id=deleted, errors=outcome.errors)

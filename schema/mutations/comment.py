"""Editing and deleting internal comments (their author only; the history is kept)."""

from __future__ import annotations

import strawberry

from resolvers.services import comments
from schema.mutations.payloads import CommentPayload
from schema.mutations.runner import run_mutation
from schema.node import decode_typed_id


@strawberry.input(description="A new body for one of your comments.")
class CommentEditInput:
    id: strawberry.ID = strawberry.field(description="The comment.")
    body: str = strawberry.field(
        description="The new text, 1–10,000 characters, mentions as in `commentAdd`."
    )


@strawberry.input(description="One of your comments to delete.")
class CommentDeleteInput:
    id: strawberry.ID = strawberry.field(description="The comment.")


async def comment_edit(info: strawberry.Info, input: CommentEditInput) -> CommentPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await comments.edit_comment(
            session=session,
            outbox=outbox,
            actor=actor,
            comment_id=decode_typed_id(input.id, "Comment", "id"),
            body=input.body,
        )

    outcome = await run_mutation(info, work)
    return CommentPayload(
        comment_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )


async def comment_delete(info: strawberry.Info, input: CommentDeleteInput) -> CommentPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await comments.delete_comment(
            session=session, actor=actor, comment_id=decode_typed_id(input.id, "Comment", "id")
        )

    outcome = await run_mutation(info, work)
    return CommentPayload(
        comment_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )

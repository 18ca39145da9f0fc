"""Mutations for the customer chat and internal comments."""

from __future__ import annotations

import strawberry

from resolvers.services import communication, standard_replies
from schema.mutations.payloads import CommentPayload, MarkReadPayload, MessagePayload
from schema.mutations.runner import run_mutation
from schema.node import decode_typed_id

# Texts: a standard reply fills the body (one or the other, so what is sent is never a
# guess between them; to edit a reply, render it with `standardReplyRender` first).
STANDARD_REPLY_HELP = (
    "Send this standard reply, filled for the case, as the text (staff and the insurer's "
    "API keys). Exactly one of `body` and `standardReplyId`: both or neither is "
    "BAD_USER_INPUT."
)


async def _body(session, actor, case_id: int, input) -> str:  # type: ignore[no-untyped-def]
    reply_id = (
        decode_typed_id(input.standard_reply_id, "StandardReply", "standardReplyId")
        if input.standard_reply_id is not None
        else None
    )
    return await standard_replies.body_for(
        session=session, actor=actor, case_id=case_id, body=input.body, reply_id=reply_id
    )


@strawberry.input(description="A chat message on a case: from the customer, or to them.")
class MessageSendInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    body: str | None = strawberry.field(
        default=None,
        description="The text, 1–10,000 characters. Give this or `standardReplyId`.",
    )
    standard_reply_id: strawberry.ID | None = strawberry.field(
        default=None, description=STANDARD_REPLY_HELP
    )
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Documents of the case to attach (at most 10)."
    )


@strawberry.input(description="An internal comment on a case, or a reply to one.")
class CommentAddInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    body: str | None = strawberry.field(
        default=None,
        description="The text, 1–10,000 characters; mention people as "
        "`@[Name](user:<User id>)`. Give this or `standardReplyId`.",
    )
    standard_reply_id: strawberry.ID | None = strawberry.field(
        default=None, description=STANDARD_REPLY_HELP
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Reply to this comment (same case, not deleted; else BAD_USER_INPUT). "
        "Replies are internal like every comment.",
    )


@strawberry.input(description="Names one case.")
class CaseInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")


async def message_send(info: strawberry.Info, input: MessageSendInput) -> MessagePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        case_id = decode_typed_id(input.case_id, "Case", "caseId")
        return await communication.send_message(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=case_id,
            body=await _body(session, actor, case_id, input),
            attachment_ids=[
                decode_typed_id(i, "Document", "attachmentIds") for i in input.attachment_ids
            ],
        )

    outcome = await run_mutation(info, work)
    return MessagePayload(
        message_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )


async def comment_add(info: strawberry.Info, input: CommentAddInput) -> CommentPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        case_id = decode_typed_id(input.case_id, "Case", "caseId")
        return await communication.add_comment(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=case_id,
            body=await _body(session, actor, case_id, input),
            parent_id=(
                decode_typed_id(input.parent_id, "Comment", "parentId") if input.parent_id else None
            ),
        )

    outcome = await run_mutation(info, work)
    return CommentPayload(
        comment_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )


async def messages_mark_read(info: strawberry.Info, input: CaseInput) -> MarkReadPayload:
    case_id: int | None = None

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        nonlocal case_id
        case_id = decode_typed_id(input.case_id, "Case", "caseId")
        return await communication.mark_messages_read(session=session, actor=actor, case_id=case_id)

    outcome = await run_mutation(info, work)
    return MarkReadPayload(
        case_id=case_id if not outcome.errors else None,
        marked=outcome.value or 0,
        errors=outcome.errors,
    )

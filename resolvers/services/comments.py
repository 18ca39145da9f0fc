"""Internal comments: writing, replying, editing and deleting, with mentions and history.

Comments are internal (staff and partner users who see the case; never customers), and
so are replies: a reply is a comment whose `parent_id` names another comment of the same
case. Only the author edits or deletes a comment; the body it replaces is kept in
`comment_revisions` (who replaced it, when). A deleted comment keeps its row, so replies
and notifications still point somewhere: its body becomes "" and `deleted_at` is set;
its old body survives as the last revision.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal
from resolvers.services import feed, mentions
from resolvers.services.common import case_for_update, require, text
from resolvers.services.outbox import Outbox
from server.db.casework import CommentRevision
from server.db.enums import FeedEventType
from server.db.models import Case, Comment
from server.errors import AppError, ErrorCode, bad_input, not_found

MAX_BODY = 10_000


def _ensure_commenter(actor: Principal) -> None:
    require(rules.can_comment(actor), "Customers cannot write internal comments.")
    require(actor.user_id is not None, "Internal comments are written by people, not API keys.")


async def add_comment(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    body: str,
    parent_id: int | None = None,
) -> Comment:
    """A new comment (or a reply to `parent_id`); mentions in it are checked and notified."""
    case = await case_for_update(session, actor, case_id)
    _ensure_commenter(actor)
    body_text = text(body, "body", max_length=MAX_BODY) or ""
    mentioned = mentions.parse_mentions(body_text)
    await mentions.ensure_mentionable(session, actor, case, mentioned)
    if parent_id is not None:
        parent = await session.get(Comment, parent_id)
        if parent is None or parent.case_id != case.id or parent.deleted_at is not None:
            raise bad_input("Reply to a comment of the same case that is not deleted.", "parentId")
    comment = Comment(
        insurer_id=case.insurer_id,
        case_id=case.id,
        author_user_id=actor.user_id,
        body=body_text,
        parent_id=parent_id,
    )
    session.add(comment)
    await session.flush()
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.COMMENT_ADDED,
        payload={"commentId": comment.id},
    )
    await mentions.record_mentions(
        session,
        outbox,
        actor=actor,
        case=case,
        comment=comment,
        user_ids=mentioned,
        new_comment=True,
    )
    return comment


async def _own_comment(
    session: AsyncSession, actor: Principal, comment_id: int
) -> tuple[Comment, Case]:
    """The actor's own live comment, locked with its case (NOT_FOUND if they cannot see
    it; FORBIDDEN if someone else wrote it; CONFLICT once deleted)."""
    comment = await session.get(Comment, comment_id)
    if comment is None:
        raise not_found("comment")
    try:
        case = await case_for_update(session, actor, comment.case_id)
    except AppError as exc:
        raise not_found("comment") from exc
    if not rules.can_read_comments(actor):
        raise not_found("comment")
    _ensure_commenter(actor)
    require(
        comment.author_user_id == actor.user_id,
        "Only the author of a comment can edit or delete it.",
    )
    await session.refresh(comment, with_for_update=True)
    if comment.deleted_at is not None:
        raise AppError(ErrorCode.CONFLICT, "The comment was deleted.", field="id")
    return comment, case


def _keep(session: AsyncSession, comment: Comment, actor: Principal) -> None:
    session.add(
        CommentRevision(comment_id=comment.id, body=comment.body, replaced_by_user_id=actor.user_id)
    )


async def edit_comment(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, comment_id: int, body: str
) -> Comment:
    """A new body for the actor's comment; only people newly mentioned are notified."""
    comment, case = await _own_comment(session, actor, comment_id)
    body_text = text(body, "body", max_length=MAX_BODY) or ""
    mentioned = mentions.parse_mentions(body_text)
    await mentions.ensure_mentionable(session, actor, case, mentioned)
    if body_text == comment.body:
        return comment  # nothing changed: no revision, no notification
    _keep(session, comment, actor)
    comment.body = body_text
    comment.edited_at = await session.scalar(select(func.now()))
    await session.flush()
    await mentions.record_mentions(
        session, outbox, actor=actor, case=case, comment=comment, user_ids=mentioned
    )
    return comment


async def delete_comment(*, session: AsyncSession, actor: Principal, comment_id: int) -> Comment:
    """Delete the actor's comment: its body moves to the history, the row stays."""
    comment, _ = await _own_comment(session, actor, comment_id)
    _keep(session, comment, actor)
    comment.body = ""
    comment.deleted_at = await session.scalar(select(func.now()))
    await session.flush()
    return comment

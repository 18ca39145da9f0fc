"""Standard replies: texts the insurer's admins write once and staff insert into chat
messages and internal comments, with placeholders filled for the case at hand.

A reply's placeholders are checked when it is saved (an unknown one is BAD_USER_INPUT
naming `body`), so filling it for a case never meets a name it does not know; a value a
case lacks is sensible text (see `notification_texts.case_values`), never "None".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from permissions import rules, scopes
from permissions.principal import Principal
from resolvers.services import event_log, placeholders
from resolvers.services.common import require, text
from resolvers.services.notification_texts import case_values
from resolvers.services.text_catalog import CUSTOMER
from server.db.casework import StandardReply
from server.db.models import Case
from server.errors import bad_input, not_found

# What a standard reply may contain, with what each stands for (shown in the schema).
PLACEHOLDERS: dict[str, str] = dict(sorted(CUSTOMER.items()))
ADMIN_ONLY = "Only company admins (authority level 6) manage standard replies."
USE = "Standard replies are for the insurer's staff and its API keys."
MAX_TITLE = 200
MAX_BODY = 10_000  # a filled reply must still fit a message or a comment


def _logged(reply: StandardReply) -> dict[str, Any]:
    return {"title": reply.title, "body": reply.body, "active": reply.active}


def _body(body: str) -> str:
    value = text(body, "body", max_length=MAX_BODY)
    assert value is not None
    placeholders.check(value, PLACEHOLDERS, "body")
    return value


async def create_reply(
    *, session: AsyncSession, actor: Principal, title: str, body: str
) -> StandardReply:
    require(rules.can_configure_texts(actor), ADMIN_ONLY)
    reply = StandardReply(
        insurer_id=actor.insurer_id,
        title=text(title, "title", max_length=MAX_TITLE),
        body=_body(body),
        active=True,
        created_by_user_id=actor.user_id,
    )
    session.add(reply)
    await session.flush()
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="standardReply.create",
        subject_type="StandardReply",
        subject_id=reply.id,
        after=_logged(reply),
    )
    return reply


async def _for_update(session: AsyncSession, actor: Principal, reply_id: int) -> StandardReply:
    reply = await session.get(StandardReply, reply_id, with_for_update=True)
    if reply is None or reply.insurer_id != actor.insurer_id:
        raise not_found("standard reply")
    return reply


async def update_reply(
    *,
    session: AsyncSession,
    actor: Principal,
    reply_id: int,
    title: str | None = None,
    body: str | None = None,
    active: bool | None = None,
) -> StandardReply:
    """Change what is given; `active: false` takes the reply out of use (kept for later)."""
    require(rules.can_configure_texts(actor), ADMIN_ONLY)
    reply = await _for_update(session, actor, reply_id)
    before = _logged(reply)
    if title is not None:
        reply.title = text(title, "title", max_length=MAX_TITLE)  # type: ignore[assignment]
    if body is not None:
        reply.body = _body(body)
    if active is not None:
        reply.active = active
    after = _logged(reply)
    if after != before:
        reply.updated_at = func.now()
        await event_log.record(
            session,
            actor=actor,
            insurer_id=actor.insurer_id,
            action="standardReply.update",
            subject_type="StandardReply",
            subject_id=reply.id,
            before=before,
            after=after,
        )
    return reply


async def delete_reply(*, session: AsyncSession, actor: Principal, reply_id: int) -> int:
    """Remove the reply for good (messages written with it keep their text)."""
    require(rules.can_configure_texts(actor), ADMIN_ONLY)
    reply = await _for_update(session, actor, reply_id)
    before = _logged(reply)
    await session.delete(reply)
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="standardReply.delete",
        subject_type="StandardReply",
        subject_id=reply_id,
        before=before,
    )
    return reply_id


async def list_replies(
    *, conn: AsyncConnection, actor: Principal, include_inactive: bool = False
) -> list[Any]:
    """The portal's replies by title, in one statement."""
    require(rules.can_use_standard_replies(actor), USE)
    stmt = select(StandardReply).where(StandardReply.insurer_id == actor.insurer_id)
    if not include_inactive:
        stmt = stmt.where(StandardReply.active.is_(True))
    stmt = stmt.order_by(StandardReply.title, StandardReply.id)
    return list((await conn.execute(stmt)).all())


async def render(
    *, session: AsyncSession, actor: Principal, reply_id: int, case_id: int, field: str = "id"
) -> str:
    """The reply filled for the case. The case must be visible to the actor (else
    NOT_FOUND, like a case that does not exist); a deactivated reply is BAD_USER_INPUT."""
    require(rules.can_use_standard_replies(actor), USE)
    reply = await session.get(StandardReply, reply_id)
    if reply is None or reply.insurer_id != actor.insurer_id:
        raise not_found("standard reply")
    if not reply.active:
        raise bad_input("The standard reply is deactivated.", field)
    stmt = select(Case).where(Case.id == case_id, scopes.visible_cases(actor))
    case = (await session.execute(stmt)).scalar_one_or_none()
    if case is None:
        raise not_found("case")
    used = set(placeholders.names(reply.body))
    return placeholders.fill(reply.body, await case_values(session, case, used))


async def body_for(
    *,
    session: AsyncSession,
    actor: Principal,
    case_id: int,
    body: str | None,
    reply_id: int | None,
) -> str:
    """The body of a message or comment: the text given, or the standard reply filled for
    the case. Exactly one of them: a client that edits a reply renders it first
    (`standardReplyRender`) and sends its own text as `body`."""
    if reply_id is None:
        if body is None:
            raise bad_input("Give 'body' or 'standardReplyId'.", "body")
        return body
    if body is not None:
        raise bad_input(
            "Give either 'body' or 'standardReplyId', not both (render the reply to edit it).",
            "standardReplyId",
        )
    return await render(
        session=session, actor=actor, reply_id=reply_id, case_id=case_id, field="standardReplyId"
    )

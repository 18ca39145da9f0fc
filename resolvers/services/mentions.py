"""@mentions in internal comments: the syntax, who may be mentioned, and who is told.

Syntax: `@[Display name](user:<global id of the User>)`, like a markdown link, so names
with spaces, brackets-free punctuation or non-Latin letters need no escaping; the display
name is only what the writer's client showed and is never trusted (the id decides).
Anything that does not match the pattern exactly (`@Name`, `@[Name]`, `[Name](user:x)`,
a missing parenthesis, an empty id) is plain text. A match whose id is not an active user
of the case's portal whom the author can see (permissions.scopes.visible_users) and who
can see the case is refused (BAD_USER_INPUT naming `body`): mentioning someone must never
tell them about a case they cannot open, nor reach people the author cannot see. Every
such refusal has the same message, so it never tells whether an id is a user at all.

Being mentioned writes, in the comment's transaction, a `user_notifications` row (the
in-app notification, pushed live after commit on the user's channel) and, when the
user's `email_on_mention` preference is on, an email in the notification outbox.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import scopes
from permissions.principal import Principal
from resolvers.auth import user_principal, user_select
from resolvers.global_ids import decode_global_id, encode_global_id
from resolvers.services import notification_texts
from resolvers.services.notifications import Channel
from resolvers.services.outbox import Outbox
from server.db.casework import CommentMention, UserNotification
from server.db.models import Case, Comment, User
from server.errors import AppError, bad_input

MENTION = re.compile(r"@\[([^\[\]\n]{1,200})\]\(user:([A-Za-z0-9_-]{1,64}={0,2})\)")
MAX_MENTIONS = 20
MENTION_KIND = "mention"
SHORT_HELP = "write `@[Name](user:<User id>)`."
SYNTAX_HELP = (
    "Mention a colleague with `@[Display name](user:<User id>)`, e.g. "
    "`@[Hans Handler](user:VXNlcjo0Mg)`: the id decides who is mentioned, the name is "
    "only shown. Anything not matching exactly is plain text. Only users of the case's "
    "portal whom you can see and who can see the case may be mentioned (staff; partner "
    "users whose office has a task on it or who are its external case handler; partner "
    "users see and mention only the insurer's staff and their own company); anyone else, "
    "an unknown id, or "
    f"more than {MAX_MENTIONS} people is refused with BAD_USER_INPUT naming `body`. "
    "Each newly mentioned person (not the author) gets an in-app notification "
    "(`viewerNotifications`, `viewerNotificationAdded`) and, if their `emailOnMention` "
    "preference is on, an email."
)


def mention_markup(user_id: int, name: str) -> str:
    """How to write a mention of a user in a comment body."""
    clean = re.sub(r"[\[\]\n]", " ", name).strip()[:200] or "user"
    return f"@[{clean}](user:{encode_global_id('User', user_id)})"


def parse_mentions(body: str) -> list[int]:
    """User ids mentioned in `body`, in order of first appearance, each once.

    A well-formed mention whose id is not a User id is BAD_USER_INPUT on `body`."""
    ids: list[int] = []
    for match in MENTION.finditer(body):
        try:
            type_name, row_id = decode_global_id(match.group(2), "body")
        except AppError as exc:
            raise bad_input(
                f"The mention of '{match.group(1)}' does not name a user: {SHORT_HELP}", "body"
            ) from exc
        if type_name != "User":
            raise bad_input(
                f"The mention of '{match.group(1)}' does not name a user: {SHORT_HELP}", "body"
            )
        if row_id not in ids:
            ids.append(row_id)
    if len(ids) > MAX_MENTIONS:
        raise bad_input(f"At most {MAX_MENTIONS} people can be mentioned in one comment.", "body")
    return ids


def parse_mention_ids(body: str) -> list[int]:
    """The user ids a stored body mentions, in order, each once; never raises (bodies
    were checked when written)."""
    ids: list[int] = []
    for match in MENTION.finditer(body):
        try:
            type_name, row_id = decode_global_id(match.group(2), "body")
        except AppError:
            continue
        if type_name == "User" and row_id not in ids:
            ids.append(row_id)
    return ids


NOT_MENTIONABLE = (
    "You can only mention active users of this portal whom you can see and who can see "
    "this case; at least one of the mentioned ids is not one."
)


async def ensure_mentionable(
    session: AsyncSession, actor: Principal, case: Case, user_ids: list[int]
) -> None:
    """Every id is an active user of the case's portal whom `actor` can see and who can
    see the case; two statements.

    The author's people scope (permissions.scopes.visible_users) and each mentioned
    user's own case scope (permissions.scopes.visible_cases) decide, exactly as they
    decide what each can query. One message for every refusal: an unknown id, a user
    the author cannot see and one who cannot see the case are told apart by nobody."""
    if not user_ids:
        return
    stmt = user_select().where(
        User.id.in_(user_ids),
        User.insurer_id == case.insurer_id,
        scopes.visible_users(actor),
    )
    rows = {row.id: row for row in await session.execute(stmt)}
    if any(i not in rows for i in user_ids):
        raise bad_input(NOT_MENTIONABLE, "body")
    checks = [
        exists()
        .where(Case.id == case.id, scopes.visible_cases(user_principal(rows[i], i)))
        .label(f"u{i}")
        for i in user_ids
    ]
    seen = (await session.execute(select(literal(1), *checks))).one()[1:]
    if not all(seen):
        raise bad_input(NOT_MENTIONABLE, "body")


async def record_mentions(
    session: AsyncSession,
    outbox: Outbox,
    *,
    actor: Principal,
    case: Case,
    comment: Comment,
    user_ids: list[int],
    new_comment: bool = False,
) -> None:
    """Make `comment_mentions` match `user_ids` and notify those not mentioned before."""
    before: set[int] = set()
    if not new_comment:
        stmt = select(CommentMention.user_id).where(CommentMention.comment_id == comment.id)
        before = set((await session.execute(stmt)).scalars())
    gone = before - set(user_ids)
    if gone:
        await session.execute(
            delete(CommentMention).where(
                CommentMention.comment_id == comment.id, CommentMention.user_id.in_(gone)
            )
        )
    new = [i for i in user_ids if i not in before]
    session.add_all(CommentMention(comment_id=comment.id, user_id=i) for i in new)
    await notify_mentioned(
        session,
        outbox,
        actor=actor,
        case=case,
        comment=comment,
        user_ids=[i for i in new if i != actor.user_id],
    )


async def notify_mentioned(
    session: AsyncSession,
    outbox: Outbox,
    *,
    actor: Principal,
    case: Case,
    comment: Comment,
    user_ids: list[int],
) -> None:
    if not user_ids:
        return
    # Lock the recipients (in id order: no deadlock between two comments) before their
    # notification ids are drawn: a user's notifications then commit in id order, which
    # is what lets the live tail read "ids after p" without ever missing one. NO KEY
    # UPDATE does not block rows that merely reference the user.
    stmt = (
        select(User.id, User.email, User.email_on_mention)
        .where(User.id.in_(user_ids))
        .order_by(User.id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE
    )
    recipients = list(await session.execute(stmt))
    author = await session.get(User, actor.user_id) if actor.user_id is not None else None
    who = author.name if author is not None else "Someone"
    text = f"{who} mentioned you in a comment on case {case.number}."
    rows = [
        UserNotification(
            insurer_id=case.insurer_id,
            user_id=r.id,
            kind=MENTION_KIND,
            case_id=case.id,
            comment_id=comment.id,
            actor_user_id=actor.user_id,
            text=text,
        )
        for r in recipients
    ]
    session.add_all(rows)
    await session.flush()
    for row in rows:
        outbox.user_notification(row.user_id, row.id)
    for r in recipients:
        if r.email_on_mention and r.email:
            await notification_texts.send(
                session,
                kind="comment_mention",
                channel=Channel.EMAIL,
                recipient=r.email,
                case=case,
                values={"author_name": who, "comment": _excerpt(comment.body)},
            )


def _excerpt(body: str, limit: int = 500) -> str:
    """The comment as text: mentions shown as their names."""
    plain = MENTION.sub(lambda m: "@" + m.group(1), body)
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"

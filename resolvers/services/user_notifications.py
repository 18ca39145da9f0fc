"""A signed-in person's in-app notifications and their mention preference.

Notifications belong to one user: every read and write here is narrowed to the actor's
own rows in SQL, so an id of someone else's notification simply matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from permissions.principal import Principal
from resolvers.pagination import decode_id_cursor
from resolvers.services import event_log
from server.db.casework import UserNotification
from server.db.models import User
from server.errors import bad_input, forbidden

MAX_PAGE = 100
MAX_IDS = 100


def own_user_id(principal: Principal) -> int:
    """Notifications are for people: customers and API keys have none (FORBIDDEN)."""
    if principal.user_id is None:
        raise forbidden("Notifications are for signed-in staff and partner users.")
    return principal.user_id


@dataclass(slots=True)
class NotificationPage:
    rows: list[Any]
    has_next: bool
    has_previous: bool


async def notification_page(
    conn: AsyncConnection,
    *,
    user_id: int,
    first: int | None,
    after: str | None,
    unread_only: bool,
) -> NotificationPage:
    """Newest first, `first` (1–100, default 20) after the cursor: one statement."""
    size = 20 if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise bad_input(f"'first' must be between 1 and {MAX_PAGE}.", "first")
    stmt = select(*UserNotification.__table__.c).where(UserNotification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(UserNotification.read_at.is_(None))
    if after:
        stmt = stmt.where(UserNotification.id < decode_id_cursor(after, "after"))
    stmt = stmt.order_by(UserNotification.id.desc()).limit(size + 1)
    rows = list((await conn.execute(stmt)).all())
    return NotificationPage(rows[:size], has_next=len(rows) > size, has_previous=bool(after))


async def notification_counts(conn: AsyncConnection, *, user_id: int) -> tuple[int, int]:
    """(all, unread) of the user's notifications, in one statement."""
    stmt = select(func.count(), func.count().filter(UserNotification.read_at.is_(None))).where(
        UserNotification.user_id == user_id
    )
    total, unread = (await conn.execute(stmt)).one()
    return int(total), int(unread)


async def mark_read(
    *, session: AsyncSession, actor: Principal, ids: list[int] | None, all_: bool
) -> int:
    """Mark the given notifications (or all) of the actor read; returns how many changed."""
    user_id = own_user_id(actor)
    if all_ == (ids is not None):
        raise bad_input("Give either `ids` or `all: true`.", "ids")
    stmt = (
        update(UserNotification)
        .where(UserNotification.user_id == user_id, UserNotification.read_at.is_(None))
        .values(read_at=func.now())
    )
    if ids is not None:
        if len(ids) > MAX_IDS:
            raise bad_input(f"At most {MAX_IDS} ids at a time.", "ids")
        stmt = stmt.where(UserNotification.id.in_(ids))
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def update_preferences(
    *, session: AsyncSession, actor: Principal, email_on_mention: bool | None
) -> bool:
    """Change the actor's preferences; returns `email_on_mention` as stored now."""
    user_id = own_user_id(actor)
    stored = bool(await session.scalar(select(User.email_on_mention).where(User.id == user_id)))
    if email_on_mention is None or email_on_mention == stored:
        return stored
    await session.execute(
        update(User).where(User.id == user_id).values(email_on_mention=email_on_mention)
    )
    # A person's own setting, logged like every settings change.
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="userPreferences.update",
        subject_type="User",
        subject_id=user_id,
        before={"emailOnMention": stored},
        after={"emailOnMention": email_on_mention},
    )
    return email_on_mention

"""The notification outbox: emails and SMS written in the transaction that causes them.

A row here is sent after the commit by the dispatcher (server.notify), so a rolled-back
mutation never notifies anyone and a sender outage delays messages instead of losing them.
"""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Notification


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


async def enqueue(
    session: AsyncSession,
    *,
    insurer_id: int,
    case_id: int | None,
    channel: Channel,
    kind: str,
    recipient: str,
    body: str,
    subject: str | None = None,
) -> Notification:
    """Queue one notification; it is delivered once this transaction commits."""
    notification = Notification(
        insurer_id=insurer_id,
        case_id=case_id,
        channel=channel.value,
        kind=kind,
        recipient=recipient,
        subject=subject,
        body=body,
    )
    session.add(notification)
    await session.flush()
    return notification

"""The notification outbox: emails and SMS written in the transaction that causes them.

A row here is sent after the commit by the dispatcher (server.notify), so a rolled-back
mutation never notifies anyone and a sender outage delays messages instead of losing them.
`enqueue` also raises a PostgreSQL NOTIFY, which the server delivers only at commit: every
dispatcher (in any process) wakes at once instead of at its next poll.
"""

from __future__ import annotations

import enum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Notification

WAKE_CHANNEL = "casegraph_notifications"
# Links are stored relative to the public URL: whichever process sends the row knows it
# (services run without settings), and a corrected PUBLIC_URL fixes rows still pending.
PUBLIC_URL = "{{public_url}}"


# Kinds whose body holds a working secret; the dispatcher removes it once delivered.
SECRET_KINDS = frozenset({"customer_link", "customer_grant_link", "customer_login_code"})


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
    # Delivered at commit (and only then); several in one transaction fold into one.
    await session.execute(text(f"NOTIFY {WAKE_CHANNEL}"))
    return notification


def render(body: str, public_url: str) -> str:
    """The text to send: the stored body with the public URL filled in."""
    return body.replace(PUBLIC_URL, public_url.rstrip("/"))

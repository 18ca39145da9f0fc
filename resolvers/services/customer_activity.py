"""What a customer's message or upload does besides itself: the case goes onto the
dashboard ("cases with customer uploads or messages") and the people handling it get an
email. "Mark all messages as read" takes it off the dashboard again.
"""

from __future__ import annotations

import enum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.rights import Right
from resolvers.services import notification_texts
from resolvers.services.notifications import Channel
from server.db.models import Case, ExternalCaseHandlerRole, User


class CustomerActivity(enum.StrEnum):
    """What the customer did; also the notification's `kind`."""

    MESSAGE = "customer_message"
    UPLOAD = "customer_upload"


async def record_customer_activity(
    session: AsyncSession, *, case: Case, activity: CustomerActivity
) -> None:
    """Flag the case for the dashboard and notify its case handler and, when the portal
    gives the role chat_notifications, its external case handler (whoever of them is
    named and active). The email says only that something arrived, not what: mail is not
    the place for the customer's words."""
    case.customer_activity_at = func.now()
    recipients = [case.case_handler_id] if case.case_handler_id else []
    if case.external_case_handler_id and await _portal_grants(
        session, case.insurer_id, Right.CHAT_NOTIFICATIONS
    ):
        recipients.append(case.external_case_handler_id)
    if not recipients:
        return
    stmt = select(User.email).where(User.id.in_(recipients), User.active).order_by(User.id)
    for email in dict.fromkeys((await session.execute(stmt)).scalars()):
        await notification_texts.send(
            session, kind=activity.value, channel=Channel.EMAIL, recipient=email, case=case
        )


async def _portal_grants(session: AsyncSession, insurer_id: int, right: Right) -> bool:
    """Whether the portal's external case handler role has `right`."""
    stmt = select(ExternalCaseHandlerRole.rights).where(
        ExternalCaseHandlerRole.insurer_id == insurer_id
    )
    return right.value in ((await session.execute(stmt)).scalar_one_or_none() or ())


def clear_customer_activity(case: Case) -> None:
    """Everything the customer sent has been seen: off the dashboard."""
    case.customer_activity_at = None

"""Emails to the customer side about their case: opened, closed, a new message.

These go out only when the insurer has written its text for them (see `text_catalog`):
nothing like them was sent before, and an insurer may tell its customers otherwise.
Each contact is addressed by name ({customer_name} is the recipient's own name).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.services import notification_texts
from resolvers.services.notifications import Channel
from server.db.enums import ContactRole
from server.db.models import Case, CaseContact, CustomerAccessGrant


async def _switched_on(session: AsyncSession, case: Case, kind: str) -> bool:
    found = await notification_texts.wording(
        session, insurer_id=case.insurer_id, kind=kind, channel=Channel.EMAIL
    )
    return found is not None


async def _send_to(session: AsyncSession, case: Case, kind: str, stmt: object) -> None:
    if not await _switched_on(session, case, kind):
        return  # one lookup, and no contact query, for insurers that have not switched on
    for contact in (await session.execute(stmt)).scalars():  # type: ignore[call-overload]
        await notification_texts.send(
            session,
            kind=kind,
            channel=Channel.EMAIL,
            recipient=contact.email,
            case=case,
            values={"customer_name": contact.name},
        )


def _policyholders(case: Case) -> object:
    return (
        select(CaseContact)
        .where(
            CaseContact.case_id == case.id,
            CaseContact.role == ContactRole.POLICYHOLDER,
            CaseContact.email.is_not(None),
        )
        .order_by(CaseContact.id)
    )


async def case_created(session: AsyncSession, *, case: Case) -> None:
    """The policyholder (with an email address) hears that their case was opened."""
    await session.flush()  # the case's contacts were just added
    await _send_to(session, case, "case_created", _policyholders(case))


async def case_closed(session: AsyncSession, *, case: Case) -> None:
    """The policyholder (with an email address) hears that their case was closed."""
    await _send_to(session, case, "case_closed", _policyholders(case))


async def message_to_customer(session: AsyncSession, *, case: Case) -> None:
    """Contacts who can open the customer page now (a live grant) and have an email
    address hear that a message waits; the message itself stays on the page."""
    live = select(CustomerAccessGrant.id).where(
        CustomerAccessGrant.contact_id == CaseContact.id,
        CustomerAccessGrant.revoked_at.is_(None),
    )
    stmt = (
        select(CaseContact)
        .where(CaseContact.case_id == case.id, CaseContact.email.is_not(None), live.exists())
        .order_by(CaseContact.id)
    )
    await _send_to(session, case, "message_to_customer", stmt)

"""Self-service reporting: a signed-in customer, or anyone holding a case type's public
id, reports a new case of a type opened for it.

The case is opened through cases.create_case by the portal itself (the reporter cannot
manage cases), so it lands exactly like any other: number, feed, the type's defaults and
template tasks, milestones. A type that is unknown, inactive or not open to this kind of
reporting is NOT_FOUND, one answer for all, so public ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal, Role
from resolvers.auth import sha256_hex
from resolvers.services import access, cases, event_log
from resolvers.services.common import require, text
from resolvers.services.custom_fields import FieldValue, server_actor
from resolvers.services.outbox import Outbox
from server.db.casework import CaseType
from server.db.enums import CaseOrigin, ContactRole, DamageType
from server.db.models import Case, CaseContact, CustomerAccessGrant
from server.errors import bad_input, not_found

CUSTOMERS_ONLY = "Only a signed-in customer reports a case this way."


@dataclass(slots=True)
class ReportData:
    """What a reporter tells about the damage."""

    damage_type: DamageType
    street: str
    postal_code: str
    city: str
    description: str | None = None
    damage_date: dt.date | None = None
    custom_fields: list[FieldValue] | None = None


@dataclass(frozen=True, slots=True)
class Reporter:
    """An anonymous reporter's contact details (they become the case's policyholder)."""

    name: str
    email: str | None = None
    phone: str | None = None


def _case_data(case_type: CaseType, data: ReportData, origin: CaseOrigin) -> cases.CaseData:
    return cases.CaseData(
        damage_type=data.damage_type,
        street=data.street,
        postal_code=data.postal_code,
        city=data.city,
        description=data.description,
        damage_date=data.damage_date,
        case_type_id=case_type.id,
        custom_fields=list(data.custom_fields or []),
        origin=origin,
    )


async def report_as_customer(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, case_type_id: int, data: ReportData
) -> tuple[Case, CustomerAccessGrant]:
    """A new case of the type for the signed-in customer: their contact details as the
    policyholder, the same customer as the case they are signed in to, and a grant of
    their own on the new case (its link is sent to them as any link is). Returns the case
    and that grant, for a token that opens it.

    A holder of a customer grant (signed in through `grantOpenCase`) gets the new case
    through that customer grant instead: its case grant carries the same
    `customer_grant_id` (so revoking the customer grant, or it no longer covering the
    customer, ends this access too) and no separate link is sent."""
    require(actor.role is Role.CUSTOMER, CUSTOMERS_ONLY)
    stmt = select(CaseType).where(
        CaseType.id == case_type_id,
        CaseType.insurer_id == actor.insurer_id,
        CaseType.active,
        CaseType.customer_reporting,
    )
    case_type = (await session.execute(stmt)).scalar_one_or_none()
    if case_type is None:
        raise not_found("case type")
    current = await session.get(Case, actor.case_id)
    contact = await session.get(CaseContact, actor.contact_id)
    signed_in = await session.get(CustomerAccessGrant, actor.grant_id)
    if current is None or contact is None or signed_in is None:  # pragma: no cover
        raise not_found("case")  # the grant was just checked
    portal = server_actor(actor.insurer_id)
    through = signed_in.customer_grant_id  # the customer grant the reporter came through
    case = await cases.create_case(
        session=session,
        outbox=outbox,
        actor=portal,
        data=_case_data(case_type, data, CaseOrigin.CUSTOMER),
        contacts=[
            cases.ContactData(ContactRole.POLICYHOLDER, contact.name, contact.email, contact.phone)
        ],
        send_links=through is None,
    )
    case.customer_id = current.customer_id
    reporter = (
        await session.execute(select(CaseContact).where(CaseContact.case_id == case.id))
    ).scalar_one()
    if through is not None:
        live = await _grant_through(session, signed_in, case, reporter)
        await _log_report_grant(session, actor, live, through)
        return case, live
    # The portal's link trigger may have granted (and sent) access already: keep that link.
    live = (
        await session.execute(
            select(CustomerAccessGrant).where(
                CustomerAccessGrant.contact_id == reporter.id,
                CustomerAccessGrant.revoked_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if live is None:
        live, _ = await access.grant_customer_access(
            session=session,
            actor=portal,
            case_id=case.id,
            contact_id=reporter.id,
            outbox=outbox,
            send=bool(reporter.email or reporter.phone),
            logged=False,  # logged here, as the reporting customer
        )
        await _log_report_grant(session, actor, live, None)
    return case, live


async def _grant_through(
    session: AsyncSession, signed_in: CustomerAccessGrant, case: Case, reporter: CaseContact
) -> CustomerAccessGrant:
    """The reporter's case grant on the new case, opened through the same customer grant
    as the one they are signed in with (as `grantOpenCase` opens one): no link of its
    own, reached only through the customer grant, and revoked with it."""
    await session.flush()  # the case's customer, which the customer grant covers
    grant = CustomerAccessGrant(
        insurer_id=case.insurer_id,
        case_id=case.id,
        contact_id=reporter.id,
        # Never shown: the case grant is reached only through the customer grant.
        token_hash=sha256_hex(secrets.token_urlsafe(32)),
        granted_by_user_id=signed_in.granted_by_user_id,
        customer_grant_id=signed_in.customer_grant_id,
    )
    session.add(grant)
    await session.flush()
    return grant


async def _log_report_grant(
    session: AsyncSession, actor: Principal, grant: CustomerAccessGrant, through: int | None
) -> None:
    """Logged once, as the reporting customer."""
    after: dict[str, Any] = {
        "caseId": grant.case_id,
        "contactId": grant.contact_id,
        "via": "customerCaseReport",
    }
    if through is not None:
        after["customerGrantId"] = through
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="customerAccess.grant",
        subject_type="CustomerAccessGrant",
        subject_id=grant.id,
        after=after,
    )


async def report_publicly(
    *, session: AsyncSession, outbox: Outbox, public_id: str, data: ReportData, reporter: Reporter
) -> Case:
    """A new case of the type with this public id, reported by someone not signed in."""
    public_id = public_id.strip()
    if not public_id or len(public_id) > 32 or "\x00" in public_id:
        raise not_found("case type")
    stmt = select(CaseType).where(
        CaseType.public_id == public_id, CaseType.active, CaseType.public_reporting
    )
    case_type = (await session.execute(stmt)).scalar_one_or_none()
    if case_type is None:
        raise not_found("case type")
    name = text(reporter.name, "reporter.name", max_length=200)
    email = text(reporter.email, "reporter.email", max_length=254, required=False)
    phone = text(reporter.phone, "reporter.phone", max_length=40, required=False)
    if email is not None and ("@" not in email or " " in email):
        raise bad_input("'reporter.email' is not an email address.", "reporter.email")
    if email is None and phone is None:
        raise bad_input("Give an email address or a phone number to be reached at.", "reporter")
    return await cases.create_case(
        session=session,
        outbox=outbox,
        actor=server_actor(case_type.insurer_id),
        data=_case_data(case_type, data, CaseOrigin.PUBLIC),
        contacts=[cases.ContactData(ContactRole.POLICYHOLDER, name or "", email, phone)],
    )

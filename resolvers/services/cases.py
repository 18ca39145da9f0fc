"""Case lifecycle: create, update, hold, close, reopen, compensation decision.

Keyword-only functions below GraphQL, so a mutation, a CLI command or a job share them.
Each runs inside the caller's transaction and writes its feed entry there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal
from permissions.rights import Right
from resolvers.services import custom_fields, customer_notices, feed, milestones, offices, sla
from resolvers.services.common import (
    camel_case,
    case_for_update,
    ensure_not_closed,
    money,
    portal_row,
    require,
    text,
)
from resolvers.services.custom_fields import FieldValue
from resolvers.services.outbox import Outbox
from server.db.enums import (
    CaseOrigin,
    CaseStatus,
    CompensationDecision,
    ContactRole,
    DamageType,
    FeedEventType,
    UserKind,
)
from server.db.models import Case, CaseContact, CaseNumberCounter, User
from server.errors import AppError, ErrorCode, bad_input

MANAGE = "Only the insurer's staff (or an insurer API key with cases:write) manage cases."


@dataclass(frozen=True, slots=True)
class ContactData:
    role: ContactRole
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(slots=True)
class CaseData:
    """Fields of a case as given by a client; None means 'not given'."""

    damage_type: DamageType | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    latitude: float | None = None  # with longitude: both or neither
    longitude: float | None = None
    claim_number: str | None = None
    description: str | None = None
    damage_date: dt.date | None = None
    case_handler_id: int | None = None
    budget: Decimal | None = None
    # --- casetypes ---
    case_type_id: int | None = None
    custom_fields: list[FieldValue] | None = None  # None: not given
    origin: CaseOrigin | None = None  # None: STAFF on create


async def _next_case_number(session: AsyncSession, insurer_id: int) -> str:
    """YYYY-NNNNN from the insurer's counter; the counter row stays locked until commit, so
    concurrent creations get consecutive numbers and a rollback leaves no gap."""
    year = dt.date.today().year
    stmt = (
        insert(CaseNumberCounter)
        .values(insurer_id=insurer_id, year=year, last_serial=1)
        .on_conflict_do_update(
            index_elements=[CaseNumberCounter.insurer_id, CaseNumberCounter.year],
            set_={"last_serial": CaseNumberCounter.last_serial + 1},
        )
        .returning(CaseNumberCounter.last_serial)
    )
    serial = (await session.execute(stmt)).scalar_one()
    return f"{year}-{serial:05d}"


async def _check_case_handler(session: AsyncSession, user_id: int, insurer_id: int) -> None:
    user = await portal_row(session, User, user_id, insurer_id, "user")
    if user.kind is not UserKind.STAFF:
        raise bad_input("The case handler must be a staff user of the insurer.", "caseHandlerId")


def _check_date(value: dt.date | None) -> None:
    if value is not None and value > dt.date.today():
        raise bad_input("'damageDate' must not be in the future.", "damageDate")


async def create_case(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    data: CaseData,
    contacts: list[ContactData],
    send_links: bool = True,
) -> Case:
    """A new case. `send_links=False`: the link trigger sends none now (the caller gives
    its contacts their access itself, e.g. a customer grant holder's report)."""
    require(rules.can_manage_case(actor), MANAGE)
    if data.damage_type is None:
        raise bad_input("'damageType' is required.", "damageType")
    street = text(data.street, "street", max_length=200)
    postal_code = text(data.postal_code, "postalCode", max_length=20)
    city = text(data.city, "city", max_length=100)
    money(data.budget, "budget")
    _check_date(data.damage_date)
    point = offices.coordinates(data.latitude, data.longitude) or (None, None)
    if data.case_handler_id is not None:
        await _check_case_handler(session, data.case_handler_id, actor.insurer_id)
    if not any(c.role is ContactRole.POLICYHOLDER for c in contacts):
        raise bad_input("A case needs a policyholder among its contacts.", "contacts")
    case = Case(
        insurer_id=actor.insurer_id,
        number=await _next_case_number(session, actor.insurer_id),
        claim_number=text(data.claim_number, "claimNumber", max_length=60, required=False),
        damage_type=data.damage_type,
        description=text(data.description, "description", max_length=10_000, required=False),
        street=street,
        postal_code=postal_code,
        city=city,
        latitude=point[0],
        longitude=point[1],
        damage_date=data.damage_date,
        case_handler_id=data.case_handler_id,
        budget=data.budget,
        status=CaseStatus.OPEN,
        compensation_decision=CompensationDecision.NONE,
    )
    session.add(case)
    await session.flush()
    await sla.start_case(session=session, case=case)
    for index, contact in enumerate(contacts):
        session.add(
            CaseContact(
                insurer_id=actor.insurer_id,
                case_id=case.id,
                role=contact.role,
                name=text(contact.name, f"contacts.{index}.name", max_length=200),
                email=text(
                    contact.email, f"contacts.{index}.email", max_length=254, required=False
                ),
                phone=text(contact.phone, f"contacts.{index}.phone", max_length=40, required=False),
            )
        )
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.CASE_CREATED,
        payload={"number": case.number},
    )
    await custom_fields.on_case_created(
        session=session,
        outbox=outbox,
        case=case,
        case_type_id=data.case_type_id,
        values=data.custom_fields,
        origin=data.origin,
        handler_given=data.case_handler_id is not None,
    )
    await milestones.on_case_progress(
        session=session, outbox=outbox, actor=actor, case=case, send_links=send_links
    )
    await customer_notices.case_created(session, case=case)  # texts
    return case


async def update_case(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, case_id: int, data: CaseData
) -> Case:
    case = await case_for_update(session, actor, case_id)
    require(rules.can_manage_case(actor), MANAGE)
    ensure_not_closed(case)
    changes: dict[str, Any] = {}
    lengths = {"street": 200, "postal_code": 20, "city": 100}
    for name, limit in lengths.items():
        value = getattr(data, name)
        if value is not None:
            changes[name] = text(value, camel_case(name), max_length=limit)
    if data.claim_number is not None:
        changes["claim_number"] = text(
            data.claim_number, "claimNumber", max_length=60, required=False
        )
    if data.description is not None:
        changes["description"] = text(
            data.description, "description", max_length=10_000, required=False
        )
    if point := offices.coordinates(data.latitude, data.longitude):
        changes["latitude"], changes["longitude"] = point
    if data.damage_type is not None:
        changes["damage_type"] = data.damage_type
    if data.damage_date is not None:
        _check_date(data.damage_date)
        changes["damage_date"] = data.damage_date
    if data.budget is not None:
        changes["budget"] = money(data.budget, "budget")
    if data.case_handler_id is not None:
        await _check_case_handler(session, data.case_handler_id, case.insurer_id)
        changes["case_handler_id"] = data.case_handler_id
    changes |= await custom_fields.changes_for_update(
        session=session, case=case, case_type_id=data.case_type_id, values=data.custom_fields
    )
    changed = {k: v for k, v in changes.items() if getattr(case, k) != v}
    if not changed:
        return case
    for name, value in changed.items():
        setattr(case, name, value)
    case.updated_at = func.now()
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.CASE_UPDATED,
        payload={"fields": sorted(camel_case(k) for k in changed)},
    )
    return case


async def _transition(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    to: CaseStatus,
    event_from: dict[CaseStatus, FeedEventType],
    reason: str | None,
) -> Case:
    """Move the case to `to`; `event_from` names the allowed previous statuses and the
    feed event each move writes."""
    case = await case_for_update(session, actor, case_id)
    require(rules.can_manage_case(actor), MANAGE)
    if case.status not in event_from:
        raise AppError(
            ErrorCode.CONFLICT,
            f"A case that is {case.status.value.replace('_', ' ')} cannot become "
            f"{to.value.replace('_', ' ')}.",
            field="caseId",
        )
    reason = text(reason, "reason", max_length=2000, required=False)
    previous = case.status
    case.status = to
    case.status_reason = reason
    await sla.on_close_or_reopen(session=session, outbox=outbox, case=case, to=to)
    case.closed_at = func.now() if to is CaseStatus.CLOSED else None
    case.updated_at = func.now()
    payload: dict[str, Any] = {"from": previous.value}
    if reason:
        payload["reason"] = reason
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=event_from[previous],
        payload=payload,
    )
    return case


async def put_on_hold(**kwargs: Any) -> Case:
    return await _transition(
        to=CaseStatus.ON_HOLD,
        event_from={CaseStatus.OPEN: FeedEventType.CASE_PUT_ON_HOLD},
        **kwargs,
    )


async def close_case(**kwargs: Any) -> Case:
    case = await _transition(
        to=CaseStatus.CLOSED,
        event_from={
            CaseStatus.OPEN: FeedEventType.CASE_CLOSED,
            CaseStatus.ON_HOLD: FeedEventType.CASE_CLOSED,
        },
        **kwargs,
    )
    await customer_notices.case_closed(kwargs["session"], case=case)  # texts
    return case


async def reopen_case(**kwargs: Any) -> Case:
    """Back to open: reopening a closed case (customers see that) or resuming one on hold
    (internal)."""
    return await _transition(
        to=CaseStatus.OPEN,
        event_from={
            CaseStatus.CLOSED: FeedEventType.CASE_REOPENED,
            CaseStatus.ON_HOLD: FeedEventType.CASE_RESUMED,
        },
        **kwargs,
    )


async def set_compensation_decision(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    decision: CompensationDecision,
) -> Case:
    case = await case_for_update(session, actor, case_id)
    require(
        rules.can_decide_compensation(actor, case),
        rules.refusal(actor, case, Right.DECIDE_COMPENSATION, MANAGE),
    )
    ensure_not_closed(case)
    if decision is CompensationDecision.NONE:
        raise bad_input("Choose ACCEPTED, REJECTED or MORE_INFORMATION_NEEDED.", "decision")
    if case.compensation_decision is decision:
        return case
    previous = case.compensation_decision
    case.compensation_decision = decision
    case.updated_at = func.now()
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.COMPENSATION_DECISION,
        payload={"decision": decision.value, "previous": previous.value},
    )
    await milestones.on_case_progress(session=session, outbox=outbox, actor=actor, case=case)
    return case

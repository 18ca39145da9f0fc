"""Customers of a broker portal: the policyholders (people, households, organisations)
whose cases a customer grant can cover. Staff keep them and link cases to them.

"Not yet invited" (`customers(filter: {invited: false})`) means exactly: no live (not
revoked) customer grant covers the customer, AND no live case grant (a contact's link
from `customerAccessGrant`) exists on any case linked to the customer. Case grants opened
through a customer grant (`grantOpenCase`) do not count on their own: they live only by
their customer grant. A revoked grant therefore counts as not invited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal, Role
from resolvers.auth import customer_grant_covers_case
from resolvers.services import event_log
from resolvers.services.common import case_for_update, require, storable, text
from resolvers.services.outbox import Outbox
from server.db.casework import Customer, CustomerGrant, CustomerGrantCustomer
from server.db.models import Case, CustomerAccessGrant
from server.errors import bad_input, not_found

STAFF_ONLY = "Only the insurer's staff manage customers and their access."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNSET: Any = object()


def require_staff(actor: Principal) -> None:
    """Customers carry personal data of the whole portal: staff only (not partners,
    customers or API keys)."""
    require(actor.role is Role.STAFF, STAFF_ONLY)


def contact_fields(
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    name_required: bool = True,
) -> dict[str, Any]:
    """Checked name, email and phone (shared by customers and customer grants)."""
    values: dict[str, Any] = {}
    if name is not None or name_required:
        values["name"] = text(name, "name", max_length=200)
    if email is not None:
        email = text(email, "email", max_length=254, required=False)
        if email is not None and not _EMAIL.match(email):
            raise bad_input("'email' is not an email address.", "email")
        values["email"] = email.lower() if email else None
    if phone is not None:
        phone = text(phone, "phone", max_length=40, required=False)
        if phone is not None and not re.search(r"\d{3}", phone):
            raise bad_input("'phone' needs at least three digits.", "phone")
        values["phone"] = phone
    return values


def invited() -> ColumnElement[bool]:
    """True for a customer someone was invited for (see the module docstring)."""
    by_customer_grant = exists().where(
        CustomerGrantCustomer.customer_id == Customer.id,
        CustomerGrant.id == CustomerGrantCustomer.grant_id,
        CustomerGrant.revoked_at.is_(None),
    )
    by_case_grant = exists().where(
        Case.customer_id == Customer.id,
        CustomerAccessGrant.case_id == Case.id,
        CustomerAccessGrant.revoked_at.is_(None),
        CustomerAccessGrant.customer_grant_id.is_(None),
    )
    return or_(by_customer_grant, by_case_grant)


async def _number_taken(
    session: AsyncSession, insurer_id: int, number: str, but: int | None = None
) -> bool:
    stmt = select(Customer.id).where(
        Customer.insurer_id == insurer_id, Customer.customer_number == number
    )
    if but is not None:
        stmt = stmt.where(Customer.id != but)
    return (await session.execute(stmt.limit(1))).first() is not None


NUMBER_TAKEN = "Another customer of the portal has this number."


async def _flush_number(session: AsyncSession) -> None:
    """Write the customer; a number taken meanwhile by a concurrent request (the unique
    index decides what `_number_taken` could not) is the same BAD_USER_INPUT, and the
    mutation rolls back as for any user error."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if "uq_customers_number" not in str(exc.orig):
            raise
        raise bad_input(NUMBER_TAKEN, "customerNumber") from exc


def _snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "customerNumber": customer.customer_number,
        "email": customer.email,
        "phone": customer.phone,
    }


async def create_customer(
    *,
    session: AsyncSession,
    actor: Principal,
    name: str,
    customer_number: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Customer:
    require_staff(actor)
    values = contact_fields(name=name, email=email, phone=phone)
    number = text(customer_number, "customerNumber", max_length=40, required=False)
    if number is not None and await _number_taken(session, actor.insurer_id, number):
        raise bad_input(NUMBER_TAKEN, "customerNumber")
    customer = Customer(insurer_id=actor.insurer_id, customer_number=number, **values)
    session.add(customer)
    await _flush_number(session)
    await event_log.record(
        session, actor=actor, insurer_id=actor.insurer_id, action="customer.create",
        subject_type="Customer", subject_id=customer.id, after=_snapshot(customer),
    )  # fmt: skip
    return customer


async def customer_for_update(
    session: AsyncSession, actor: Principal, customer_id: int
) -> Customer:
    stmt = (
        select(Customer)
        .where(Customer.id == customer_id, Customer.insurer_id == actor.insurer_id)
        .with_for_update()
    )
    customer = (await session.execute(stmt)).scalar_one_or_none()
    if customer is None:
        raise not_found("customer")
    return customer


async def update_customer(
    *,
    session: AsyncSession,
    actor: Principal,
    customer_id: int,
    name: Any = UNSET,
    customer_number: Any = UNSET,
    email: Any = UNSET,
    phone: Any = UNSET,
) -> Customer:
    """Change what is given; null clears `customerNumber`, `email` and `phone`."""
    require_staff(actor)
    customer = await customer_for_update(session, actor, customer_id)
    before = _snapshot(customer)
    if name is not UNSET:
        customer.name = contact_fields(name=name)["name"]
    for key, value in (("email", email), ("phone", phone)):
        if value is not UNSET:
            checked = contact_fields(name=None, name_required=False, **{key: value or ""})
            setattr(customer, key, checked.get(key))
    if customer_number is not UNSET:
        number = text(customer_number or "", "customerNumber", max_length=40, required=False)
        if number is not None and await _number_taken(
            session, actor.insurer_id, number, but=customer.id
        ):
            raise bad_input(NUMBER_TAKEN, "customerNumber")
        customer.customer_number = number
        await _flush_number(session)
    after = _snapshot(customer)
    if after != before:
        await event_log.record(
            session, actor=actor, insurer_id=actor.insurer_id, action="customer.update",
            subject_type="Customer", subject_id=customer.id, before=before, after=after,
        )  # fmt: skip
    return customer


async def set_case_customer(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    customer_id: int | None,
) -> Case:
    """Link a case to a customer of its portal (None unlinks). Customer grants covering
    the previous customer lose the case at once; those covering the new one gain it."""
    require_staff(actor)
    case = await case_for_update(session, actor, case_id)
    if customer_id is not None:
        found = await session.execute(
            select(Customer.id).where(
                Customer.id == customer_id, Customer.insurer_id == case.insurer_id
            )
        )
        if found.first() is None:
            raise bad_input("No such customer in your portal.", "customerId")
    previous = case.customer_id
    if previous == customer_id:
        return case
    case.customer_id = customer_id
    await session.flush()
    await revoke_uncovered(session, outbox, case.insurer_id)
    await event_log.record(
        session, actor=actor, insurer_id=case.insurer_id, action="case.setCustomer",
        subject_type="Case", subject_id=case.id,
        before={"customerId": previous}, after={"customerId": customer_id},
    )  # fmt: skip
    return case


async def revoke_uncovered(session: AsyncSession, outbox: Outbox, insurer_id: int) -> int:
    """Mark revoked the case grants opened through customer grants that no longer cover
    their case (the grant revoked, its customer removed, the case moved). Requests stop
    on their own (`customer_grant_covers_case`); this keeps access lists truthful and
    ends live subscriptions now."""
    stmt = (
        update(CustomerAccessGrant)
        .where(
            CustomerAccessGrant.insurer_id == insurer_id,
            CustomerAccessGrant.customer_grant_id.is_not(None),
            CustomerAccessGrant.revoked_at.is_(None),
            Case.id == CustomerAccessGrant.case_id,
            ~customer_grant_covers_case(),
        )
        .values(revoked_at=func.now())
        .execution_options(synchronize_session=False)
    )
    revoked = (await session.execute(stmt)).rowcount or 0
    outbox.access_changed(insurer_id)
    return revoked


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    search: str | None = None
    invited: bool | None = None


def _like(term: str) -> str:
    storable(term, "search")  # PostgreSQL text cannot hold NUL or a lone surrogate
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def customers_select(actor: Principal, customer_filter: CustomerFilter) -> Any:
    """The portal's customers matching the filter, with `invited`; staff only."""
    if actor.role is not Role.STAFF:
        condition: ColumnElement[bool] = false()
    else:
        condition = Customer.insurer_id == actor.insurer_id
    conditions = [condition]
    if customer_filter.search:
        like = _like(customer_filter.search)
        conditions.append(
            or_(
                Customer.name.ilike(like),
                Customer.customer_number.ilike(like),
                Customer.email.ilike(like),
            )
        )
    flag = invited()
    if customer_filter.invited is not None:
        conditions.append(flag if customer_filter.invited else ~flag)
    return select(*Customer.__table__.c, flag.label("invited")).where(and_(*conditions))

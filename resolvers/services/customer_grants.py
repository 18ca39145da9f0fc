"""Customer grants: one person's access to the cases of several customers (a household
member, a property manager), by a secret link like a case grant.

How a holder gets in, keeping "a customer principal is bound to one case" intact:
1. `customerGrantLogin(accessToken, code)` checks the link (and the SMS code when the
   portal requires one) and returns a *grant session* token: a signed token naming only
   the customer grant (and whether an SMS code was given). It is not a bearer credential
   (the API refuses it as one); it only lists the covered cases (`grantCases`) and opens
   one (`grantOpenCase`).
2. `grantOpenCase(sessionToken, caseId, code)` opens one covered case as an ordinary case
   grant of the holder (a contact of the case with the holder's name, made on first
   open) marked with `customer_grant_id`, and returns a normal customer bearer token.
   A case whose effective settings (its own override too) require an SMS code, opened
   with a session that gave none, answers like `customerLogin`: the first call sends a
   code to the holder's phone (`codeRequired`), the call with `code` opens the case.
   Its principal is exactly a case grant's: the customer page, scopes and live events
   work unchanged. Every request and live-event re-check reads the grant through
   `resolvers.auth.grant_select`, which also requires its customer grant to be live and
   to still cover the case's customer: revoking the customer grant, removing the
   customer from it or moving the case to another customer ends those sessions at once.
A case that is not linked to a covered customer (or is in another portal) is NOT_FOUND.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal
from resolvers.auth import sha256_hex
from resolvers.services import customer_page, event_log, notification_texts
from resolvers.services.customers import contact_fields, require_staff, revoke_uncovered
from resolvers.services.notifications import PUBLIC_URL, Channel
from resolvers.services.outbox import Outbox
from server.db.casework import Customer, CustomerGrant, CustomerGrantCustomer, CustomerLogin
from server.db.enums import ContactRole
from server.db.models import Case, CaseContact, Company, CustomerAccessGrant
from server.errors import AppError, ErrorCode, bad_input, not_found

GRANT_TOKEN_PREFIX = "cgg_"
MAX_CUSTOMERS = 100


def new_grant_token() -> tuple[str, str]:
    """(token for the holder's link, stored sha256)."""
    token = GRANT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, sha256_hex(token)


def grant_link(token: str) -> str:
    return f"{PUBLIC_URL}/customer?grant={token}"


async def _customers_in_portal(
    session: AsyncSession, insurer_id: int, customer_ids: list[int], field: str
) -> list[int]:
    ids = list(dict.fromkeys(customer_ids))
    if len(ids) > MAX_CUSTOMERS:
        raise bad_input(f"At most {MAX_CUSTOMERS} customers per grant.", field)
    if not ids:
        return []
    stmt = select(Customer.id).where(Customer.id.in_(ids), Customer.insurer_id == insurer_id)
    found = set((await session.execute(stmt)).scalars())
    if found != set(ids):
        raise bad_input("No such customer in your portal.", field)
    return ids


async def covered_customer_ids(session: AsyncSession, grant_id: int) -> list[int]:
    stmt = (
        select(CustomerGrantCustomer.customer_id)
        .where(CustomerGrantCustomer.grant_id == grant_id)
        .order_by(CustomerGrantCustomer.customer_id)
    )
    return list((await session.execute(stmt)).scalars())


def _snapshot(grant: CustomerGrant, customer_ids: list[int]) -> dict[str, Any]:
    """What the event log keeps: never the token or its hash."""
    return {
        "name": grant.name,
        "email": grant.email,
        "phone": grant.phone,
        "customerIds": sorted(customer_ids),
    }


async def create_customer_grant(
    *,
    session: AsyncSession,
    actor: Principal,
    name: str,
    customer_ids: list[int],
    email: str | None = None,
    phone: str | None = None,
    send: bool = False,
) -> tuple[CustomerGrant, str]:
    """A new grant over the customers; returns it with the link token (shown only now)."""
    require_staff(actor)
    values = contact_fields(name=name, email=email, phone=phone)
    ids = await _customers_in_portal(session, actor.insurer_id, customer_ids, "customerIds")
    if not ids:
        raise bad_input("A grant covers at least one customer.", "customerIds")
    if send and not (values.get("email") or values.get("phone")):
        raise bad_input("Sending needs an email address or a phone.", "send")
    token, token_hash = new_grant_token()
    grant = CustomerGrant(
        insurer_id=actor.insurer_id,
        token_hash=token_hash,
        granted_by_user_id=actor.user_id,
        **values,
    )
    session.add(grant)
    await session.flush()
    session.add_all(CustomerGrantCustomer(grant_id=grant.id, customer_id=i) for i in ids)
    await event_log.record(
        session, actor=actor, insurer_id=actor.insurer_id, action="customerGrant.create",
        subject_type="CustomerGrant", subject_id=grant.id, after=_snapshot(grant, ids),
    )  # fmt: skip
    if send:
        await _send_link(session, grant, token)
    return grant, token


async def _grant_for_update(
    session: AsyncSession, actor: Principal, grant_id: int
) -> CustomerGrant:
    stmt = (
        select(CustomerGrant)
        .where(CustomerGrant.id == grant_id, CustomerGrant.insurer_id == actor.insurer_id)
        .with_for_update()
    )
    grant = (await session.execute(stmt)).scalar_one_or_none()
    if grant is None:
        raise not_found("customer grant")
    return grant


async def update_customer_grant(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    grant_id: int,
    add_customer_ids: list[int],
    remove_customer_ids: list[int],
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> CustomerGrant:
    """Add and remove covered customers, or change the holder's details; a removed
    customer's cases are closed to the holder's open sessions at once."""
    require_staff(actor)
    grant = await _grant_for_update(session, actor, grant_id)
    if grant.revoked_at is not None:
        raise AppError(ErrorCode.CONFLICT, "This grant has been revoked.", field="id")
    before_ids = await covered_customer_ids(session, grant.id)
    before = _snapshot(grant, before_ids)
    for key, value in contact_fields(
        name=name, email=email, phone=phone, name_required=False
    ).items():
        setattr(grant, key, value)
    add = await _customers_in_portal(session, grant.insurer_id, add_customer_ids, "addCustomerIds")
    remove = await _customers_in_portal(
        session, grant.insurer_id, remove_customer_ids, "removeCustomerIds"
    )
    after_ids = sorted((set(before_ids) | set(add)) - set(remove))
    if not after_ids:
        raise bad_input(
            "A grant covers at least one customer; revoke it instead.", "removeCustomerIds"
        )
    if len(after_ids) > MAX_CUSTOMERS:
        raise bad_input(f"At most {MAX_CUSTOMERS} customers per grant.", "addCustomerIds")
    if removed := set(before_ids) - set(after_ids):
        await session.execute(
            delete(CustomerGrantCustomer).where(
                CustomerGrantCustomer.grant_id == grant.id,
                CustomerGrantCustomer.customer_id.in_(removed),
            )
        )
    session.add_all(
        CustomerGrantCustomer(grant_id=grant.id, customer_id=i)
        for i in sorted(set(after_ids) - set(before_ids))
    )
    await session.flush()
    await revoke_uncovered(session, outbox, grant.insurer_id)
    after = _snapshot(grant, after_ids)
    if after != before:
        await event_log.record(
            session, actor=actor, insurer_id=grant.insurer_id, action="customerGrant.update",
            subject_type="CustomerGrant", subject_id=grant.id, before=before, after=after,
        )  # fmt: skip
    return grant


async def revoke_customer_grant(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, grant_id: int
) -> CustomerGrant:
    """End the grant: its link, its grant sessions and every case it opened, at once."""
    require_staff(actor)
    grant = await _grant_for_update(session, actor, grant_id)
    if grant.revoked_at is not None:
        raise AppError(ErrorCode.CONFLICT, "This grant is already revoked.", field="id")
    grant.revoked_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await revoke_uncovered(session, outbox, grant.insurer_id)
    await event_log.record(
        session, actor=actor, insurer_id=grant.insurer_id, action="customerGrant.revoke",
        subject_type="CustomerGrant", subject_id=grant.id,
        before={"revokedAt": None}, after={"revokedAt": grant.revoked_at},
    )  # fmt: skip
    return grant


async def _send_link(session: AsyncSession, grant: CustomerGrant, token: str) -> None:
    """Queue the link in the portal's wording: email if the holder has an address, else SMS."""
    insurer = await session.get(Company, grant.insurer_id)
    values = {
        "insurer_name": insurer.name if insurer else "",
        "holder_name": grant.name,
        "link": grant_link(token),
    }
    channel, recipient = (
        (Channel.EMAIL, grant.email) if grant.email else (Channel.SMS, grant.phone or "")
    )
    await notification_texts.send(
        session, kind="customer_grant_link", channel=channel, recipient=recipient,
        insurer_id=grant.insurer_id, values=values,
    )  # fmt: skip


# --- the holder's side ------------------------------------------------------------------


async def live_grant_by_token(session: AsyncSession, token: str) -> CustomerGrant | None:
    """The live customer grant a link token names, locked; None for anything else."""
    if not token.startswith(GRANT_TOKEN_PREFIX):
        return None
    stmt = (
        select(CustomerGrant)
        .where(CustomerGrant.token_hash == sha256_hex(token), CustomerGrant.revoked_at.is_(None))
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def record_grant_login(session: AsyncSession, grant: CustomerGrant) -> None:
    session.add(CustomerLogin(insurer_id=grant.insurer_id, customer_grant_id=grant.id))


@dataclass(frozen=True, slots=True)
class GrantCase:
    """A case a grant session may open: only what the holder may see before opening."""

    id: int
    number: str
    street: str
    postal_code: str
    city: str
    status: Any
    customer_name: str


def _covered_cases(grant_id: int) -> Any:
    """Cases of the customers a live grant covers, in the grant's own portal, with the
    customer page state (a case closed longer than the page shows is not listed)."""
    stmt = (
        select(
            Case.id,
            Case.number,
            Case.street,
            Case.postal_code,
            Case.city,
            Case.status,
            Customer.name.label("customer_name"),
            *customer_page.state_columns(),
        )  # fmt: skip
        .join(Customer, Customer.id == Case.customer_id)
        .join(CustomerGrantCustomer, CustomerGrantCustomer.customer_id == Customer.id)
        .join(CustomerGrant, CustomerGrant.id == CustomerGrantCustomer.grant_id)
        .where(
            CustomerGrant.id == grant_id,
            CustomerGrant.revoked_at.is_(None),
            Case.insurer_id == CustomerGrant.insurer_id,
            Customer.insurer_id == CustomerGrant.insurer_id,
        )
    )
    return customer_page.join_settings(stmt)


async def grant_cases(session: AsyncSession, *, grant_id: int) -> list[GrantCase]:
    """The covered cases, newest first; UNAUTHENTICATED once the grant is revoked."""
    if await _live_grant(session, grant_id, lock=False) is None:
        raise AppError(ErrorCode.UNAUTHENTICATED, "This access has been revoked.")
    rows = await session.execute(_covered_cases(grant_id).order_by(Case.id.desc()))
    return [
        GrantCase(r.id, r.number, r.street, r.postal_code, r.city, r.status, r.customer_name)
        for r in rows
        if customer_page.PageState.from_row(r).visible_now()
    ]


async def _live_grant(session: AsyncSession, grant_id: int, *, lock: bool) -> CustomerGrant | None:
    stmt = select(CustomerGrant).where(
        CustomerGrant.id == grant_id, CustomerGrant.revoked_at.is_(None)
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def case_to_open(
    session: AsyncSession, *, grant_id: int, case_id: int
) -> tuple[CustomerGrant, customer_page.PageState]:
    """The live grant (locked: one open at a time per grant) and the customer page state
    of a covered case it may open; UNAUTHENTICATED once revoked, NOT_FOUND for any other
    case. The state's settings are the case's effective ones (its own override too)."""
    grant = await _live_grant(session, grant_id, lock=True)
    if grant is None:
        raise AppError(ErrorCode.UNAUTHENTICATED, "This access has been revoked.")
    row = (await session.execute(_covered_cases(grant.id).where(Case.id == case_id))).first()
    state = customer_page.PageState.from_row(row) if row is not None else None
    if state is None or not state.visible_now():
        raise not_found("case")
    return grant, state


async def open_case(session: AsyncSession, *, grant: CustomerGrant, case_id: int) -> int:
    """The case grant through which the holder opens a covered case (made on first open,
    reused after); returns its id for a customer token. The caller has checked the case
    with `case_to_open` (and the SMS code its settings ask for) in this transaction."""
    earlier = (
        await session.execute(
            select(CustomerAccessGrant)
            .where(
                CustomerAccessGrant.customer_grant_id == grant.id,
                CustomerAccessGrant.case_id == case_id,
            )
            .order_by(CustomerAccessGrant.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if earlier is not None and earlier.revoked_at is None:
        case_grant = earlier
    else:
        contact_id = earlier.contact_id if earlier is not None else None
        if contact_id is None:
            contact = CaseContact(
                insurer_id=grant.insurer_id, case_id=case_id, role=ContactRole.OTHER,
                name=grant.name, email=grant.email, phone=grant.phone,
            )  # fmt: skip
            session.add(contact)
            await session.flush()
            contact_id = contact.id
        case_grant = CustomerAccessGrant(
            insurer_id=grant.insurer_id,
            case_id=case_id,
            contact_id=contact_id,
            # Never shown: the case grant is reached only through the customer grant.
            token_hash=sha256_hex(secrets.token_urlsafe(32)),
            granted_by_user_id=grant.granted_by_user_id,
            customer_grant_id=grant.id,
        )
        session.add(case_grant)
        await session.flush()
    case_grant.last_login_at = func.now()
    case_grant.login_count = CustomerAccessGrant.login_count + 1
    return case_grant.id

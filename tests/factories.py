"""Factories: a whole portal per test, built straight into the database.

`build_world` makes one insurer with staff, two partner companies with offices and
users (one an external case handler), cases in a few shapes, a customer grant and API
keys, plus a second insurer to probe tenancy. Each call makes new rows, so tests are
independent without cleanup.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from permissions.principal import Scope
from permissions.rights import Right
from resolvers.auth import (
    customer_claims,
    hash_password,
    issue_token,
    new_api_key,
    new_link_token,
    user_claims,
)
from schema.node import encode_global_id
from server.db.engine import make_session_factory
from server.db.enums import (
    CaseStatus,
    CompanyKind,
    ContactRole,
    DamageType,
    DocumentType,
    FeedEventType,
    MessageDirection,
    TaskKind,
    TaskStatus,
    UserKind,
)
from server.db.models import (
    ApiKey,
    Case,
    CaseContact,
    Comment,
    Company,
    CustomerAccessGrant,
    Document,
    ExternalCaseHandlerRole,
    FeedEntry,
    Message,
    Office,
    Task,
    User,
)
from server.settings import Settings

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)
_counter = itertools.count(1)


def gid(type_name: str, row_id: int) -> str:
    return str(encode_global_id(type_name, row_id))


@dataclass
class Portal:
    """One insurer's portal and the tokens of everyone in it."""

    insurer: Company
    partner: Company
    other_partner: Company
    office: Office  # partner's office holding tasks on `case`
    other_office: Office  # other partner's office, the external case handler's
    admin: User
    handler: User
    partner_user: User
    other_partner_user: User
    ech: User  # eligible external case handler, assigned on `handled_case`
    case: Case  # office has the main inspection; customer grant; messages, comments
    handled_case: Case  # external case handler assigned, no task of `office`
    lonely_case: Case  # no partner involvement at all
    contact: CaseContact
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    portal: Portal
    foreign: Portal  # another insurer, for tenancy probes
    settings: Settings


def _user(
    insurer: Company, company: Company, office: Office | None, kind: UserKind, **kw: Any
) -> User:
    n = next(_counter)
    return User(
        insurer_id=insurer.id,
        company_id=company.id,
        office_id=office.id if office else None,
        kind=kind,
        email=f"user{n}-{uuid.uuid4().hex[:8]}@test.casegraph",
        name=kw.pop("name", f"User {n}"),
        phone=kw.pop("phone", f"+47 400 {n:05d}"),
        password_hash=_PASSWORD_HASH,
        **kw,
    )


def _case(insurer: Company, handler: User, **kw: Any) -> Case:
    n = next(_counter)
    return Case(
        insurer_id=insurer.id,
        number=f"T-{n:06d}",
        claim_number=f"CL-{n}",
        damage_type=kw.pop("damage_type", DamageType.WATER),
        street=f"Testveien {n}",
        postal_code="0150",
        city="Oslo",
        status=kw.pop("status", CaseStatus.OPEN),
        case_handler_id=handler.id,
        budget=kw.pop("budget", Decimal("125000.00")),
        **kw,
    )


async def build_portal(engine: AsyncEngine, settings: Settings, name: str) -> Portal:
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        insurer = Company(kind=CompanyKind.INSURER, name=f"{name} Insurance")
        session.add(insurer)
        await session.flush()
        partner = Company(kind=CompanyKind.PARTNER, insurer_id=insurer.id, name=f"{name} Bygg")
        other = Company(kind=CompanyKind.PARTNER, insurer_id=insurer.id, name=f"{name} Tørk")
        session.add_all([partner, other])
        await session.flush()
        office = Office(
            insurer_id=insurer.id,
            company_id=partner.id,
            name="Bygg Oslo",
            services=["main_inspection", "repair"],
        )
        other_office = Office(
            insurer_id=insurer.id, company_id=other.id, name="Tørk Bergen", services=["repair"]
        )
        session.add_all([office, other_office])
        await session.flush()
        admin = _user(insurer, insurer, None, UserKind.STAFF, authority_level=6, name="Ada Admin")
        handler = _user(
            insurer, insurer, None, UserKind.STAFF, authority_level=3, name="Hans Handler"
        )
        partner_user = _user(insurer, partner, office, UserKind.PARTNER, name="Per Partner")
        other_partner_user = _user(
            insurer, other, other_office, UserKind.PARTNER, name="Olga Other"
        )
        ech = _user(
            insurer,
            other,
            other_office,
            UserKind.PARTNER,
            name="Erik External",
            external_case_handler_eligible=True,
            budget_approval_limit=Decimal("10000"),
        )
        session.add_all([admin, handler, partner_user, other_partner_user, ech])
        # The role has every right here; tests of a right narrow it (tests/ech).
        session.add(ExternalCaseHandlerRole(insurer_id=insurer.id, rights=[r.value for r in Right]))
        await session.flush()
        case = _case(insurer, handler)
        handled_case = _case(
            insurer,
            handler,
            external_case_handler_office_id=other_office.id,
            external_case_handler_id=ech.id,
        )
        lonely_case = _case(insurer, handler, damage_type=DamageType.FIRE)
        session.add_all([case, handled_case, lonely_case])
        await session.flush()
        contact = CaseContact(
            insurer_id=insurer.id,
            case_id=case.id,
            role=ContactRole.POLICYHOLDER,
            name="Kari Kunde",
            email="kari@example.test",
            phone="+47 911 00 000",
        )
        session.add_all(
            [
                contact,
                CaseContact(
                    insurer_id=insurer.id,
                    case_id=handled_case.id,
                    role=ContactRole.POLICYHOLDER,
                    name="Ola Nordmann",
                ),
            ]
        )
        await session.flush()
        inspection = Task(
            insurer_id=insurer.id,
            case_id=case.id,
            kind=TaskKind.MAIN_INSPECTION,
            title="Main inspection",
            office_id=office.id,
            responsible_id=partner_user.id,
            status=TaskStatus.ASSIGNED,
            budget_estimate=Decimal("5000"),
        )
        repair = Task(
            insurer_id=insurer.id,
            case_id=case.id,
            kind=TaskKind.REPAIR,
            title="Drying",
            office_id=other_office.id,
            status=TaskStatus.NEW,
            budget_estimate=Decimal("20000"),
        )
        carpentry = Task(
            insurer_id=insurer.id,
            case_id=case.id,
            kind=TaskKind.REPAIR,
            title="Carpentry",
            status=TaskStatus.NEW,
        )
        session.add_all([inspection, repair, carpentry])
        await session.flush()
        docs = [
            Document(
                insurer_id=insurer.id,
                case_id=case.id,
                type=DocumentType.OTHER,
                title="Photos",
                file_name="photos.zip",
                content_type="application/zip",
                size_bytes=10,
                sha256="0" * 64,
                storage_key="missing0",
                shared_with_customer=True,
            ),
            Document(
                insurer_id=insurer.id,
                case_id=case.id,
                type=DocumentType.INSPECTION_REPORT,
                title="Inspection report",
                file_name="report.pdf",
                content_type="application/pdf",
                size_bytes=10,
                sha256="1" * 64,
                storage_key="missing1",
                task_id=inspection.id,
            ),
            Document(
                insurer_id=insurer.id,
                case_id=case.id,
                type=DocumentType.OTHER,
                title="Drying log",
                file_name="log.pdf",
                content_type="application/pdf",
                size_bytes=10,
                sha256="2" * 64,
                storage_key="missing2",
                task_id=repair.id,
            ),
        ]
        session.add_all(docs)
        session.add_all(
            [
                FeedEntry(
                    insurer_id=insurer.id,
                    case_id=case.id,
                    type=FeedEventType.CASE_CREATED,
                    payload={},
                    actor_user_id=handler.id,
                ),
                FeedEntry(
                    insurer_id=insurer.id,
                    case_id=case.id,
                    type=FeedEventType.INSPECTOR_ASSIGNED,
                    payload={"userId": partner_user.id},
                    actor_user_id=handler.id,
                ),
                FeedEntry(
                    insurer_id=insurer.id,
                    case_id=case.id,
                    type=FeedEventType.COMMENT_ADDED,
                    payload={},
                    actor_user_id=handler.id,
                ),
                Message(
                    insurer_id=insurer.id,
                    case_id=case.id,
                    direction=MessageDirection.FROM_CUSTOMER,
                    author_contact_id=contact.id,
                    body="When will you come?",
                ),
                Message(
                    insurer_id=insurer.id,
                    case_id=case.id,
                    direction=MessageDirection.TO_CUSTOMER,
                    author_user_id=handler.id,
                    body="Tomorrow at nine.",
                ),
                Comment(
                    insurer_id=insurer.id,
                    case_id=case.id,
                    author_user_id=handler.id,
                    body="Customer seems anxious; be gentle.",
                ),
            ]
        )
        link_token, token_hash = new_link_token()
        grant = CustomerAccessGrant(
            insurer_id=insurer.id,
            case_id=case.id,
            contact_id=contact.id,
            token_hash=token_hash,
            granted_by_user_id=handler.id,
        )
        session.add(grant)
        keys = {
            "integration": [s.value for s in Scope],
            "integration_readonly": [Scope.CASES_READ.value],
        }
        api_keys: dict[str, str] = {}
        for label, scopes in keys.items():
            full, prefix, key_hash = new_api_key()
            session.add(
                ApiKey(
                    insurer_id=insurer.id,
                    company_id=insurer.id,
                    name=label,
                    prefix=prefix,
                    key_hash=key_hash,
                    scopes=scopes,
                )
            )
            api_keys[label] = full
        full, prefix, key_hash = new_api_key()
        session.add(
            ApiKey(
                insurer_id=insurer.id,
                company_id=partner.id,
                name="partner system",
                prefix=prefix,
                key_hash=key_hash,
                scopes=[s.value for s in Scope],
            )
        )
        api_keys["partner_integration"] = full
        await session.flush()

    key = settings.signing_key()
    ttl = settings.token_ttl_seconds
    portal = Portal(
        insurer=insurer,
        partner=partner,
        other_partner=other,
        office=office,
        other_office=other_office,
        admin=admin,
        handler=handler,
        partner_user=partner_user,
        other_partner_user=other_partner_user,
        ech=ech,
        case=case,
        handled_case=handled_case,
        lonely_case=lonely_case,
        contact=contact,
    )
    for label, user in (
        ("admin", admin),
        ("staff", handler),
        ("partner", partner_user),
        ("other_partner", other_partner_user),
        ("ech", ech),
    ):
        portal.tokens[label] = issue_token(user_claims(user), key, ttl)[0]
    portal.tokens["customer"] = issue_token(customer_claims(grant), key, ttl)[0]
    portal.tokens.update(api_keys)
    portal.ids = {
        "inspection": inspection.id,
        "repair": repair.id,
        "carpentry": carpentry.id,
        "grant": grant.id,
        "link_token": link_token,
        "docs": [d.id for d in docs],
    }
    return portal


async def build_world(engine: AsyncEngine, settings: Settings) -> World:
    return World(
        portal=await build_portal(engine, settings, "Nord"),
        foreign=await build_portal(engine, settings, "Sør"),
        settings=settings,
    )


async def add_cases(engine: AsyncEngine, portal: Portal, count: int) -> list[int]:
    """`count` more cases on the portal, each with 3 tasks, 2 documents, 6 feed entries."""
    sessions = make_session_factory(engine)
    ids: list[int] = []
    async with sessions() as session, session.begin():
        cases = [_case(portal.insurer, portal.handler) for _ in range(count)]
        session.add_all(cases)
        await session.flush()
        for case in cases:
            ids.append(case.id)
            session.add_all(
                [
                    Task(
                        insurer_id=case.insurer_id,
                        case_id=case.id,
                        kind=TaskKind.REPAIR,
                        title=f"Repair {n}",
                        office_id=portal.office.id,
                    )
                    for n in range(3)
                ]
                + [
                    Document(
                        insurer_id=case.insurer_id,
                        case_id=case.id,
                        type=DocumentType.OTHER,
                        title=f"Doc {n}",
                        file_name="d.pdf",
                        content_type="application/pdf",
                        size_bytes=1,
                        sha256="0" * 64,
                        storage_key="none",
                    )
                    for n in range(2)
                ]
                + [
                    FeedEntry(
                        insurer_id=case.insurer_id,
                        case_id=case.id,
                        type=FeedEventType.CASE_UPDATED,
                        payload={"n": n},
                    )
                    for n in range(6)
                ]
            )
    return ids

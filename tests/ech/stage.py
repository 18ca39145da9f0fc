"""A handled case set up for every action the external case handler's rights gate.

On `portal.handled_case` (Erik is its external case handler, his office `other_office`
holds the role), `stage` adds a third partner office and a task for each action, so
that Erik's own office never holds the task an action is tried on (else he could act as
the office's user, whatever the role's rights). The partner user's office holds one task
there, so that partner sees the case without being its external case handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions.rights import Right
from resolvers.auth import new_link_token
from server.db.engine import make_session_factory
from server.db.enums import CompanyKind, ContactRole, DocumentType, TaskKind, TaskStatus, UserKind
from server.db.models import (
    CaseContact,
    Company,
    CustomerAccessGrant,
    Document,
    ExternalCaseHandlerRole,
    Office,
    Task,
    User,
)
from tests.factories import Portal, gid


@dataclass
class Stage:
    portal: Portal
    third_office: Office
    third_user: User
    ids: dict[str, Any]

    def gid(self, type_name: str, key: str) -> str:
        return gid(type_name, self.ids[key])

    @property
    def case_gid(self) -> str:
        return gid("Case", self.portal.handled_case.id)

    @property
    def office_gid(self) -> str:
        return gid("Office", self.third_office.id)

    @property
    def user_gid(self) -> str:
        return gid("User", self.third_user.id)


def _task(portal: Portal, **kw: Any) -> Task:
    return Task(
        insurer_id=portal.insurer.id,
        case_id=portal.handled_case.id,
        kind=kw.pop("kind", TaskKind.REPAIR),
        title=kw.pop("title"),
        **kw,
    )


async def stage(engine: AsyncEngine, portal: Portal) -> Stage:
    insurer_id, case_id = portal.insurer.id, portal.handled_case.id
    async with make_session_factory(engine)() as session, session.begin():
        company = Company(kind=CompanyKind.PARTNER, insurer_id=insurer_id, name="Tredje Bygg")
        session.add(company)
        await session.flush()
        office = Office(insurer_id=insurer_id, company_id=company.id, name="Tredje Oslo")
        session.add(office)
        await session.flush()
        user = User(
            insurer_id=insurer_id,
            company_id=company.id,
            office_id=office.id,
            kind=UserKind.PARTNER,
            email=f"third-{office.id}@test.casegraph",
            name="Tore Tredje",
            password_hash="x",
        )
        session.add(user)
        await session.flush()
        tasks = {
            "partner_task": _task(portal, title="Demolition", office_id=portal.office.id),
            "inspection": _task(
                portal,
                kind=TaskKind.MAIN_INSPECTION,
                title="Main inspection",
                office_id=office.id,
                responsible_id=user.id,
                status=TaskStatus.ASSIGNED,
            ),
            "completed": _task(
                portal,
                title="Painting",
                office_id=office.id,
                responsible_id=user.id,
                status=TaskStatus.COMPLETED,
            ),
            "unassigned": _task(portal, title="Carpentry"),
            "to_remove": _task(portal, title="Cleaning"),
            "for_responsible": _task(portal, title="Drying", office_id=office.id),
        }
        session.add_all(tasks.values())
        document = Document(
            insurer_id=insurer_id,
            case_id=case_id,
            type=DocumentType.OTHER,
            title="Damage photos",
            file_name="photos.zip",
            content_type="application/zip",
            size_bytes=1,
            sha256="0" * 64,
            storage_key="none",
        )
        contact = CaseContact(
            insurer_id=insurer_id, case_id=case_id, role=ContactRole.CONTACT_PERSON, name="Siv"
        )
        granted = CaseContact(
            insurer_id=insurer_id, case_id=case_id, role=ContactRole.OTHER, name="Geir"
        )
        session.add_all([document, contact, granted])
        await session.flush()
        session.add(
            CustomerAccessGrant(
                insurer_id=insurer_id,
                case_id=case_id,
                contact_id=granted.id,
                token_hash=new_link_token()[1],
            )
        )
    ids = {name: task.id for name, task in tasks.items()}
    ids.update(document=document.id, contact=contact.id, granted_contact=granted.id)
    return Stage(portal=portal, third_office=office, third_user=user, ids=ids)


async def set_rights(engine: AsyncEngine, portal: Portal, rights: set[Right]) -> None:
    """The portal's role definition, straight into the database."""
    async with engine.begin() as conn:
        await conn.execute(
            update(ExternalCaseHandlerRole)
            .where(ExternalCaseHandlerRole.insurer_id == portal.insurer.id)
            .values(rights=sorted(r.value for r in rights))
        )


def outcome(result: dict[str, Any], field: str) -> tuple[str, str]:
    """("ok", "") on success, else (code, message) of the GraphQL or payload error."""
    if result.get("errors"):
        error = result["errors"][0]
        return error["extensions"]["code"], error["message"]
    payload_errors = result["data"][field]["errors"]
    if payload_errors:
        return payload_errors[0]["code"], payload_errors[0]["message"]
    return "ok", ""

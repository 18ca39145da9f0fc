"""Deterministic demo data: two insurer portals, people of every role, ~50 cases.

Cases are played through the real write services (resolvers.services), so every change
writes the feed entry the server itself would write. Those services stamp rows with the
transaction's now(); at the end the timestamps are spread over the past months, in the
order the rows were written, so lists and feeds look lived-in.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal, Role
from resolvers.auth import hash_password, sha256_hex
from resolvers.context import Context
from resolvers.loaders import Loaders
from resolvers.services import access, cases, communication, documents, feed, tasks
from resolvers.services.cases import CaseData, ContactData
from server.db.engine import make_engine, make_session_factory
from server.db.enums import (
    CompanyKind,
    CompensationDecision,
    ContactRole,
    DamageType,
    DocumentType,
    FeedEventType,
    TaskKind,
    TaskStatus,
    UserKind,
)
from server.db.models import Case, CaseContact, Company, CustomerAccessGrant, Office, Task, User
from server.pubsub.broker import InProcessBroker
from server.settings import Settings
from server.storage.files import LocalFileStorage

DEMO_PASSWORD = "demo-password"
INSURERS = {"nordlys": "Nordlys Forsikring", "fjord": "Fjord Insurance"}
TASK_KINDS = [kind.value for kind in TaskKind]
OFFICES = {  # code: insurer, company, name, street, postal code, city, lat, lon, trades, available
    "bv-oslo": ("nordlys", "Brann og Vann AS", "Brann og Vann Oslo", "Økernveien 94", "0579",
                "Oslo", 59.9226, 10.8087, ["drying", "demolition"], True),
    "bv-drammen": ("nordlys", "Brann og Vann AS", "Brann og Vann Drammen", "Tollbugata 5", "3044",
                   "Drammen", 59.7441, 10.2045, ["drying", "demolition"], True),
    "tt-bergen": ("nordlys", "Tett Tak Bygg AS", "Tett Tak Bergen", "Kanalveien 7", "5068",
                  "Bergen", 60.3670, 5.3530, ["carpentry", "roofing", "painting"], True),
    "tt-stavanger": ("nordlys", "Tett Tak Bygg AS", "Tett Tak Stavanger", "Lagårdsveien 6",
                     "4010", "Stavanger", 58.9667, 5.7365, ["carpentry", "roofing"], False),
    "vb-bergen": ("fjord", "Vestland Bygg og Tørk AS", "Vestland Bygg Bergen", "Sandbrugaten 3",
                  "5003", "Bergen", 60.3990, 5.3170, ["drying"], True),
    "vb-alesund": ("fjord", "Vestland Bygg og Tørk AS", "Vestland Bygg Ålesund",
                   "Keiser Wilhelms gate 22", "6003", "Ålesund", 62.4722, 6.1495,
                   ["carpentry", "painting", "drying"], True),
}  # fmt: skip
USERS = [  # email, name, insurer, office (None: staff), authority level, role
    ("admin@nordlys.test", "Astrid Lunde", "nordlys", None, 6, "staff, company admin (level 6)"),
    ("handler1@nordlys.test", "Henrik Berg", "nordlys", None, 3, "staff, case handler (level 3)"),
    ("handler2@nordlys.test", "Hanne Dahl", "nordlys", None, 4, "staff, case handler (level 4)"),
    ("ech@brann-og-vann.test", "Erik Strand", "nordlys", "bv-oslo", 1,
     "partner, eligible external case handler (limit 25,000)"),
    ("inspector@brann-og-vann.test", "Ivar Nilsen", "nordlys", "bv-oslo", 1, "partner, inspector"),
    ("drying@brann-og-vann.test", "Dina Moe", "nordlys", "bv-drammen", 1, "partner, drying"),
    ("pm@tett-tak.test", "Per Aas", "nordlys", "tt-bergen", 1, "partner, project manager"),
    ("carpenter@tett-tak.test", "Kjell Vik", "nordlys", "tt-bergen", 1, "partner, carpenter"),
    ("roofer@tett-tak.test", "Rune Lie", "nordlys", "tt-stavanger", 1,
     "partner, roofer (office takes no new tasks)"),
    ("admin@fjord.test", "Frida Solheim", "fjord", None, 6, "staff, company admin (level 6)"),
    ("handler1@fjord.test", "Jonas Brekke", "fjord", None, 3, "staff, case handler (level 3)"),
    ("handler2@fjord.test", "Maria Haugen", "fjord", None, 4, "staff, case handler (level 4)"),
    ("ech@vestland-bygg.test", "Eirin Vold", "fjord", "vb-bergen", 1,
     "partner, eligible external case handler (limit 25,000)"),
    ("inspector@vestland-bygg.test", "Ola Myklebust", "fjord", "vb-bergen", 1, "partner, inspector"),
    ("pm@vestland-bygg.test", "Siri Hove", "fjord", "vb-bergen", 1, "partner, project manager"),
    ("builder@vestland-bygg.test", "Bjørn Sande", "fjord", "vb-alesund", 1, "partner, carpenter"),
    ("drying@vestland-bygg.test", "Tone Lien", "fjord", "vb-alesund", 1, "partner, drying"),
]  # fmt: skip
ECH_LIMIT = Decimal(25000)
CREWS = {  # insurer: inspector, project manager, repairs (trade, worker), external case handler
    "nordlys": ("inspector@brann-og-vann.test", "pm@tett-tak.test",
                [("Drying", "drying@brann-og-vann.test"), ("Carpentry", "carpenter@tett-tak.test"),
                 ("Painting", "carpenter@tett-tak.test")], "ech@brann-og-vann.test"),
    "fjord": ("inspector@vestland-bygg.test", "pm@vestland-bygg.test",
              [("Drying", "drying@vestland-bygg.test"), ("Carpentry", "builder@vestland-bygg.test"),
               ("Painting", "builder@vestland-bygg.test")], "ech@vestland-bygg.test"),
}  # fmt: skip
# Stage played, cases per insurer, age in days (how long ago the case was created).
SCENARIOS = [
    ("just created", 2, 0.1), ("inspector assigned", 3, 3), ("inspection started", 2, 6),
    ("inspection completed", 2, 10), ("compensation accepted", 2, 16),
    ("compensation rejected", 2, 20), ("more information needed", 2, 13),
    ("repairs under way", 4, 30), ("external case handler", 2, 35), ("on hold", 2, 45),
    ("closed", 2, 120), ("reopened", 1, 90),
]  # fmt: skip
LEVEL = {"just created": 0, "inspector assigned": 1, "inspection started": 2,
         "inspection completed": 3, "on hold": 5, "closed": 7, "reopened": 7}  # fmt: skip
TOKEN_SCENARIOS = ["inspector assigned", "compensation accepted", "repairs under way"]
HOLDERS = ["Kari Nordmann", "Ola Hansen", "Ingrid Olsen", "Lars Johansen", "Nora Berg",
           "Emil Larsen", "Sofie Haugen", "Anders Lie", "Marte Moen", "Jon Eide"]  # fmt: skip
STREETS = ["Kirkeveien", "Parkveien", "Skolegata", "Fjordveien", "Bakkegata", "Solbergveien"]
DAMAGES = [DamageType.WATER, DamageType.FIRE, DamageType.STORM, DamageType.WATER,
           DamageType.FLOOD, DamageType.BURGLARY, DamageType.GLASS, DamageType.OTHER]  # fmt: skip
CET = dt.timezone(dt.timedelta(hours=1), "CET")


def _company_of(office: str | None, insurer: str) -> str:
    return OFFICES[office][1] if office else INSURERS[insurer]


DEMO_LOGINS = [(e, f"{r} — {_company_of(o, i)}") for e, _, i, o, _, r in USERS]
# Customer link tokens (demo only!): the first case of each scenario in TOKEN_SCENARIOS.
DEMO_CUSTOMER_TOKENS = [
    (f"cgc_demo_{key}_{n}", f"{INSURERS[key]}, case '{scenario}'")
    for key in INSURERS
    for n, scenario in enumerate(TOKEN_SCENARIOS, start=1)
]


class BytesUpload:
    """What LocalFileStorage.save reads: an object with async read(size)."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    async def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk, self._at = self._data[self._at : end], min(end, len(self._data))
        return chunk


def tiny_png(rgb: tuple[int, int, int], size: int = 24) -> bytes:
    """A small solid-colour PNG: a stand-in for a customer's photo of the damage."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(tag + data))
        return struct.pack(">I", len(data)) + tag + data + crc

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def principal_of(user: User) -> Principal:
    role = Role.STAFF if user.kind is UserKind.STAFF else Role.PARTNER
    return Principal(role=role, insurer_id=user.insurer_id, user_id=user.id,
                     company_id=user.company_id, office_id=user.office_id,
                     authority_level=user.authority_level)  # fmt: skip


@dataclass
class Seeder:
    """The session everything is written in, and what the services need around it."""

    session: AsyncSession
    make_ctx: Any  # Principal -> Context
    storage: LocalFileStorage
    users: dict[str, User] = field(default_factory=dict)
    offices: dict[str, Office] = field(default_factory=dict)
    insurers: dict[str, int] = field(default_factory=dict)
    ages: dict[int, float] = field(default_factory=dict)  # case id -> days since creation

    async def call(self, service: Any, user: User | Principal, **kwargs: Any) -> Any:
        """Run a write service as `user`, the way a mutation does."""
        actor = user if isinstance(user, Principal) else principal_of(user)
        return await service(session=self.session, ctx=self.make_ctx(actor), actor=actor, **kwargs)

    async def upload(self, data: bytes) -> Any:
        return await self.storage.save(BytesUpload(data), max_bytes=len(data) + 1)

    def user(self, email: str) -> User:
        return self.users[email]


async def create_portals(seeder: Seeder) -> None:
    """Insurers, partner companies, offices and users, inserted as plain rows."""
    session = seeder.session
    for key, name in INSURERS.items():
        insurer = Company(kind=CompanyKind.INSURER, name=name, default_budget_approval_limit=10000)
        session.add(insurer)
        await session.flush()
        seeder.insurers[key] = insurer.id
    partners: dict[str, Company] = {}
    for code, (key, company, name, street, postal, city, lat, lon, trades, available) in OFFICES.items():
        if company not in partners:
            partners[company] = Company(kind=CompanyKind.PARTNER, insurer_id=seeder.insurers[key], name=company)
            session.add(partners[company])
            await session.flush()
        seeder.offices[code] = Office(
            insurer_id=seeder.insurers[key], company_id=partners[company].id, name=name, street=street,
            postal_code=postal, city=city, latitude=lat, longitude=lon,
            services=[*TASK_KINDS, *trades], available_for_new_tasks=available,
        )  # fmt: skip
        session.add(seeder.offices[code])
    await session.flush()
    for n, (email, name, key, code, level, _) in enumerate(USERS):
        office = seeder.offices[code] if code else None
        eligible = email.startswith("ech@")
        seeder.users[email] = User(
            insurer_id=seeder.insurers[key], company_id=office.company_id if office else seeder.insurers[key],
            office_id=office.id if office else None, kind=UserKind.PARTNER if office else UserKind.STAFF,
            email=email, name=name, phone=f"+47 4{n:02d} 11 2{n % 10}", password_hash=hash_password(DEMO_PASSWORD),
            authority_level=level, external_case_handler_eligible=eligible,
            budget_approval_limit=ECH_LIMIT if eligible else None,
        )  # fmt: skip
        session.add(seeder.users[email])
    await session.flush()


@dataclass
class CasePlay:
    """One demo case, played through the services step by step, like people would."""

    s: Seeder
    key: str  # insurer
    scenario: str
    n: int  # running number: picks names, addresses and variations
    age: float  # days since the case was created
    token: str | None  # a printed demo link token for the policyholder, if any
    case: Any = None
    customer: Principal | None = None
    tasks: dict[str, Task] = field(default_factory=dict)

    @property
    def handler(self) -> User:
        return self.s.user(f"handler{self.n % 2 + 1}@{self.key}.test")

    def day(self, offset: float, hour: int) -> dt.datetime:
        """A local time `offset` days after the case was created."""
        created = dt.datetime.now(CET) - dt.timedelta(days=self.age - offset)
        return created.replace(hour=hour, minute=0, second=0, microsecond=0)

    async def play(self) -> None:
        level = LEVEL.get(self.scenario, 5 if "repairs" in self.scenario else 4)
        level = 5 if self.scenario == "external case handler" else level
        await self.create()
        if level >= 1:
            await self.assign_inspector()
        if self.scenario == "external case handler":
            await self.hand_to_external_handler()
        if level >= 2:
            await self.start_inspection()
        if level >= 3:
            await self.complete_inspection()
        if level >= 4:
            await self.decide()
        if level >= 5:
            await self.start_repairs()
        if self.scenario == "on hold":
            reason = "Waiting for the policyholder's receipts for damaged furniture."
            await self.s.call(cases.put_on_hold, self.handler, case_id=self.case.id, reason=reason)
        if level >= 7:
            await self.finish_and_close()
        if self.scenario == "reopened":
            reason = "The policyholder reports new moisture behind the bathroom wall."
            await self.s.call(cases.reopen_case, self.handler, case_id=self.case.id, reason=reason)
            await self.hear("Thank you for coming back so quickly. The stain is growing again.")

    async def create(self) -> None:
        name, n = HOLDERS[self.n % len(HOLDERS)], self.n
        office = [o for o in OFFICES.values() if o[0] == self.key][n % 2]
        contacts = [ContactData(ContactRole.POLICYHOLDER, name,
                                f"{name.lower().replace(' ', '.')}{n}@example.test",
                                f"+47 9{n:02d} 45 {n:03d}")]  # fmt: skip
        if n % 3 == 0:
            contacts.append(ContactData(ContactRole.CONTACT_PERSON, "Heidi Kvam", None, "+47 90011223"))
        data = CaseData(
            damage_type=DAMAGES[n % len(DAMAGES)], street=f"{STREETS[n % len(STREETS)]} {n * 7 % 90 + 1}",
            postal_code=office[4], city=office[5], claim_number=f"{self.key.upper()}-{4711 + n * 13}",
            description=f"{DAMAGES[n % len(DAMAGES)].value.title()} damage reported by the policyholder.",
            damage_date=self.day(-2 - n % 5, 12).date(), case_handler_id=self.handler.id,
            budget=Decimal(40_000 + n * 2_500),
        )  # fmt: skip
        self.case = await self.s.call(cases.create_case, self.handler, data=data, contacts=contacts)
        await self.add_task("main", TaskKind.MAIN_INSPECTION, "Main inspection", 6_000)

    async def add_task(self, name: str, kind: TaskKind, title: str, budget: int) -> None:
        self.tasks[name] = await self.s.call(
            tasks.add_task, self.handler, case_id=self.case.id, kind=kind, title=title,
            description=f"{title} for the {self.case.damage_type.value} damage.",
            budget_estimate=Decimal(budget),
        )  # fmt: skip

    async def assign(self, name: str, email: str) -> User:
        """The insurer hands the task to the worker's office; the office names the worker."""
        task, worker = self.tasks[name], self.s.user(email)
        await self.s.call(tasks.assign_office, self.handler, task_id=task.id, office_id=worker.office_id)
        await self.s.call(tasks.assign_responsible, worker, task_id=task.id, user_id=worker.id)
        return worker

    async def advance(self, name: str, target: TaskStatus) -> None:
        order = list(TaskStatus)
        task = self.tasks[name]
        while order.index(task.status) < order.index(target):
            step = {TaskStatus.ASSIGNED: "start", TaskStatus.STARTED: "complete"}.get(task.status, "approve")
            actor = self.handler if step == "approve" else self.s.by_id[task.responsible_id]
            await self.s.call(tasks.advance_task, actor, task_id=task.id, step=step)

    async def tell(self, body: str, by: User | None = None) -> None:
        await self.s.call(communication.send_message, by or self.handler, case_id=self.case.id,
                          body=body, attachment_ids=[])  # fmt: skip

    async def hear(self, body: str, attachment_ids: list[int] | None = None) -> None:
        assert self.customer is not None
        await self.s.call(communication.send_message, self.customer, case_id=self.case.id,
                          body=body, attachment_ids=attachment_ids or [])  # fmt: skip

    async def upload(self, by: User | Principal, kind: DocumentType, title: str, file_name: str,
                     data: bytes, task: str | None = None) -> Any:  # fmt: skip
        stored = await self.s.upload(data)
        return await self.s.call(
            documents.create_document, by, case_id=self.case.id, stored=stored, file_name=file_name,
            content_type=None, title=title, type=kind, task_id=self.tasks[task].id if task else None,
        )  # fmt: skip

    async def share(self, document_id: int, by: User | None = None) -> None:
        await self.s.call(documents.set_shared, by or self.handler, document_ids=[document_id], shared=True)

    async def give_customer_access(self) -> None:
        contact = (await self.s.session.execute(select(CaseContact).where(
            CaseContact.case_id == self.case.id, CaseContact.role == ContactRole.POLICYHOLDER))).scalar_one()  # fmt: skip
        if self.token:  # a known token, so the demo customer view can be opened
            grant = CustomerAccessGrant(insurer_id=self.case.insurer_id, case_id=self.case.id,
                                        contact_id=contact.id, token_hash=sha256_hex(self.token),
                                        granted_by_user_id=self.handler.id)  # fmt: skip
            self.s.session.add(grant)
            await self.s.session.flush()
        else:
            grant, _ = await access.grant_customer_access(session=self.s.session,
                actor=principal_of(self.handler), case_id=self.case.id, contact_id=contact.id)  # fmt: skip
        self.customer = Principal(role=Role.CUSTOMER, insurer_id=self.case.insurer_id,
                                  case_id=self.case.id, contact_id=contact.id, grant_id=grant.id)  # fmt: skip

    async def assign_inspector(self) -> None:
        inspector = await self.assign("main", CREWS[self.key][0])
        meeting = self.day(4, 9 + self.n % 5)
        await self.s.call(tasks.set_customer_meeting, inspector, task_id=self.tasks["main"].id, at=meeting)
        await self.give_customer_access()
        office = self.s.offices_by_id[inspector.office_id].name
        await self.tell(f"Hello! {inspector.name} from {office} will inspect the damage on "
                        f"{meeting:%d %B at %H:%M}. Follow your case on this page.")  # fmt: skip

    async def hand_to_external_handler(self) -> None:
        """No service sets the external case handler yet: set it and record the change."""
        ech = self.s.user(CREWS[self.key][3])
        self.case.external_case_handler_office_id, self.case.external_case_handler_id = ech.office_id, ech.id
        self.case.updated_at = func.now()
        actor = principal_of(self.handler)
        await feed.record(self.s.session, self.s.make_ctx(actor), actor=actor, case_id=self.case.id,
                          insurer_id=self.case.insurer_id, type=FeedEventType.CASE_UPDATED,
                          payload={"fields": ["externalCaseHandler", "externalCaseHandlerOffice"]})  # fmt: skip
        await self.tell(f"Hi, I am {ech.name}, and I will follow up your case from now on.", by=ech)

    async def start_inspection(self) -> None:
        await self.advance("main", TaskStatus.STARTED)
        inspector = self.s.by_id[self.tasks["main"].responsible_id]
        await self.s.call(communication.add_comment, inspector, case_id=self.case.id,
                          body=f"@{self.handler.name} moisture found under the floor; "
                               "drying will probably be needed.")  # fmt: skip

    async def complete_inspection(self) -> None:
        await self.advance("main", TaskStatus.COMPLETED)
        inspector = self.s.by_id[self.tasks["main"].responsible_id]
        report = f"Inspection report\n\nCase {self.case.number}\nFindings: {self.case.description}\n"
        self.report = await self.upload(inspector, DocumentType.INSPECTION_REPORT, "Inspection report",
                                        "inspection-report.txt", report.encode(), task="main")  # fmt: skip
        await self.hear("Thank you for the visit. When will we hear about the compensation?")

    async def decide(self) -> None:
        decision = {"compensation rejected": CompensationDecision.REJECTED,
                    "more information needed": CompensationDecision.MORE_INFORMATION_NEEDED
                    }.get(self.scenario, CompensationDecision.ACCEPTED)  # fmt: skip
        await self.advance("main", TaskStatus.APPROVED)
        await communication.mark_messages_read(session=self.s.session, actor=principal_of(self.handler),
                                               case_id=self.case.id)  # fmt: skip
        ech = self.s.user(CREWS[self.key][3]) if self.case.external_case_handler_id else None
        await self.share(self.report.id, by=ech)
        await self.s.call(cases.set_compensation_decision, self.handler, case_id=self.case.id, decision=decision)
        if decision is CompensationDecision.REJECTED:
            await self.tell("Unfortunately the damage is not covered by your policy. "
                            "The inspection report explains why.")  # fmt: skip
        elif decision is CompensationDecision.MORE_INFORMATION_NEEDED:
            await self.tell("We need photos of the damaged floor before we can decide.")
            photo = await self.upload(self.customer, DocumentType.CUSTOMER_UPLOAD, "Photo of the floor",
                                      "floor.png", tiny_png((120 + self.n * 5, 90, 60)))  # fmt: skip
            await self.hear("Here is a photo of the floor.", attachment_ids=[photo.id])
        else:
            await self.tell("Good news: the damage is covered. We will now plan the repairs.", by=ech)

"""Deterministic demo data: two insurer portals, people of every role, ~50 cases.

Cases are played through the real write services (resolvers.services), so every change
writes the feed entry the server itself would write. The services stamp rows with the
transaction's now(); at the end the timestamps are spread over the past months, in the
order the rows were written, so lists and feeds look lived-in.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal, Role
from permissions.rights import Right
from resolvers.auth import grant_principal, grant_select, hash_password, sha256_hex
from resolvers.services import (
    access,
    cases,
    communication,
    customer_page_settings,
    documents,
    external_case_handler,
    tasks,
)
from resolvers.services.cases import CaseData, ContactData
from resolvers.services.outbox import Outbox
from server.db.engine import make_engine, make_session_factory
from server.db.enums import (
    CUSTOMER_FILTERABLE_EVENTS,
    CompanyKind,
    ContactRole,
    DamageType,
    DocumentType,
    FeedEventType,
    TaskKind,
    TaskStatus,
    UserKind,
)
from server.db.enums import CompensationDecision as Decision
from server.db.models import (
    Case,
    CaseContact,
    Company,
    CustomerAccessGrant,
    Document,
    Office,
    Task,
    User,
)
from server.seed.demo_casetypes import seed_casetypes
from server.seed.demo_customers import DEMO_GRANT_TOKEN, seed_customers
from server.seed.demo_mentions import seed_mentions
from server.seed.demo_recurring import seed_recurring
from server.seed.demo_sla import seed_sla
from server.seed.demo_texts import seed_texts
from server.settings import Settings
from server.storage.files import LocalFileStorage, StoredFile

DEMO_PASSWORD = "demo-password"
INSURERS = {"nordlys": "Nordlys Forsikring", "fjord": "Fjord Insurance"}
MI, PM, REPAIR = "main_inspection", "project_management", "repair"
OFFICE_COLUMNS = ["name", "street", "postal_code", "city", "latitude", "longitude", "services",
                  "available_for_new_tasks"]  # fmt: skip
OFFICES = {  # code: insurer, company, then the OFFICE_COLUMNS
    "bv-oslo": ("nordlys", "Brann og Vann AS", "Brann og Vann Oslo", "Økernveien 94", "0579",
                "Oslo", 59.9226, 10.8087, [MI, REPAIR, "drying", "demolition"], True),
    "bv-drammen": ("nordlys", "Brann og Vann AS", "Brann og Vann Drammen", "Tollbugata 5",
                   "3044", "Drammen", 59.7441, 10.2045, [REPAIR, "drying", "demolition"], True),
    "tt-bergen": ("nordlys", "Tett Tak Bygg AS", "Tett Tak Bergen", "Kanalveien 7", "5068",
                  "Bergen", 60.3670, 5.3530, [PM, REPAIR, "carpentry", "painting"], True),
    "tt-stavanger": ("nordlys", "Tett Tak Bygg AS", "Tett Tak Stavanger", "Lagårdsveien 6",
                     "4010", "Stavanger", 58.9667, 5.7365, [REPAIR, "carpentry", "roofing"], False),
    "vb-bergen": ("fjord", "Vestland Bygg og Tørk AS", "Vestland Bygg Bergen", "Sandbrugaten 3",
                  "5003", "Bergen", 60.3990, 5.3170, [MI, PM, "drying"], True),
    "vb-alesund": ("fjord", "Vestland Bygg og Tørk AS", "Vestland Bygg Ålesund",
                   "Keiser Wilhelms gate 22", "6003", "Ålesund", 62.4722, 6.1495,
                   [REPAIR, "carpentry", "painting", "drying"], True),
}  # fmt: skip
ECH = "eligible external case handler (approves up to 25,000)"
USERS = [  # email, name, insurer, office (None: staff), authority level, role
    ("admin@nordlys.test", "Astrid Lunde", "nordlys", None, 6, "staff, company admin (level 6)"),
    ("handler1@nordlys.test", "Henrik Berg", "nordlys", None, 3, "staff, case handler (level 3)"),
    ("handler2@nordlys.test", "Hanne Dahl", "nordlys", None, 4, "staff, case handler (level 4)"),
    ("ech@brann-og-vann.test", "Erik Strand", "nordlys", "bv-oslo", 1, f"partner, {ECH}"),
    ("inspector@brann-og-vann.test", "Ivar Nilsen", "nordlys", "bv-oslo", 1, "partner, inspector"),
    ("drying@brann-og-vann.test", "Dina Moe", "nordlys", "bv-drammen", 1, "partner, drying"),
    ("pm@tett-tak.test", "Per Aas", "nordlys", "tt-bergen", 1, "partner, project manager"),
    ("carpenter@tett-tak.test", "Kjell Vik", "nordlys", "tt-bergen", 1, "partner, carpenter"),
    ("roofer@tett-tak.test", "Rune Lie", "nordlys", "tt-stavanger", 1,
     "partner, roofer (office takes no new tasks)"),
    ("admin@fjord.test", "Frida Solheim", "fjord", None, 6, "staff, company admin (level 6)"),
    ("handler1@fjord.test", "Jonas Brekke", "fjord", None, 3, "staff, case handler (level 3)"),
    ("handler2@fjord.test", "Maria Haugen", "fjord", None, 4, "staff, case handler (level 4)"),
    ("ech@vestland-bygg.test", "Eirin Vold", "fjord", "vb-bergen", 1, f"partner, {ECH}"),
    ("inspector@vestland-bygg.test", "Ola Myklebust", "fjord", "vb-bergen", 1,
     "partner, inspector"),
    ("pm@vestland-bygg.test", "Siri Hove", "fjord", "vb-bergen", 1, "partner, project manager"),
    ("builder@vestland-bygg.test", "Bjørn Sande", "fjord", "vb-alesund", 1, "partner, carpenter"),
    ("drying@vestland-bygg.test", "Tone Lien", "fjord", "vb-alesund", 1, "partner, drying"),
]  # fmt: skip
CREWS = {  # insurer: inspector, project manager, repairs (trade, worker), external case handler
    "nordlys": ("inspector@brann-og-vann.test", "pm@tett-tak.test",
                [("Drying", "drying@brann-og-vann.test"), ("Carpentry", "carpenter@tett-tak.test"),
                 ("Painting", "carpenter@tett-tak.test")], "ech@brann-og-vann.test"),
    "fjord": ("inspector@vestland-bygg.test", "pm@vestland-bygg.test",
              [("Drying", "drying@vestland-bygg.test"), ("Carpentry", "builder@vestland-bygg.test"),
               ("Painting", "builder@vestland-bygg.test")], "ech@vestland-bygg.test"),
}  # fmt: skip
# Stage, cases per insurer, age in days, how far the case gets: 0 created, 1 inspector
# assigned, 2 inspecting, 3 inspected, 4 decided, 5 repairing, 7 closed.
SCENARIOS = [
    ("just created", 2, 0.1, 0), ("inspector assigned", 3, 3, 1), ("inspection started", 2, 6, 2),
    ("inspection completed", 2, 10, 3), ("compensation accepted", 2, 16, 4),
    ("compensation rejected", 2, 20, 4), ("more information needed", 2, 13, 4),
    ("repairs under way", 4, 30, 5), ("external case handler", 2, 35, 5), ("on hold", 2, 45, 5),
    ("closed", 2, 120, 7), ("reopened", 1, 90, 7),
]  # fmt: skip
DECISIONS = {"compensation rejected": Decision.REJECTED,
             "more information needed": Decision.MORE_INFORMATION_NEEDED}  # fmt: skip
TOKEN_SCENARIOS = ["inspector assigned", "compensation accepted", "repairs under way"]
HOLDERS = ["Kari Nordmann", "Ola Hansen", "Ingrid Olsen", "Lars Johansen", "Nora Berg",
           "Emil Larsen", "Sofie Haugen", "Anders Lie", "Marte Moen", "Jon Eide"]  # fmt: skip
STREETS = ["Kirkeveien", "Parkveien", "Skolegata", "Fjordveien", "Bakkegata", "Solbergveien"]
DAMAGES = [DamageType.WATER, DamageType.FIRE, DamageType.STORM, DamageType.WATER,
           DamageType.FLOOD, DamageType.BURGLARY, DamageType.GLASS, DamageType.OTHER]  # fmt: skip
CET = dt.timezone(dt.timedelta(hours=1), "CET")
PlanEntry = tuple[str, str, int, float, int, str | None]


def _plan() -> list[PlanEntry]:
    """(insurer, scenario, running number, age, level, demo token) of every demo case."""
    plan: list[PlanEntry] = []
    for key in INSURERS:
        for scenario, count, age, level in SCENARIOS:
            for copy in range(count):
                token = None
                if copy == 0 and scenario in TOKEN_SCENARIOS:
                    token = f"cgc_demo_{key}_{TOKEN_SCENARIOS.index(scenario) + 1}"
                plan.append((key, scenario, len(plan), age + copy * 1.7, level, token))
    return plan


DEMO_LOGINS = [
    (email, f"{role} — {OFFICES[office][1] if office else INSURERS[key]}")
    for email, _, key, office, _, role in USERS
]
# Customer link tokens (demo only!): the first case of each scenario in TOKEN_SCENARIOS.
DEMO_CUSTOMER_TOKENS = [
    (token, f"{INSURERS[key]}, {HOLDERS[n % len(HOLDERS)]}'s case: {scenario}")
    for key, scenario, n, _, _, token in _plan()
    if token
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

    pixels = zlib.compress(b"".join(b"\x00" + bytes(rgb) * size for _ in range(size)))
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# Each portal's customer page, set as its admin would. Links stay manual: the demo
# customers' known tokens are granted by the story itself.
CUSTOMER_PAGES: dict[str, dict[str, Any]] = {
    "nordlys": {
        "branding": {"menu_background": "#0B3954", "headings": "#0B3954"},
        "show_budget": "positive_decision",
        "auto_share_inspection_report": "inspector_assigned",
        "auto_share_settlement_report": "positive_decision",
        "show_case_handler_mobile": True,
        "show_partner_contact": True,
        "sms_help_text": "No code? Call Nordlys claims on +47 22 00 00 00 (weekdays 8-16).",
    },
    "fjord": {
        "branding": {"menu_background": "#2D6A4F", "selected_font": "#FFFFFF"},
        "show_project_plan": "case_created",
        "show_documents": "inspector_assigned",
        "feed_filter": sorted(
            e.value for e in CUSTOMER_FILTERABLE_EVENTS if e is not FeedEventType.CALL_HISTORY
        ),
    },
}


# What each portal lets its external case handler do (set as its admin would).
ECH_ROLES = {
    "nordlys": [Right.MANAGE_TASKS, Right.ASSIGN_TASKS, Right.SEE_OFFICE_CATEGORIES,
                Right.DECIDE_COMPENSATION, Right.APPROVE_BUDGETS, Right.APPROVE_TASKS,
                Right.CUSTOMER_CONTACT, Right.CHAT_NOTIFICATIONS, Right.START_INSPECTION],
    "fjord": [Right.ASSIGN_TASKS, Right.BUDGET_FOR_OTHER_PARTNERS, Right.APPROVE_BUDGETS,
              Right.CUSTOMER_CONTACT, Right.REMOTE_VIDEO],
}  # fmt: skip


def principal_of(user: User) -> Principal:
    role = Role.STAFF if user.kind is UserKind.STAFF else Role.PARTNER
    return Principal(
        role=role,
        insurer_id=user.insurer_id,
        user_id=user.id,
        company_id=user.company_id,
        office_id=user.office_id,
        authority_level=user.authority_level,
    )


@dataclass
class Seeder:
    """The one session everything is written in, and what the services need around it."""

    session: AsyncSession
    # Nobody subscribes while the demo loads: events are collected and dropped.
    outbox: Outbox
    storage: LocalFileStorage
    users: dict[str, User] = field(default_factory=dict)
    users_by_id: dict[int, User] = field(default_factory=dict)
    offices: dict[int, Office] = field(default_factory=dict)
    insurers: dict[str, int] = field(default_factory=dict)
    ech_rights: dict[int, frozenset[str]] = field(default_factory=dict)  # by insurer

    async def call(self, service: Any, actor: User | Principal, **kwargs: Any) -> Any:
        """Run a write service as `actor`, the way a mutation does."""
        if isinstance(actor, User):  # partners carry the portal's rights, as on sign-in
            rights = self.ech_rights.get(actor.insurer_id, frozenset())
            actor = replace(principal_of(actor), ech_rights=rights)
        return await service(session=self.session, outbox=self.outbox, actor=actor, **kwargs)

    async def store(self, data: bytes) -> StoredFile:
        return await self.storage.save(BytesUpload(data), max_bytes=len(data) + 1)


async def create_portals(seeder: Seeder) -> None:
    """Insurers, partner companies, offices and users, inserted as plain rows."""
    add, flush = seeder.session.add, seeder.session.flush
    for key, name in INSURERS.items():
        insurer = Company(kind=CompanyKind.INSURER, name=name, default_budget_approval_limit=10000)
        add(insurer)
        await flush()
        seeder.insurers[key] = insurer.id
    partners: dict[str, Company] = {}
    offices: dict[str, Office] = {}
    for code, (key, company, *values) in OFFICES.items():
        insurer_id = seeder.insurers[key]
        if company not in partners:
            add(partner := Company(kind=CompanyKind.PARTNER, insurer_id=insurer_id, name=company))
            await flush()
            partners[company] = partner
        columns = dict(zip(OFFICE_COLUMNS, values, strict=True))
        offices[code] = Office(insurer_id=insurer_id, company_id=partners[company].id, **columns)
        add(offices[code])
    await flush()
    seeder.offices = {office.id: office for office in offices.values()}
    password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow on purpose: hash once
    for n, (email, name, key, code, level, _) in enumerate(USERS):
        office, eligible = offices.get(code or ""), email.startswith("ech@")
        user = User(
            insurer_id=seeder.insurers[key], office_id=office.id if office else None,
            company_id=office.company_id if office else seeder.insurers[key],
            kind=UserKind.PARTNER if office else UserKind.STAFF, email=email, name=name,
            phone=f"+47 4{n:02d} 10 {n:03d}", password_hash=password_hash,
            authority_level=level, external_case_handler_eligible=eligible,
            budget_approval_limit=Decimal(25000) if eligible else None,
        )  # fmt: skip
        add(user)
        seeder.users[email] = user
    await flush()
    seeder.users_by_id = {user.id: user for user in seeder.users.values()}
    for key, page_settings in CUSTOMER_PAGES.items():
        admin = principal_of(seeder.users[f"admin@{key}.test"])
        await customer_page_settings.update_portal_settings(
            session=seeder.session, actor=admin, changes=page_settings
        )
        rights = await external_case_handler.define_role(
            session=seeder.session, actor=admin, rights=ECH_ROLES[key]
        )
        seeder.ech_rights[admin.insurer_id] = frozenset(right.value for right in rights)


@dataclass
class CasePlay:
    """One demo case, played through the services step by step, as people would."""

    seeder: Seeder
    key: str  # the insurer
    scenario: str
    n: int  # running number: picks names, addresses and variations
    age: float  # days since the case was created
    level: int  # how far the case gets (see SCENARIOS)
    token: str | None  # a printed demo link token for the policyholder, if any
    case: Case = field(init=False)
    report: Document = field(init=False)  # the inspection report
    grant_id: int = field(init=False)
    tasks: dict[str, Task] = field(default_factory=dict)

    @property
    def handler(self) -> User:
        return self.seeder.users[f"handler{self.n % 2 + 1}@{self.key}.test"]

    def crew(self, index: int) -> Any:
        return CREWS[self.key][index]

    def worker(self, task: str) -> User:
        return self.seeder.users_by_id[self.tasks[task].responsible_id or 0]

    def day(self, offset: float, hour: int) -> dt.datetime:
        """A local time `offset` days after the case was created."""
        moment = dt.datetime.now(CET) - dt.timedelta(days=self.age - offset)
        return moment.replace(hour=hour, minute=0, second=0, microsecond=0)

    async def on_case(self, service: Any, actor: User | Principal, **kwargs: Any) -> Any:
        return await self.seeder.call(service, actor, case_id=self.case.id, **kwargs)

    async def play(self) -> None:
        await self.create()
        if self.level >= 1:
            await self.assign_inspector()
        if self.scenario == "external case handler":
            await self.hand_to_external_handler()
        if self.level >= 2:
            await self.start_inspection()
        if self.level >= 3:
            await self.complete_inspection()
        if self.level >= 4:
            await self.decide()
        if self.level >= 5:
            await self.start_repairs()
        if self.scenario == "on hold":
            reason = "Waiting for the policyholder's receipts for damaged furniture."
            await self.on_case(cases.put_on_hold, self.handler, reason=reason)
        if self.level >= 7:
            await self.finish_and_close()
        if self.scenario == "reopened":
            reason = "The policyholder reports new moisture behind the bathroom wall."
            await self.on_case(cases.reopen_case, self.handler, reason=reason)
            await self.hear("Thank you for coming back so quickly. The stain is growing again.")

    async def create(self) -> None:
        n, holder = self.n, HOLDERS[self.n % len(HOLDERS)]
        email = f"{holder.lower().replace(' ', '.')}{n}@example.test"
        contacts = [ContactData(ContactRole.POLICYHOLDER, holder, email, f"+47 9{n:02d} 45 678")]
        if n % 3 == 0:
            contacts.append(ContactData(ContactRole.CONTACT_PERSON, "Heidi Kvam", None, "+47 9001"))
        office, damage = [o for o in OFFICES.values() if o[0] == self.key][n % 2], DAMAGES[n % 8]
        data = CaseData(
            damage_type=damage, street=f"{STREETS[n % len(STREETS)]} {n * 7 % 90 + 1}",
            postal_code=office[4], city=office[5], claim_number=f"{self.key.upper()}-{4711 + n}",
            # A few kilometres around the office's town, so recommendedOffices has distances.
            latitude=office[6] + (n * 37 % 21 - 10) * 0.004,
            longitude=office[7] + (n * 53 % 21 - 10) * 0.008,
            description=f"{damage.value.title()} damage reported by the policyholder.",
            damage_date=self.day(-2 - n % 5, 12).date(), case_handler_id=self.handler.id,
            budget=Decimal(40_000 + n * 2_500),
        )  # fmt: skip
        self.case = await self.seeder.call(
            cases.create_case, self.handler, data=data, contacts=contacts
        )
        await self.add_task("main", TaskKind.MAIN_INSPECTION, "Main inspection", 6_000)

    async def add_task(self, name: str, kind: TaskKind, title: str, budget: int) -> None:
        description = f"{title} after the {self.case.damage_type.value} damage."
        self.tasks[name] = await self.on_case(
            tasks.add_task, self.handler, kind=kind, title=title, description=description,
            budget_estimate=Decimal(budget),
        )  # fmt: skip

    async def assign(self, name: str, email: str) -> User:
        """The insurer hands the task to the worker's office; the office names the worker."""
        task_id, worker = self.tasks[name].id, self.seeder.users[email]
        call = self.seeder.call
        await call(tasks.assign_office, self.handler, task_id=task_id, office_id=worker.office_id)
        await call(tasks.assign_responsible, worker, task_id=task_id, user_id=worker.id)
        return worker

    async def advance(self, name: str, target: TaskStatus) -> None:
        """Step the task up to `target`: its worker starts and completes, staff approve."""
        order, task = list(TaskStatus), self.tasks[name]
        steps = {TaskStatus.ASSIGNED: "start", TaskStatus.STARTED: "complete"}
        while order.index(task.status) < order.index(target):
            step = steps.get(task.status, "approve")
            actor = self.handler if step == "approve" else self.worker(name)
            await self.seeder.call(tasks.advance_task, actor, task_id=task.id, step=step)

    async def tell(self, body: str, by: User | None = None) -> None:
        send = communication.send_message
        await self.on_case(send, by or self.handler, body=body, attachment_ids=[])

    async def hear(self, body: str, attachment_ids: list[int] | None = None) -> None:
        send = communication.send_message
        customer = await self.as_customer()
        await self.on_case(send, customer, body=body, attachment_ids=attachment_ids or [])

    async def upload(
        self, by: User | Principal, kind: DocumentType, name: str, data: bytes, task: str = ""
    ) -> Document:
        title = name.rsplit(".", 1)[0].replace("-", " ").capitalize()
        stored, task_id = await self.seeder.store(data), self.tasks[task].id if task else None
        return await self.on_case(  # type: ignore[no-any-return]
            documents.create_document, by, stored=stored, file_name=name, content_type=None,
            title=title, type=kind, task_id=task_id,
        )  # fmt: skip

    async def share(self, document: Document, by: User | None = None) -> None:
        set_shared = documents.set_shared
        await self.seeder.call(
            set_shared, by or self.handler, document_ids=[document.id], shared=True
        )

    async def give_customer_access(self) -> None:
        session, case = self.seeder.session, self.case
        stmt = select(CaseContact).where(
            CaseContact.case_id == case.id, CaseContact.role == ContactRole.POLICYHOLDER
        )
        contact = (await session.execute(stmt)).scalar_one()
        if self.token:  # a known token, so the demo customer view can be opened
            grant = CustomerAccessGrant(
                insurer_id=case.insurer_id, case_id=case.id, contact_id=contact.id,
                token_hash=sha256_hex(self.token), granted_by_user_id=self.handler.id,
            )  # fmt: skip
            session.add(grant)
            await session.flush()
        else:
            grant, _ = await access.grant_customer_access(
                session=session, actor=principal_of(self.handler), case_id=case.id,
                contact_id=contact.id,
            )  # fmt: skip
        self.grant_id = grant.id

    async def as_customer(self) -> Principal:
        """The customer as the server would see them now (their view follows milestones)."""
        stmt = grant_select().where(CustomerAccessGrant.id == self.grant_id)
        row = (await self.seeder.session.execute(stmt)).one()
        principal = grant_principal(row, self.grant_id)
        assert principal is not None, "the demo customer's case is on their page"
        return principal

    async def assign_inspector(self) -> None:
        inspector = await self.assign("main", self.crew(0))
        meeting = self.day(4, 9 + self.n % 5)
        set_meeting = tasks.set_customer_meeting
        await self.seeder.call(set_meeting, inspector, task_id=self.tasks["main"].id, at=meeting)
        await self.give_customer_access()
        office = self.seeder.offices[inspector.office_id or 0].name
        await self.tell(
            f"Hello! {inspector.name} from {office} will inspect the damage on "
            f"{meeting:%d %B at %H:%M}. You can follow your case on this page."
        )

    async def hand_to_external_handler(self) -> None:
        """Staff give the role to the handler's office; the office names the handler."""
        ech, service = self.seeder.users[self.crew(3)], external_case_handler
        await self.on_case(service.assign_office, self.handler, office_id=ech.office_id)
        await self.on_case(service.assign_handler, ech, user_id=ech.id)
        await self.tell(f"Hi, I am {ech.name}. I will follow up your case from now on.", by=ech)

    async def start_inspection(self) -> None:
        await self.advance("main", TaskStatus.STARTED)
        body = f"@{self.handler.name} moisture under the floor; drying will probably be needed."
        await self.on_case(communication.add_comment, self.worker("main"), body=body)

    async def complete_inspection(self) -> None:
        await self.advance("main", TaskStatus.COMPLETED)
        report = f"Inspection report\n\nCase {self.case.number}\n{self.case.description}\n"
        self.report = await self.upload(
            self.worker("main"), DocumentType.INSPECTION_REPORT, "inspection-report.txt",
            report.encode(), task="main",
        )  # fmt: skip
        await self.hear("Thank you for the visit. When will we hear about the compensation?")

    async def decide(self) -> None:
        decision = DECISIONS.get(self.scenario, Decision.ACCEPTED)
        external = self.case.external_case_handler_id
        ech = self.seeder.users[self.crew(3)] if external else None
        await self.advance("main", TaskStatus.APPROVED)
        reader = principal_of(self.handler)
        await communication.mark_messages_read(
            session=self.seeder.session, actor=reader, case_id=self.case.id
        )
        await self.share(self.report, by=ech)
        await self.on_case(cases.set_compensation_decision, self.handler, decision=decision)
        if decision is Decision.REJECTED:
            await self.tell("Sorry: your policy does not cover this. The report explains why.")
        elif decision is Decision.MORE_INFORMATION_NEEDED:
            await self.tell("We need photos of the damaged floor before we can decide.")
            photo = tiny_png(((120 + self.n * 5) % 256, 90, 60))
            kind = DocumentType.CUSTOMER_UPLOAD
            customer = await self.as_customer()
            document = await self.upload(customer, kind, "photo-of-the-floor.png", photo)
            await self.hear("Here is a photo of the floor.", attachment_ids=[document.id])
        else:
            await self.tell("Good news: the damage is covered. Now we plan the repairs.", by=ech)

    async def start_repairs(self) -> None:
        await self.add_task("pm", TaskKind.PROJECT_MANAGEMENT, "Project management", 8_000)
        for trade, _ in self.crew(2):
            await self.add_task(trade, TaskKind.REPAIR, trade, 15_000 + 5_000 * len(trade))
        manager = await self.assign("pm", self.crew(1))
        await self.advance("pm", TaskStatus.STARTED)
        # Repairs of open cases straddle today: some done, some under way, some upcoming.
        base = 0.4 * self.age if self.level >= 7 else self.age - 6 + self.n % 3
        progress = [("started", "assigned", "assigned"), ("completed", "started", "assigned"),
                    ("approved", "completed", "started")][self.n % 3]  # fmt: skip
        for index, (trade, email) in enumerate(self.crew(2)):
            worker, task_id = await self.assign(trade, email), self.tasks[trade].id
            start, end = self.day(base + 5 * index, 7), self.day(base + 5 * index + 3, 15)
            call = self.seeder.call
            await call(tasks.set_schedule, worker, task_id=task_id, start=start, end=end)
            await call(tasks.set_customer_meeting, worker, task_id=task_id, at=start)
            await self.advance(trade, TaskStatus(progress[index]))
        body = "Drying equipment is on site; carpentry follows when the floor is dry."
        await self.on_case(communication.add_comment, manager, body=body)
        await self.tell("The repairs are planned: see the schedule on your page.")

    async def finish_and_close(self) -> None:
        for name in self.tasks:
            await self.advance(name, TaskStatus.APPROVED)
        settlement = f"Settlement\n\nCase {self.case.number}\nPaid: NOK {self.case.budget}\n"
        kind = DocumentType.CUSTOMER_SETTLEMENT_REPORT
        await self.share(
            await self.upload(self.handler, kind, "settlement.txt", settlement.encode())
        )
        await self.tell("All work is done and the settlement is on your page. Thank you!")
        await self.on_case(cases.close_case, self.handler, reason="All work approved.")


# Timestamps, in the order the rows were written: each case's feed runs from its creation
# to a tenth of its age ago; rows a feed entry reports take that entry's time.
SPREAD = [
    """UPDATE cases c SET created_at = now() - make_interval(secs => a.days * 86400)
       FROM unnest(CAST(:ids AS bigint[]), CAST(:days AS float8[])) AS a(id, days)
       WHERE c.id = a.id""",
    """UPDATE feed_entries f SET created_at = r.base + (now() - r.base) * 0.9 * r.k / r.n
       FROM (SELECT e.id, c.created_at AS base, row_number() OVER w - 1 AS k,
                    count(*) OVER (PARTITION BY e.case_id) AS n
             FROM feed_entries e JOIN cases c ON c.id = e.case_id WHERE c.insurer_id = ANY(:ins)
             WINDOW w AS (PARTITION BY e.case_id ORDER BY e.id)) r
       WHERE f.id = r.id""",
    *[f"""UPDATE {table} x SET created_at = f.created_at FROM feed_entries f
          WHERE f.insurer_id = ANY(:ins) AND f.type IN ({types})
            AND (f.payload->>'{key}')::bigint = x.id"""
      for table, types, key in [
          ("messages", "'communication_to_customer', 'message_from_customer'", "messageId"),
          ("documents", "'document_uploaded'", "documentId"),
          ("comments", "'comment_added'", "commentId"),
          ("tasks", "'new_tasks_added'", "taskId"),
      ]],
    """UPDATE messages SET read_at = least(created_at + interval '3 hours', now())
       WHERE read_at IS NOT NULL AND insurer_id = ANY(:ins)""",
    """UPDATE customer_access_grants g SET created_at = f.created_at FROM feed_entries f
       WHERE f.case_id = g.case_id AND f.type = 'inspector_assigned'
         AND g.insurer_id = ANY(:ins)""",
    """UPDATE case_contacts x SET created_at = c.created_at FROM cases c
       WHERE c.id = x.case_id AND c.insurer_id = ANY(:ins)""",
    """UPDATE cases c SET updated_at = x.last, closed_at = CASE WHEN c.status = 'closed'
           THEN x.closed END
       FROM (SELECT case_id, max(created_at) AS last,
                    max(created_at) FILTER (WHERE type = 'case_closed') AS closed
             FROM feed_entries WHERE insurer_id = ANY(:ins) GROUP BY case_id) x
       WHERE x.case_id = c.id""",
    "UPDATE users SET created_at = now() - interval '400 days' WHERE insurer_id = ANY(:ins)",
    "UPDATE offices SET created_at = now() - interval '400 days' WHERE insurer_id = ANY(:ins)",
    """UPDATE companies SET created_at = now() - interval '500 days'
       WHERE id = ANY(:ins) OR insurer_id = ANY(:ins)""",
]  # fmt: skip


async def seed_demo_if_empty(url: str, settings: Settings) -> bool:
    """Create the demo portals unless they exist; True if they were created now."""
    engine = make_engine(url, pool_size=2)
    sessions = make_session_factory(engine)
    storage = LocalFileStorage(settings.files_dir)

    try:
        # One transaction: the demo appears whole or not at all.
        async with sessions() as session, session.begin():
            # Two processes starting at once: the second waits here, then finds the data.
            await session.execute(select(func.pg_advisory_xact_lock(0x6361, 0x7365)))
            names = list(INSURERS.values())
            found = select(Company.id).where(Company.kind == "insurer", Company.name.in_(names))
            if (await session.execute(found)).first() is not None:
                return False
            seeder = Seeder(session, Outbox(), storage)
            await create_portals(seeder)
            await seed_recurring(seeder)  # recurring: the monthly property inspection
            ages: dict[int, float] = {}
            # Oldest first, so case numbers rise with creation dates.
            for entry in sorted(_plan(), key=lambda entry: -entry[3]):
                play = CasePlay(seeder, *entry)
                await play.play()
                ages[play.case.id] = play.age
            await seed_customers(seeder, principal_of)  # customers (issue 7)
            await seed_mentions(seeder)  # issue 7, mentions
            params = {"ids": list(ages), "days": list(ages.values())}
            params["ins"] = list(seeder.insurers.values())
            for statement in SPREAD:
                await session.execute(text(statement), params)
            await seed_texts(seeder)
            await seed_casetypes(seeder)  # casetypes
            await seed_sla(session, seeder.insurers, seeder.users)  # issue 7: sla
    finally:
        await engine.dispose()
    return True


def print_demo_logins() -> None:
    width = max(len(email) for email, _ in DEMO_LOGINS)
    print(f"\nDemo logins, password '{DEMO_PASSWORD}' for all (mutation `login`):")
    for email, role in DEMO_LOGINS:
        print(f"  {email:<{width}}  {role}")
    example = DEMO_CUSTOMER_TOKENS[0][0]
    print("\nA customer's view: exchange a demo link token for a bearer token with")
    print(
        f'  mutation {{ customerLogin(accessToken: "{example}") {{ token errors {{ message }} }} }}'
    )
    print("then send the answer's token as 'Authorization: Bearer <token>'. Demo link tokens:")
    for token, description in DEMO_CUSTOMER_TOKENS:
        print(f"  {token:<{width}}  {description}")
    print(
        "\nA household's grant across customers (Nordlys, the Hansens' two cases):\n"
        f'  mutation {{ customerGrantLogin(accessToken: "{DEMO_GRANT_TOKEN}") '
        "{ sessionToken cases { id number } } }\n"
        "then `grantOpenCase(sessionToken, caseId)` for a customer token of one case.\n"
        "Self-service reporting: an admin's `caseTypes { name publicId }` gives the demo\n"
        "type's public id for `publicCaseReport` (no sign-in needed)."
    )
    print()

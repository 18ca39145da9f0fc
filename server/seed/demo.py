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

"""Bulk benchmark data: N cases with tasks, documents, feed and chat, loaded by COPY.

Everything goes into one insurer, "Bench Insurance", so benchmarks never mix with the
demo portals. Rows are built in Python and sent with asyncpg's binary COPY, one
transaction per batch; ids come from the tables' own sequences so the server's later
inserts continue after them. The write services are bypassed on purpose: they are
correct but do one round trip per change, which is far too slow for 20,000 cases.
Content is deterministic per case number (random.Random seeded with it); timestamps are
relative to now: the cases of one run are spread evenly over the past year.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from resolvers.auth import hash_password

BENCH_INSURER = "Bench Insurance"
BENCH_EMAIL = "bench@casegraph.test"
BENCH_PASSWORD = "bench-password"
BATCH_SIZE = 1000
SEED = 20_261_123
DUMMY_STORAGE_KEY = "bench" + "0" * 27  # no file behind it: downloads are not benchmarked
WINDOW = dt.timedelta(days=365)  # cases of one run are spread over the past year

STAFF = [  # (email, name, authority level)
    (BENCH_EMAIL, "Bench Admin", 6),
    ("bench-handler1@casegraph.test", "Bench Handler One", 3),
    ("bench-handler2@casegraph.test", "Bench Handler Two", 4),
    ("bench-handler3@casegraph.test", "Bench Handler Three", 4),
]
PARTNERS = {  # company -> offices (name, street, postal code, city, lat, lon)
    "Bench Bygg og Tørk AS": [
        ("Bench Bygg Oslo", "Storgata 1", "0155", "Oslo", 59.9139, 10.7522),
        ("Bench Bygg Drammen", "Bragernes torg 2", "3017", "Drammen", 59.7439, 10.2045),
    ],
    "Bench Takst og Prosjekt AS": [
        ("Bench Takst Bergen", "Torgallmenningen 3", "5014", "Bergen", 60.3929, 5.3241),
        ("Bench Takst Trondheim", "Munkegata 4", "7011", "Trondheim", 63.4305, 10.3951),
    ],
}
SERVICES = ["main_inspection", "project_management", "repair", "drying", "carpentry"]
REPAIR_TRADES = ["Drying", "Carpentry", "Demolition", "Drainage", "Painting", "Electrical work"]
DAMAGE_TYPES = ["water", "water", "water", "fire", "storm", "burglary", "flood", "glass", "other"]
CITIES = [("Oslo", "0"), ("Bergen", "5"), ("Trondheim", "7"), ("Stavanger", "4"), ("Tromsø", "9")]
STREETS = ["Kirkeveien", "Parkveien", "Skolegata", "Fjordveien", "Bakkegata", "Solbergveien"]
FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Nora", "Jonas", "Sofie", "Emil", "Anna", "Henrik"]
LAST = ["Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Dahl", "Lie", "Moen"]
# Weights of the progress stages: created, inspector assigned, inspecting, decided,
# repairing, finished. Most benchmark cases sit in the middle, like a real portfolio.
STAGE_WEIGHTS = [5, 10, 15, 20, 35, 15]


def _words(text: str) -> list[str]:
    return text.split()


# COPY column order of each table, and how many ids per case to draw from its sequence.
TABLES: dict[str, tuple[int, list[str]]] = {
    "cases": (1, _words("""id insurer_id number claim_number damage_type description street
        postal_code city damage_date status status_reason compensation_decision case_handler_id
        budget external_case_handler_office_id external_case_handler_id created_at updated_at
        closed_at""")),
    "case_contacts": (2, _words("id insurer_id case_id role name email phone created_at")),
    "tasks": (5, _words("""id insurer_id case_id kind title description office_id responsible_id
        status scheduled_start scheduled_end customer_meeting_at budget_estimate created_at""")),
    "documents": (4, _words("""id insurer_id case_id task_id type title file_name content_type
        size_bytes sha256 storage_key uploaded_by_user_id uploaded_by_contact_id
        shared_with_customer created_at""")),
    "feed_entries": (25, _words("""id insurer_id case_id type payload actor_user_id
        actor_contact_id created_at""")),
    "messages": (10, _words("""id insurer_id case_id direction author_user_id author_contact_id
        body read_at read_by_user_id created_at""")),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str


@dataclass(slots=True)
class BenchPortal:
    insurer_id: int
    handlers: list[Person]
    offices: list[int]
    staff_by_office: dict[int, list[Person]]
    office_names: dict[int, str]
    names: dict[int, str] = field(default_factory=dict)  # user id -> name, for feed payloads
    external_handler: tuple[int, Person] | None = None  # (office id, user)


Rows = dict[str, list[tuple[Any, ...]]]  # one batch: table -> rows in COPY column order


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants a plain libpq URL; the app's URL may name the SQLAlchemy driver."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


# -- the portal: insurer, staff, partner companies, offices, partner users -------------


async def _find_or_insert(conn: asyncpg.Connection, find: str, insert: str, *args: Any) -> int:
    """The id of the row `find` matches with the first two args, else of a new one."""
    found = await conn.fetchval(find, *args[:2])
    return int(found if found is not None else await conn.fetchval(insert, *args))


async def _company_id(conn: asyncpg.Connection, insurer_id: int | None, name: str) -> int:
    kind = "insurer" if insurer_id is None else "partner"
    limit = Decimal(10000) if insurer_id is None else None
    return await _find_or_insert(
        conn,
        "SELECT id FROM companies WHERE insurer_id IS NOT DISTINCT FROM $1 AND name = $2",
        "INSERT INTO companies (insurer_id, name, kind, default_budget_approval_limit)"
        " VALUES ($1, $2, $3, $4) RETURNING id",
        *(insurer_id, name, kind, limit),
    )


async def _office_id(conn: asyncpg.Connection, insurer_id: int, company_id: int, spec: Any) -> int:
    return await _find_or_insert(
        conn,
        "SELECT id FROM offices WHERE company_id = $1 AND name = $2",
        "INSERT INTO offices (company_id, name, street, postal_code, city, latitude, longitude,"
        " insurer_id, services) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        *(company_id, *spec, insurer_id, SERVICES),
    )


async def _ensure_users(conn: asyncpg.Connection, users: list[tuple[Any, ...]]) -> None:
    """Insert the users whose email is free; hash the shared password at most once."""
    emails = [user[0] for user in users]
    taken = await conn.fetch("SELECT email FROM users WHERE email = ANY($1)", emails)
    missing = [user for user in users if user[0] not in {row["email"] for row in taken}]
    if missing:
        password_hash = hash_password(BENCH_PASSWORD)
        await conn.executemany(
            "INSERT INTO users (email, name, kind, insurer_id, company_id, office_id,"
            " authority_level, external_case_handler_eligible, budget_approval_limit,"
            " password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [(*user, password_hash) for user in missing],
        )


async def ensure_bench_portal(conn: asyncpg.Connection) -> BenchPortal:
    """The bench insurer and its people, created on the first run and reused after."""
    ins = await _company_id(conn, None, BENCH_INSURER)
    # (email, name, kind, insurer, company, office, level, eligible as ECH, approval limit)
    users = [
        (email, name, "staff", ins, ins, None, level, False, None) for email, name, level in STAFF
    ]
    office_names: dict[int, str] = {}
    for company, offices in PARTNERS.items():
        company_id = await _company_id(conn, ins, company)
        for spec in offices:
            office_id = await _office_id(conn, ins, company_id, spec)
            office_names[office_id] = spec[0]
            slug = spec[0].lower().replace(" ", "-")
            for n in (1, 2):
                email, name = f"{slug}-{n}@casegraph.test", f"{spec[3]} Partner {n}"
                users.append((email, name, "partner", ins, company_id, office_id, 1, False, None))
    # One eligible external case handler: the first user of the last office.
    users[-2] = (*users[-2][:7], True, Decimal(25000))
    await _ensure_users(conn, users)
    rows = await conn.fetch(
        "SELECT id, name, kind, office_id, external_case_handler_eligible AS ech FROM users"
        " WHERE email = ANY($1) AND insurer_id = $2 ORDER BY id",
        [user[0] for user in users],
        ins,
    )
    portal = BenchPortal(ins, [], list(office_names), {o: [] for o in office_names}, office_names)
    for row in rows:
        person = Person(row["id"], row["name"])
        portal.names[person.id] = person.name
        if row["kind"] == "staff":
            portal.handlers.append(person)
        elif row["office_id"] in office_names:
            portal.staff_by_office[row["office_id"]].append(person)
            if row["ech"]:
                portal.external_handler = (row["office_id"], person)
    assert portal.external_handler is not None, "the bench external case handler is missing"
    return portal


async def next_case_number(conn: asyncpg.Connection, insurer_id: int) -> int:
    """The first free number after the highest B-number of the insurer."""
    highest = await conn.fetchval(
        "SELECT max(substring(number FROM 3)::int) FROM cases"
        " WHERE insurer_id = $1 AND number ~ '^B-[0-9]+$'",
        insurer_id,
    )
    return int(highest or 0) + 1


# -- one case and everything on it ---------------------------------------------------


@dataclass(slots=True)
class Draft:
    """What the rows of one case share while they are being built."""

    portal: BenchPortal
    ids: dict[str, list[int]]  # per table, descending: pop() hands out ascending ids
    rng: random.Random
    batch: Rows
    case_id: int
    number: str
    stage: int
    handler: Person
    created: dt.datetime
    now: dt.datetime
    contact_id: int = 0
    tasks: list[tuple[Any, ...]] = field(default_factory=list)
    documents: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)

    def add(self, table: str, *values: Any) -> tuple[Any, ...]:
        row = (self.ids[table].pop(), self.portal.insurer_id, self.case_id, *values)
        self.batch[table].append(row)
        return row


def _stage_statuses(stage: int, rng: random.Random) -> list[str]:
    """Statuses of main inspection, project management and three repairs at a stage."""
    main = ["new", "assigned", "started", "completed", "approved", "approved"][stage]
    management = {0: "new", 4: "started", 5: "completed"}.get(stage, "assigned")
    repair_choices = {4: ["assigned", "started", "completed"], 5: ["completed", "approved"]}
    repairs = [rng.choice(repair_choices.get(stage, ["new", "assigned"])) for _ in range(3)]
    return [main, management, *repairs]


def _decision_and_status(stage: int, rng: random.Random) -> tuple[str, str]:
    decision = "none"
    if stage == 3:
        decision = rng.choice(["accepted", "accepted", "rejected", "more_information_needed"])
    elif stage >= 4:
        decision = "accepted"
    if stage == 5 or (decision == "rejected" and rng.random() < 0.5):
        return decision, "closed"
    return decision, "on_hold" if rng.random() < 0.08 else "open"


def _times(
    rng: random.Random, start: dt.datetime, count: int, now: dt.datetime
) -> list[dt.datetime]:
    """`count` sorted moments after `start`, within 60 days and never in the future."""
    span = max(60.0, min(60 * 86400.0, (now - start).total_seconds()))
    return sorted(start + dt.timedelta(seconds=rng.uniform(30, span)) for _ in range(count))


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def add_case(
    batch: Rows,
    portal: BenchPortal,
    ids: dict[str, list[int]],
    rng: random.Random,
    number: int,
    created: dt.datetime,
    now: dt.datetime,
) -> None:
    """Append one case with its contacts, tasks, documents, messages and feed to `batch`."""
    stage = rng.choices(range(6), weights=STAGE_WEIGHTS)[0]
    handler = rng.choice(portal.handlers[1:])  # the admin handles no cases
    case_id, label = ids["cases"].pop(), f"B-{number:06d}"
    draft = Draft(portal, ids, rng, batch, case_id, label, stage, handler, created, now)
    decision, status = _decision_and_status(stage, rng)
    city, postal_prefix = rng.choice(CITIES)
    external = portal.external_handler if rng.random() < 0.1 else None
    feed_times = _times(rng, created, 25, now)
    batch["cases"].append((
        draft.case_id, portal.insurer_id, draft.number, f"CLM-{number:08d}",
        rng.choice(DAMAGE_TYPES), "Damage reported by the policyholder; see the inspection report.",
        f"{rng.choice(STREETS)} {rng.randint(1, 120)}", f"{postal_prefix}{rng.randint(100, 999)}",
        city, (created - dt.timedelta(days=rng.randint(0, 20))).date(), status,
        "Waiting for the customer" if status == "on_hold" else None, decision, handler.id,
        Decimal(rng.randrange(20_000, 400_000, 500)), external[0] if external else None,
        external[1].id if external else None, created, feed_times[-1],
        feed_times[-1] if status == "closed" else None,
    ))  # fmt: skip
    _add_contacts(draft)
    _add_tasks(draft)
    _add_documents(draft)
    _add_messages(draft, _times(rng, created + dt.timedelta(hours=1), 10, now))
    _add_feed(draft, status, decision, feed_times)


def _add_contacts(draft: Draft) -> None:
    rng, created = draft.rng, draft.created
    holder = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    email = f"{holder.lower().replace(' ', '.')}.{draft.case_id}@example.test"
    phone = f"+47 9{rng.randint(1_000_000, 9_999_999)}"
    draft.contact_id = draft.add("case_contacts", "policyholder", holder, email, phone, created)[0]
    if rng.random() < 0.5:
        other = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        draft.add("case_contacts", "contact_person", other, None, None, created)


def _add_tasks(draft: Draft) -> None:
    rng, created, portal = draft.rng, draft.created, draft.portal
    kinds = [("main_inspection", "Main inspection"), ("project_management", "Project management")]
    kinds += [("repair", trade) for trade in rng.sample(REPAIR_TRADES, 3)]
    for (kind, title), status in zip(kinds, _stage_statuses(draft.stage, rng), strict=True):
        office = rng.choice(portal.offices)
        responsible = None if status == "new" else rng.choice(portal.staff_by_office[office]).id
        start = end = meeting = None
        if kind == "repair" and draft.stage >= 4:
            start = created + dt.timedelta(days=rng.randint(14, 40), hours=7)
            end = start + dt.timedelta(days=rng.randint(2, 20))
        if kind == "main_inspection" and draft.stage >= 1:
            meeting = created + dt.timedelta(days=rng.randint(1, 7), hours=rng.choice([9, 11, 13]))
        budget = Decimal(rng.randrange(5_000, 120_000, 250))
        description = f"{title} after the reported damage."
        row = draft.add(
            "tasks", kind, title, description, office, responsible, status,
            start, end, meeting, budget, created,
        )  # fmt: skip
        draft.tasks.append(row)


def _add_documents(draft: Draft) -> None:
    stage, handler, tasks = draft.stage, draft.handler.id, draft.tasks
    # type, title, file name, content type, task, uploading user, uploading contact, shared
    specs = [
        ("inspection_report", "Inspection report", "inspection-report.pdf", "application/pdf",
         tasks[0][0], tasks[0][7] or handler, None, stage >= 3),
        ("customer_settlement_report", "Settlement", "settlement.pdf", "application/pdf",
         None, handler, None, stage >= 5),
        ("other", "Moisture measurements", "moisture.csv", "text/csv",
         tasks[2][0], tasks[2][7] or handler, None, False),
        ("customer_upload", "Photo of the damage", "IMG_0042.jpg", "image/jpeg",
         None, None, draft.contact_id, True),
    ]  # fmt: skip
    for day, (kind, title, file_name, content_type, task, user, contact, shared) in enumerate(
        specs, start=1
    ):
        size, digest = draft.rng.randint(20_000, 4_000_000), f"{draft.rng.getrandbits(256):064x}"
        at = min(draft.created + dt.timedelta(days=day), draft.now)
        row = draft.add(
            "documents", task, kind, title, file_name, content_type, size, digest,
            DUMMY_STORAGE_KEY, user, contact, shared, at,
        )  # fmt: skip
        draft.documents.append(row)


def _add_messages(draft: Draft, times: list[dt.datetime]) -> None:
    handler = draft.handler
    for index, at in enumerate(times):
        # The second message is always the customer's: the feed points at it.
        if index != 1 and (index == 0 or draft.rng.random() < 0.5):
            body = f"Hello, this is {handler.name}. Update {index + 1} on your case."
            row = draft.add("messages", "to_customer", handler.id, None, body, None, None, at)
        else:
            body = f"Thank you. Question {index + 1}: when will the work start?"
            read = draft.rng.random() < 0.7
            read_at = min(at + dt.timedelta(hours=2), draft.now) if read else None
            reader = handler.id if read else None
            row = draft.add(
                "messages", "from_customer", None, draft.contact_id, body, read_at, reader, at
            )
        draft.messages.append(row[0])


def _add_feed(draft: Draft, status: str, decision: str, times: list[dt.datetime]) -> None:
    """25 entries telling a case's story, with payloads shaped like the services' own.

    Every case gets the same shape of story whatever its stage: benchmarks need the
    volume and the variety of types, not a feed that matches the stage exactly.
    """
    main, management, repair = draft.tasks[0], draft.tasks[1], draft.tasks[2]
    portal, rng, report = draft.portal, draft.rng, draft.documents[0]

    def office(task: tuple[Any, ...]) -> dict[str, Any]:
        return {"taskId": task[0], "officeId": task[6], "officeName": portal.office_names[task[6]]}

    def person(task: tuple[Any, ...]) -> dict[str, Any]:
        user = task[7] or portal.staff_by_office[task[6]][0].id
        return {"taskId": task[0], "userId": user, "userName": portal.names[user]}

    def progress(task: tuple[Any, ...], to: str) -> dict[str, Any]:
        return {"taskId": task[0], "kind": task[3], "title": task[4], "status": to}

    call = {
        "successful": rng.random() < 0.8,
        "durationSeconds": rng.randint(20, 900),
        "number": "+47 22 00 00 00",
        "caller": draft.handler.name,
    }
    staff_events: list[tuple[str, dict[str, Any]]] = [
        ("case_created", {"number": draft.number}),
        *[("new_tasks_added", {"taskId": t[0], "kind": t[3], "title": t[4]}) for t in draft.tasks],
        ("main_inspection_office_changed", office(main)),
        ("inspector_assigned", person(main)),
        ("customer_meeting_time_changed", {"taskId": main[0], "at": _iso(main[11])}),
        ("call_history", call),
        ("main_inspection_started", progress(main, "started")),
        ("main_inspection_completed", progress(main, "completed")),
        ("document_uploaded", {"documentId": report[0], "title": report[5], "type": report[4]}),
        ("document_shared", {"documentId": report[0], "title": report[5]}),
        ("compensation_decision", {"decision": decision, "previous": "none"})
        if decision != "none"
        else ("call_history", {**call, "successful": False}),
        ("project_management_office_changed", office(management)),
        ("project_manager_changed", person(management)),
        ("repair_task_office_changed", office(repair)),
        ("repair_task_responsible_changed", person(repair)),
        ("repair_task_schedule_changed",
         {"taskId": repair[0], "start": _iso(repair[9]), "end": _iso(repair[10])}),
        ("task_started_or_ended", progress(repair, "started")),
        ("communication_to_customer", {"messageId": draft.messages[0]}),
        ("case_updated", {"fields": ["budget"]}),
    ]  # fmt: skip
    last = {"closed": "case_closed", "on_hold": "case_put_on_hold"}.get(status)
    if last:
        staff_events.append((last, {"from": "open"}))
    else:
        staff_events.append(("communication_to_customer", {"messageId": draft.messages[-1]}))
    # One entry is the customer's own: their first message (always the second one).
    customer_event = ("message_from_customer", {"messageId": draft.messages[1]})
    events = [*staff_events[:-3], customer_event, *staff_events[-3:]]
    for (kind, payload), at in zip(events, times, strict=True):
        by_customer = kind == "message_from_customer"
        user, contact = (None, draft.contact_id) if by_customer else (draft.handler.id, None)
        draft.add("feed_entries", kind, json.dumps(payload), user, contact, at)


# -- loading -------------------------------------------------------------------------


async def _draw_ids(conn: asyncpg.Connection, cases: int) -> dict[str, list[int]]:
    """Enough ids from each table's sequence for `cases` cases (unused ones are just gaps)."""
    pools = {}
    for table, (per_case, _) in TABLES.items():
        rows = await conn.fetch(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id"
            " FROM generate_series(1, $2) ORDER BY 1 DESC",
            table,
            per_case * cases,
        )
        pools[table] = [row["id"] for row in rows]  # descending: pop() hands out ascending
    return pools


async def _load_batch(conn: asyncpg.Connection, portal: BenchPortal, first: int, size: int,
                      created: list[dt.datetime], now: dt.datetime) -> None:  # fmt: skip
    rng = random.Random(SEED + first)  # the same numbers always get the same content
    async with conn.transaction():
        ids = await _draw_ids(conn, size)
        batch: Rows = {table: [] for table in TABLES}
        for offset in range(size):
            add_case(batch, portal, ids, rng, first + offset, created[offset], now)
        for table in TABLES:  # parents first, for the foreign keys
            columns = TABLES[table][1]
            await conn.copy_records_to_table(table, records=batch[table], columns=columns)


def _creation_times(cases: int, now: dt.datetime) -> list[dt.datetime]:
    """Evenly over the past year, oldest first, so ids and creation dates rise together."""
    start = now.replace(minute=0, second=0, microsecond=0) - WINDOW
    step = WINDOW / max(cases, 1)
    return [start + step * index for index in range(cases)]


async def seed_bulk(url: str, *, cases: int) -> None:
    """Add `cases` benchmark cases to the Bench Insurance portal (created on first use)."""
    began = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with conn.transaction():
            portal = await ensure_bench_portal(conn)
            first = await next_case_number(conn, portal.insurer_id)
        created = _creation_times(cases, now)
        for offset in range(0, cases, BATCH_SIZE):
            size = min(BATCH_SIZE, cases - offset)
            await _load_batch(conn, portal, first + offset, size,
                              created[offset : offset + size], now)  # fmt: skip
        await conn.execute("ANALYZE " + ", ".join(TABLES))
    finally:
        await conn.close()
    last = first + cases - 1
    print(
        f"bench: added {cases} cases (B-{first:06d}..B-{last:06d}) to '{BENCH_INSURER}' with "
        f"{cases * 5} tasks, {cases * 4} documents, {cases * 25} feed entries, "
        f"{cases * 10} messages in {time.perf_counter() - began:.1f} s; "
        f"sign in as {BENCH_EMAIL} / {BENCH_PASSWORD}"
    )

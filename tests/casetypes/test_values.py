"""Custom field values on cases: validated against the type, stored normalised; a new
case of a type lands with its defaults and its template's tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.db.casework import CasePriority
from server.db.engine import make_session_factory
from server.db.enums import FeedEventType
from server.db.models import Case, FeedEntry, Task
from tests.factories import gid
from tests.graphql import gql

CASE_UPDATE = """
mutation ($input: CaseUpdateInput!) {
  caseUpdate(input: $input) {
    case { customFields { key value } }
    errors { code field message }
  }
}"""

VALID = [{"key": "leakSource", "value": "Pipe"}]


def _fields(payload):
    return [(e["code"], e["field"]) for e in payload["errors"]]


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ([], "leakSource"),  # required missing
        ([{"key": "leakSource", "value": "  "}], "leakSource"),  # blank is missing
        ([{"key": "leakSource", "value": "Tap"}], "leakSource"),  # not an option
        ([{"key": "leakSource", "value": "pipe"}], "leakSource"),  # options are exact
        ([*VALID, {"key": "meterReading", "value": "twelve"}], "meterReading"),
        ([*VALID, {"key": "meterReading", "value": "NaN"}], "meterReading"),
        ([*VALID, {"key": "meterReading", "value": "1e20"}], "meterReading"),
        ([*VALID, {"key": "noticedOn", "value": "24.12.2026"}], "noticedOn"),
        ([*VALID, {"key": "noticedOn", "value": "2026-02-30"}], "noticedOn"),
        ([*VALID, {"key": "noticedOn", "value": "20260101"}], "noticedOn"),
        ([*VALID, {"key": "colour", "value": "red"}], "colour"),  # unknown key
        ([*VALID, {"key": "leakSource", "value": "Roof"}], "leakSource"),  # given twice
    ],
)
async def test_bad_values_are_refused_naming_the_field(
    world, engine, define_type, open_case, values, key
):
    case_type = await define_type()

    payload = await open_case(case_type["id"], values)

    assert payload["case"] is None
    assert _fields(payload) == [("BAD_USER_INPUT", ["input", "customFields", key])]
    async with engine.connect() as conn:
        count = (
            await conn.execute(select(Case.id).where(Case.insurer_id == world.portal.insurer.id))
        ).all()
    assert len(count) == 3  # the factory's cases only: nothing half-written


async def test_values_are_stored_normalised(world, engine, define_type, open_case):
    case_type = await define_type()
    values = [
        {"key": "leakSource", "value": "Roof"},
        {"key": "meterReading", "value": " 12.50 "},
        {"key": "noticedOn", "value": "2026-03-01"},
        {"key": "secretNote", "value": " =HYPERLINK(1) "},
    ]

    payload = await open_case(case_type["id"], values)

    assert payload["errors"] == []
    assert payload["case"]["customFields"] == [
        {"key": "leakSource", "label": "Leak source", "kind": "CHOICE", "value": "Roof"},
        {"key": "meterReading", "label": "Meter reading", "kind": "NUMBER", "value": "12.5"},
        {"key": "noticedOn", "label": "Noticed on", "kind": "DATE", "value": "2026-03-01"},
        {"key": "secretNote", "label": "Adjuster note", "kind": "TEXT", "value": "=HYPERLINK(1)"},
    ]
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                select(Case.custom_fields).where(
                    Case.number == payload["case"]["number"],
                    Case.insurer_id == world.portal.insurer.id,
                )
            )
        ).scalar_one()
    assert stored == {
        "leakSource": "Roof",
        "meterReading": 12.5,
        "noticedOn": "2026-03-01",
        "secretNote": "=HYPERLINK(1)",
    }
    integral = await open_case(case_type["id"], [*VALID, {"key": "meterReading", "value": "7.0"}])
    assert integral["case"]["customFields"][1]["value"] == "7"


async def test_values_need_a_type_and_an_active_one(world, define_type, open_case):
    without = await open_case(None, VALID)
    inactive = await define_type(name="Old", active=False)
    old = await open_case(inactive["id"], VALID)
    foreign = await define_type(world.foreign, name="Theirs")
    theirs = await open_case(foreign["id"], VALID)

    assert _fields(without) == [("BAD_USER_INPUT", ["input", "customFields"])]
    assert _fields(old) == [("BAD_USER_INPUT", ["input", "caseTypeId"])]
    assert _fields(theirs) == [("BAD_USER_INPUT", ["input", "caseTypeId"])]


async def test_updates_revalidate_and_required_stays_required(
    client, world, define_type, open_case
):
    case_type = await define_type()
    opened = await open_case(case_type["id"], [*VALID, {"key": "meterReading", "value": "3"}])
    case_id = opened["case"]["id"]

    async def update(values):
        result = await gql(
            client, CASE_UPDATE, {"input": {"caseId": case_id, "customFields": values}},
            token=world.portal.tokens["staff"],
        )  # fmt: skip
        return result["data"]["caseUpdate"]

    cleared_required = await update([{"key": "leakSource", "value": None}])
    wrong = await update([{"key": "meterReading", "value": "x"}])
    changed = await update(
        [{"key": "meterReading", "value": "4"}, {"key": "noticedOn", "value": None}]
    )

    assert _fields(cleared_required) == [
        ("BAD_USER_INPUT", ["input", "customFields", "leakSource"])
    ]
    assert _fields(wrong) == [("BAD_USER_INPUT", ["input", "customFields", "meterReading"])]
    assert changed["errors"] == []
    values = {f["key"]: f["value"] for f in changed["case"]["customFields"]}
    assert values == {
        "leakSource": "Pipe",
        "meterReading": "4",
        "noticedOn": None,
        "secretNote": None,
    }


async def test_a_new_case_lands_with_the_type_defaults_and_template_tasks(
    client, world, engine, define_type, open_case
):
    portal = world.portal
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        priority = CasePriority(insurer_id=portal.insurer.id, name="Urgent")
        session.add(priority)
        await session.flush()
        priority_id = priority.id
    templates = [
        {"kind": "MAIN_INSPECTION", "title": "Inspect", "officeId": gid("Office", portal.office.id),
         "startAfterDays": 2},
        {"kind": "REPAIR", "title": "Dry out", "description": "Dryers for a week"},
    ]  # fmt: skip
    case_type = await define_type(
        taskTemplates=templates,
        defaultDeadlineDays=10,
        defaultCaseHandlerId=gid("User", portal.admin.id),
        defaultPriorityId=gid("Priority", priority_id),
    )

    payload = await open_case(case_type["id"], VALID, who="integration")
    named = await open_case(case_type["id"], VALID, caseHandlerId=gid("User", portal.handler.id))

    assert payload["errors"] == [] and named["errors"] == []
    async with sessions() as conn:
        case = (
            await conn.execute(
                select(Case).where(
                    Case.insurer_id == portal.insurer.id, Case.number == payload["case"]["number"]
                )
            )
        ).scalar_one()
        tasks = (
            (await conn.execute(select(Task).where(Task.case_id == case.id).order_by(Task.id)))
            .scalars()
            .all()
        )
        feed = (
            await conn.execute(
                select(FeedEntry.type, FeedEntry.actor_user_id)
                .where(FeedEntry.case_id == case.id)
                .order_by(FeedEntry.id)
            )
        ).all()
        other = (
            await conn.execute(
                select(Case.case_handler_id).where(
                    Case.insurer_id == portal.insurer.id, Case.number == named["case"]["number"]
                )
            )
        ).scalar_one()
    assert case.case_type_id is not None and case.origin.value == "staff"
    assert case.priority_id == priority_id
    assert case.case_handler_id == portal.admin.id
    assert case.deadline == case.created_at + dt.timedelta(days=10)
    assert other == portal.handler.id  # a named handler wins over the default
    assert [(t.kind.value, t.title, t.office_id) for t in tasks] == [
        ("main_inspection", "Inspect", portal.office.id),
        ("repair", "Dry out", None),
    ]
    assert tasks[0].scheduled_start == case.created_at + dt.timedelta(days=2)
    assert tasks[1].scheduled_start is None and tasks[1].description == "Dryers for a week"
    types = [t for t, _ in feed]
    assert types[0] is FeedEventType.CASE_CREATED
    assert types.count(FeedEventType.NEW_TASKS_ADDED) == 2
    assert FeedEventType.MAIN_INSPECTION_OFFICE_CHANGED in types


async def test_a_priority_of_another_portal_is_refused(client, world, engine):
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        priority = CasePriority(insurer_id=world.foreign.insurer.id, name="Theirs")
        session.add(priority)
        await session.flush()
        foreign_id = priority.id
    from tests.casetypes.conftest import CASE_TYPE_CREATE, type_input

    result = await gql(
        client, CASE_TYPE_CREATE,
        {"input": type_input(defaultPriorityId=gid("Priority", foreign_id))},
        token=world.portal.tokens["admin"],
    )  # fmt: skip

    assert _fields(result["data"]["caseTypeCreate"]) == [
        ("BAD_USER_INPUT", ["input", "defaultPriorityId"])
    ]


PRIORITY_CREATE = """mutation ($i: PriorityCreateInput!) {
  priorityCreate(input: $i) { priority { id name } errors { code field message } }
}"""
TYPE_WITH_PRIORITY = """mutation ($input: CaseTypeCreateInput!) {
  caseTypeCreate(input: $input) {
    caseType { defaultPriorityId defaultPriority { id name } }
    errors { code field message }
  }
}"""


async def test_the_default_priority_takes_the_id_priorities_gives(client, world):
    """The ids `priorityCreate`/`priorities` hand out are the ones a case type takes and
    gives back (they once spoke of a `CasePriority` type the schema does not have)."""
    admin = world.portal.tokens["admin"]
    created = await gql(client, PRIORITY_CREATE, {"i": {"name": "Urgent"}}, token=admin)
    priority = created["data"]["priorityCreate"]["priority"]

    result = await gql(
        client,
        TYPE_WITH_PRIORITY,
        {"input": {"name": "Storm", "defaultPriorityId": priority["id"]}},
        token=admin,
    )

    payload = result["data"]["caseTypeCreate"]
    assert payload["errors"] == []
    assert payload["caseType"] == {"defaultPriorityId": priority["id"], "defaultPriority": priority}

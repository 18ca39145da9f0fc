"""Defining case types: admins only, validated definitions, event-logged changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.db.casework import EventLogEntry
from tests.casetypes.conftest import CASE_TYPE_CREATE, FIELDS, type_input
from tests.factories import gid
from tests.graphql import error_codes, gql

CASE_TYPE_UPDATE = """
mutation ($input: CaseTypeUpdateInput!) {
  caseTypeUpdate(input: $input) {
    caseType { id name defaultDeadlineDays fields { key kind options } taskTemplates { title } }
    errors { code field message }
  }
}"""

CASE_TYPES = """
query { caseTypes { id name publicId fields { key } taskTemplates { kind title startAfterDays } } }
"""


async def _log(engine, insurer_id):
    async with engine.connect() as conn:
        stmt = (
            select(EventLogEntry)
            .where(EventLogEntry.insurer_id == insurer_id)
            .order_by(EventLogEntry.id)
        )
        return list((await conn.execute(stmt)).all())


@pytest.mark.parametrize("who", ["staff", "partner", "ech", "customer", "integration"])
async def test_only_company_admins_define_case_types(client, world, engine, who):
    result = await gql(
        client, CASE_TYPE_CREATE, {"input": type_input()}, token=world.portal.tokens[who]
    )

    assert error_codes(result) == ["FORBIDDEN"]
    assert await _log(engine, world.portal.insurer.id) == []


async def test_admin_defines_a_type_and_the_event_log_keeps_it(client, world, engine):
    portal = world.portal
    templates = [
        {"kind": "MAIN_INSPECTION", "title": "Inspect", "officeId": gid("Office", portal.office.id),
         "startAfterDays": 2},
    ]  # fmt: skip

    result = await gql(
        client,
        CASE_TYPE_CREATE,
        {"input": type_input(taskTemplates=templates, defaultDeadlineDays=14)},
        token=portal.tokens["admin"],
    )

    created = result["data"]["caseTypeCreate"]
    assert created["errors"] == []
    assert [f["key"] for f in created["caseType"]["fields"]] == [f["key"] for f in FIELDS]
    assert len(created["caseType"]["publicId"]) >= 20
    listed = await gql(client, CASE_TYPES, token=portal.tokens["staff"])
    assert listed["data"]["caseTypes"][0]["taskTemplates"] == [
        {"kind": "MAIN_INSPECTION", "title": "Inspect", "startAfterDays": 2}
    ]
    (entry,) = await _log(engine, portal.insurer.id)
    assert entry.action == "caseType.create"
    assert entry.actor_user_id == portal.admin.id
    assert entry.after["defaultDeadlineDays"] == 14
    assert entry.after["fields"][0]["options"] == ["Pipe", "Roof"]


BAD_DEFINITIONS = [
    ({"fields": [{"key": "Leak", "label": "x", "kind": "TEXT"}]}, ["input", "fields", "0", "key"]),
    ({"fields": [{"key": "a" * 65, "label": "x", "kind": "TEXT"}]}, ["input", "fields", "0", "key"]),
    (
        {"fields": [{"key": "a", "label": "x", "kind": "TEXT"}, {"key": "a", "label": "y", "kind": "TEXT"}]},
        ["input", "fields", "1", "key"],
    ),
    ({"fields": [{"key": "a", "label": "x", "kind": "CHOICE"}]}, ["input", "fields", "0", "options"]),
    (
        {"fields": [{"key": "a", "label": "x", "kind": "CHOICE", "options": ["A", "A"]}]},
        ["input", "fields", "0", "options"],
    ),
    (
        {"fields": [{"key": "a", "label": "x", "kind": "TEXT", "options": ["A"]}]},
        ["input", "fields", "0", "options"],
    ),
    ({"fields": [{"key": "a", "label": " ", "kind": "TEXT"}]}, ["input", "fields", "0", "label"]),
    ({"defaultDeadlineDays": -1}, ["input", "defaultDeadlineDays"]),
    ({"name": "  "}, ["input", "name"]),
    (
        {"taskTemplates": [{"kind": "REPAIR", "title": ""}]},
        ["input", "taskTemplates", "0", "title"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "field"), BAD_DEFINITIONS)
async def test_bad_definitions_are_refused_naming_the_field(
    client, world, engine, overrides, field
):
    result = await gql(
        client,
        CASE_TYPE_CREATE,
        {"input": type_input(**overrides)},
        token=world.portal.tokens["admin"],
    )

    payload = result["data"]["caseTypeCreate"]
    assert payload["caseType"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("BAD_USER_INPUT", field)]
    assert await _log(engine, world.portal.insurer.id) == []


async def test_references_must_be_of_the_portal(client, world):
    foreign = world.foreign
    given = {
        "defaultCaseHandlerId": gid("User", foreign.handler.id),
        "taskTemplates": [{"kind": "REPAIR", "title": "Dry", "officeId": gid("Office", foreign.office.id)}],
    }  # fmt: skip
    for name, value in given.items():
        result = await gql(
            client, CASE_TYPE_CREATE, {"input": type_input(**{name: value})},
            token=world.portal.tokens["admin"],
        )  # fmt: skip
        errors = result["data"]["caseTypeCreate"]["errors"]
        assert errors and errors[0]["code"] == "BAD_USER_INPUT", (name, result)
    partner_handler = {"defaultCaseHandlerId": gid("User", world.portal.partner_user.id)}
    result = await gql(
        client, CASE_TYPE_CREATE, {"input": type_input(**partner_handler)},
        token=world.portal.tokens["admin"],
    )  # fmt: skip
    assert result["data"]["caseTypeCreate"]["errors"][0]["field"] == [
        "input",
        "defaultCaseHandlerId",
    ]


async def test_names_are_unique_in_the_portal(client, world, define_type):
    await define_type()

    again = await gql(
        client, CASE_TYPE_CREATE, {"input": type_input()}, token=world.portal.tokens["admin"]
    )
    elsewhere = await gql(
        client, CASE_TYPE_CREATE, {"input": type_input()}, token=world.foreign.tokens["admin"]
    )

    assert again["data"]["caseTypeCreate"]["errors"][0]["field"] == ["input", "name"]
    assert elsewhere["data"]["caseTypeCreate"]["errors"] == []


async def test_update_replaces_lists_and_logs_before_and_after(client, world, engine, define_type):
    case_type = await define_type()
    fields = [
        {
            "key": "leakSource",
            "label": "Source",
            "kind": "CHOICE",
            "options": ["Pipe", "Roof", "Tap"],
        }
    ]

    result = await gql(
        client,
        CASE_TYPE_UPDATE,
        {"input": {"caseTypeId": case_type["id"], "fields": fields, "defaultDeadlineDays": 7,
                   "taskTemplates": [{"kind": "REPAIR", "title": "Dry out"}]}},
        token=world.portal.tokens["admin"],
    )  # fmt: skip

    updated = result["data"]["caseTypeUpdate"]
    assert updated["errors"] == []
    assert updated["caseType"]["fields"] == [
        {"key": "leakSource", "kind": "CHOICE", "options": ["Pipe", "Roof", "Tap"]}
    ]
    assert updated["caseType"]["taskTemplates"] == [{"title": "Dry out"}]
    assert updated["caseType"]["defaultDeadlineDays"] == 7
    *_, entry = await _log(engine, world.portal.insurer.id)
    assert entry.action == "caseType.update"
    assert len(entry.before["fields"]) == 4 and len(entry.after["fields"]) == 1
    assert entry.before["defaultDeadlineDays"] is None and entry.after["defaultDeadlineDays"] == 7

    cleared = await gql(
        client, CASE_TYPE_UPDATE, {"input": {"caseTypeId": case_type["id"], "defaultDeadlineDays": None}},
        token=world.portal.tokens["admin"],
    )  # fmt: skip
    assert cleared["data"]["caseTypeUpdate"]["caseType"]["defaultDeadlineDays"] is None


async def test_fields_with_values_keep_kind_options_and_existence(
    client, world, define_type, open_case
):
    case_type = await define_type()
    opened = await open_case(
        case_type["id"],
        [{"key": "leakSource", "value": "Roof"}, {"key": "meterReading", "value": "3"}],
    )
    assert opened["errors"] == []
    as_text = [dict(f, kind="TEXT") if f["key"] == "meterReading" else f for f in FIELDS]
    no_roof = [dict(f, options=["Pipe"]) if f["key"] == "leakSource" else f for f in FIELDS]
    without = [f for f in FIELDS if f["key"] != "meterReading"]
    unused_kind = [dict(f, kind="TEXT") if f["key"] == "noticedOn" else f for f in FIELDS]

    outcomes = []
    for fields in (as_text, no_roof, without, unused_kind):
        result = await gql(
            client, CASE_TYPE_UPDATE, {"input": {"caseTypeId": case_type["id"], "fields": fields}},
            token=world.portal.tokens["admin"],
        )  # fmt: skip
        outcomes.append([e["field"] for e in result["data"]["caseTypeUpdate"]["errors"]])

    assert outcomes == [
        [["input", "fields", "1", "kind"]],
        [["input", "fields", "0", "options"]],
        [["input", "fields"]],
        [],  # no case has a value for noticedOn
    ]


async def test_another_portals_type_is_not_found(client, world, define_type):
    case_type = await define_type(world.foreign)

    result = await gql(
        client, CASE_TYPE_UPDATE, {"input": {"caseTypeId": case_type["id"], "name": "Mine"}},
        token=world.portal.tokens["admin"],
    )  # fmt: skip

    assert error_codes(result) == ["NOT_FOUND"]

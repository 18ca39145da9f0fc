"""What a partner sees of other partners' tasks on a shared case, assignment emails, and
case coordinates.

On `world.portal.case`: the main inspection is at the partner's office (responsible: the
partner user), the drying at the other partner's office, the carpentry unassigned.
"""

from __future__ import annotations

import pytest

from tests.factories import gid
from tests.graphql import error_codes, gql
from tests.partners.helpers import notifications_of

TASK_FIELD = """
query ($id: ID!) { case(id: $id) { tasks { title %s } } }"""
DOCUMENTS = """
query ($id: ID!) { case(id: $id) { documents(first: 20) { nodes { title } } } }"""
ASSIGN_OFFICE = """
mutation ($input: TaskAssignOfficeInput!) {
  taskAssignOffice(input: $input) { task { status } errors { code } }
}"""
ASSIGN_RESPONSIBLE = """
mutation ($input: TaskAssignResponsibleInput!) {
  taskAssignResponsible(input: $input) { task { status } errors { code } }
}"""
CASE_CREATE = """
mutation ($input: CaseCreateInput!) {
  caseCreate(input: $input) { case { id latitude longitude } errors { code field } }
}"""
CASE_UPDATE = """
mutation ($input: CaseUpdateInput!) {
  caseUpdate(input: $input) { case { latitude longitude } errors { code field } }
}"""
CASE_COORDINATES = "query ($id: ID!) { case(id: $id) { latitude longitude } }"

OK, NO = "ok", "FORBIDDEN"
TASKS = ("Main inspection", "Drying", "Carpentry")
SHARED = ["kind", "status", "scheduledStart", "scheduledEnd", "customerMeetingAt",
          "createdAt", "office { name }"]  # fmt: skip
OWN_ONLY = ["description", "responsible { name }", "budgetEstimate"]

# role → what it sees of (main inspection, drying, carpentry) for the guarded fields
GUARDED_TABLE = {
    "staff": (OK, OK, OK),
    "integration": (OK, OK, OK),
    "partner": (OK, NO, NO),
    "other_partner": (NO, OK, NO),
    "ech": (NO, OK, NO),  # of the other office, but not this case's handler
    "partner_integration": (OK, NO, NO),  # the partner company's key: its offices
}


def outcomes(result, field):
    denied = {e["path"][2] for e in result.get("errors", []) if e["path"][-1] == field}
    assert set(error_codes(result)) <= {"FORBIDDEN"}
    return tuple(NO if i in denied else OK for i in range(len(TASKS)))


@pytest.mark.parametrize("role", GUARDED_TABLE)
@pytest.mark.parametrize("field", SHARED + OWN_ONLY)
async def test_partner_visible_task_fields(client, world, role, field):
    portal = world.portal
    query = TASK_FIELD % field
    result = await gql(
        client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens[role]
    )
    titles = [t["title"] for t in result["data"]["case"]["tasks"]]
    assert titles == list(TASKS)
    expected = GUARDED_TABLE[role] if field in OWN_ONLY else (OK, OK, OK)
    if field == "budgetEstimate" and role == "partner_integration":
        expected = (NO, NO, NO)  # task budgets: people of the office holding the task
    assert outcomes(result, field.split(" ")[0]) == expected, result.get("errors")
    for index, outcome in enumerate(expected):
        if outcome == NO:
            assert result["data"]["case"]["tasks"][index][field.split(" ")[0]] is None


async def test_the_cases_external_case_handler_sees_every_task_in_full(client, world, engine):
    portal = world.portal
    from sqlalchemy import update

    from server.db.models import Case

    async with engine.begin() as conn:  # Erik becomes the handler of the shared case
        await conn.execute(
            update(Case)
            .where(Case.id == portal.case.id)
            .values(external_case_handler_id=portal.ech.id)
        )
    query = TASK_FIELD % "description responsible { name }"
    result = await gql(
        client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens["ech"]
    )
    assert "errors" not in result
    tasks = result["data"]["case"]["tasks"]
    assert [t["description"] is None for t in tasks] == [True, True, True]  # none were given
    # Allowed, but people of other companies stay outside a partner's people scope.
    assert tasks[0]["responsible"] is None


@pytest.mark.parametrize(
    ("role", "titles"),
    [
        ("partner", ["Inspection report", "Photos"]),
        ("other_partner", ["Drying log", "Photos"]),
        ("staff", ["Drying log", "Inspection report", "Photos"]),
    ],
)
async def test_documents_of_other_partners_tasks_are_not_listed(client, world, role, titles):
    portal = world.portal
    result = await gql(
        client, DOCUMENTS, {"id": gid("Case", portal.case.id)}, token=portal.tokens[role]
    )
    nodes = result["data"]["case"]["documents"]["nodes"]
    assert sorted(n["title"] for n in nodes) == titles


async def test_assignment_emails_the_office_then_the_responsible_person(client, world, engine):
    portal = world.portal
    task_id = gid("Task", portal.ids["carpentry"])
    office = {"input": {"taskId": task_id, "officeId": gid("Office", portal.office.id)}}
    result = await gql(client, ASSIGN_OFFICE, office, token=portal.tokens["staff"])
    assert result["data"]["taskAssignOffice"]["errors"] == []
    recipients = await notifications_of(engine, portal.case.id, "task_office_assigned")
    assert recipients == [portal.partner_user.email]  # the office's only active user
    person = {"input": {"taskId": task_id, "userId": gid("User", portal.partner_user.id)}}
    result = await gql(client, ASSIGN_RESPONSIBLE, person, token=portal.tokens["partner"])
    assert result["data"]["taskAssignResponsible"]["errors"] == []
    recipients = await notifications_of(engine, portal.case.id, "task_responsible_assigned")
    assert recipients == [portal.partner_user.email]


def new_case(portal, **extra):
    return {
        "input": {
            "damageType": "WATER",
            "street": "Jernbanetorget 1",
            "postalCode": "0154",
            "city": "Oslo",
            "caseHandlerId": gid("User", portal.handler.id),
            "contacts": [{"role": "POLICYHOLDER", "name": "Nina Nilsen"}],
            **extra,
        }
    }


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"latitude": 59.9111, "longitude": 10.7528}, (59.9111, 10.7528)),
        ({}, (None, None)),
        ({"latitude": 59.9}, "BAD_USER_INPUT"),
        ({"latitude": -90.5, "longitude": 10.0}, "BAD_USER_INPUT"),
        ({"latitude": 59.9, "longitude": 180.5}, "BAD_USER_INPUT"),
    ],
)
async def test_case_create_takes_coordinates(client, world, extra, expected):
    portal = world.portal
    result = await gql(client, CASE_CREATE, new_case(portal, **extra), token=portal.tokens["staff"])
    payload = result["data"]["caseCreate"]
    if isinstance(expected, str):
        assert [e["code"] for e in payload["errors"]] == [expected]
    else:
        assert (payload["case"]["latitude"], payload["case"]["longitude"]) == expected


async def test_case_update_coordinates_and_who_reads_them(client, world):
    portal = world.portal
    case_id = gid("Case", portal.case.id)
    update = {"input": {"caseId": case_id, "latitude": 60.3913, "longitude": 5.3221}}
    result = await gql(client, CASE_UPDATE, update, token=portal.tokens["staff"])
    assert result["data"]["caseUpdate"]["case"] == {"latitude": 60.3913, "longitude": 5.3221}
    bad = {"input": {"caseId": case_id, "longitude": 5.3}}
    result = await gql(client, CASE_UPDATE, bad, token=portal.tokens["staff"])
    assert result["data"]["caseUpdate"]["errors"][0]["code"] == "BAD_USER_INPUT"
    partner = await gql(client, CASE_COORDINATES, {"id": case_id}, token=portal.tokens["partner"])
    assert partner["data"]["case"] == {"latitude": 60.3913, "longitude": 5.3221}
    customer = await gql(client, CASE_COORDINATES, {"id": case_id}, token=portal.tokens["customer"])
    assert set(error_codes(customer)) == {"FORBIDDEN"}

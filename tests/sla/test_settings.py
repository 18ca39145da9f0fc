"""Admins define workflow statuses and priorities: admin-only, event-logged, validated
(BAD_USER_INPUT naming the field), one default at a time; the portal's people read them
by position, customers never."""

from __future__ import annotations

import asyncio

import pytest

from permissions.principal import Principal, Role
from resolvers.services import sla_settings
from server.db.engine import make_session_factory
from server.errors import AppError, ErrorCode
from tests.factories import gid
from tests.graphql import error_codes, gql
from tests.sla.helpers import add_priority, add_status, event_log

STATUS_CREATE = """
mutation ($input: WorkflowStatusCreateInput!) {
  workflowStatusCreate(input: $input) {
    status { id name color position visibleToCustomer customerLabel pausesSla isDefault active }
    errors { code field message }
  }
}"""
STATUS_UPDATE = """
mutation ($input: WorkflowStatusUpdateInput!) {
  workflowStatusUpdate(input: $input) {
    status { id name color customerLabel isDefault active }
    errors { code field message }
  }
}"""
PRIORITY_CREATE = """
mutation ($input: PriorityCreateInput!) {
  priorityCreate(input: $input) {
    priority { id name position firstResponseMinutes resolutionMinutes atRiskPercent isDefault }
    errors { code field message }
  }
}"""
PRIORITY_UPDATE = """
mutation ($input: PriorityUpdateInput!) {
  priorityUpdate(input: $input) {
    priority { id name firstResponseMinutes resolutionMinutes atRiskPercent isDefault active }
    errors { code field message }
  }
}"""
STATUSES = """
query ($all: Boolean!) { workflowStatuses(includeInactive: $all) { name position active } }"""
PRIORITIES = "query { priorities { name position firstResponseMinutes } }"


async def test_admin_defines_a_status_and_the_event_log_has_it(client, world, engine):
    # Given an admin
    portal = world.portal
    # When they define a status
    result = await gql(
        client,
        STATUS_CREATE,
        {
            "input": {
                "name": "Waiting for customer",
                "color": "#aa3300",
                "visibleToCustomer": True,
                "customerLabel": "Waiting for you",
                "pausesSla": True,
            }
        },
        token=portal.tokens["admin"],
    )
    # Then it exists as given (colour normalised to upper case)
    payload = result["data"]["workflowStatusCreate"]
    assert payload["errors"] == []
    status = payload["status"]
    assert status["color"] == "#AA3300"
    assert status["pausesSla"] is True
    # And the event log says who did what
    (entry,) = await event_log(engine, portal.insurer.id)
    assert entry.action == "workflowStatus.create"
    assert entry.subject_type == "WorkflowStatus"
    assert entry.actor_user_id == portal.admin.id
    assert entry.before is None
    assert entry.after["name"] == "Waiting for customer"
    assert entry.after["pauses_sla"] is True

    # When they rename it
    result = await gql(
        client,
        STATUS_UPDATE,
        {"input": {"statusId": status["id"], "name": "Waiting on customer"}},
        token=portal.tokens["admin"],
    )
    assert result["data"]["workflowStatusUpdate"]["errors"] == []
    # Then the log has before and after
    update = (await event_log(engine, portal.insurer.id))[-1]
    assert update.action == "workflowStatus.update"
    assert update.before["name"] == "Waiting for customer"
    assert update.after["name"] == "Waiting on customer"


@pytest.mark.parametrize("who", ["staff", "partner", "ech", "customer", "integration"])
async def test_only_admins_configure(client, world, engine, who):
    portal = world.portal
    status_id = await add_status(engine, portal.insurer.id, "Existing")
    priority_id = await add_priority(engine, portal.insurer.id, "Existing")
    attempts = [
        (STATUS_CREATE, {"input": {"name": "X", "color": "#000000"}}),
        (STATUS_UPDATE, {"input": {"statusId": gid("WorkflowStatus", status_id), "name": "Y"}}),
        (PRIORITY_CREATE, {"input": {"name": "X"}}),
        (PRIORITY_UPDATE, {"input": {"priorityId": gid("Priority", priority_id), "name": "Y"}}),
    ]
    for document, variables in attempts:
        result = await gql(client, document, variables, token=portal.tokens[who])
        assert error_codes(result) == ["FORBIDDEN"], result
    assert await event_log(engine, portal.insurer.id) == []


@pytest.mark.parametrize(
    ("document", "given", "field"),
    [
        (STATUS_CREATE, {"name": "A", "color": "red"}, "color"),
        (STATUS_CREATE, {"name": "A", "color": "#12345"}, "color"),
        (STATUS_CREATE, {"name": "A", "color": "#12345G"}, "color"),
        (STATUS_CREATE, {"name": "A", "color": "#1234567"}, "color"),
        (STATUS_CREATE, {"name": " ", "color": "#123456"}, "name"),
        (STATUS_CREATE, {"name": "A", "color": "#123456", "position": -1}, "position"),
        (
            STATUS_CREATE,
            {"name": "A", "color": "#123456", "visibleToCustomer": True},
            "customerLabel",
        ),
        (
            STATUS_CREATE,
            {"name": "A", "color": "#123456", "isDefault": True, "active": False},
            "active",
        ),
        (PRIORITY_CREATE, {"name": "P", "firstResponseMinutes": 0}, "firstResponseMinutes"),
        (PRIORITY_CREATE, {"name": "P", "resolutionMinutes": -5}, "resolutionMinutes"),
        (PRIORITY_CREATE, {"name": "P", "atRiskPercent": 0}, "atRiskPercent"),
        (PRIORITY_CREATE, {"name": "P", "atRiskPercent": 101}, "atRiskPercent"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    client, world, engine, document, given, field
):
    portal = world.portal
    result = await gql(client, document, {"input": given}, token=portal.tokens["admin"])
    (payload,) = result["data"].values()
    assert payload["errors"][0]["code"] == "BAD_USER_INPUT"
    assert payload["errors"][0]["field"] == ["input", field]
    assert await event_log(engine, portal.insurer.id) == []


async def test_update_validates_colour_and_duplicate_names(client, world, engine):
    portal = world.portal
    await add_status(engine, portal.insurer.id, "Taken")
    status_id = gid("WorkflowStatus", await add_status(engine, portal.insurer.id, "Mine"))
    for change, field in (({"color": "#GGGGGG"}, "color"), ({"name": "Taken"}, "name")):
        result = await gql(
            client,
            STATUS_UPDATE,
            {"input": {"statusId": status_id, **change}},
            token=portal.tokens["admin"],
        )
        errors = result["data"]["workflowStatusUpdate"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("BAD_USER_INPUT", ["input", field])]


async def test_one_default_at_a_time(client, world, engine):
    portal = world.portal
    token = portal.tokens["admin"]
    first = await gql(
        client, PRIORITY_CREATE, {"input": {"name": "Normal", "isDefault": True}}, token=token
    )
    second = await gql(
        client, PRIORITY_CREATE, {"input": {"name": "High", "isDefault": True}}, token=token
    )
    assert second["data"]["priorityCreate"]["priority"]["isDefault"] is True
    result = await gql(
        client, "query { priorities { name isDefault } }", token=portal.tokens["staff"]
    )
    defaults = [p["name"] for p in result["data"]["priorities"] if p["isDefault"]]
    assert defaults == ["High"]
    # The log has the priority that stopped being the default, too.
    normal_id = first["data"]["priorityCreate"]["priority"]["id"]
    demoted = [
        e
        for e in await event_log(engine, portal.insurer.id)
        if e.action == "priority.update" and gid("Priority", int(e.subject_id)) == normal_id
    ]
    assert [(e.before, e.after) for e in demoted] == [({"is_default": True}, {"is_default": False})]


async def test_priority_update_clears_a_target_with_null_and_keeps_omitted(client, world, engine):
    portal = world.portal
    priority_id = await add_priority(
        engine, portal.insurer.id, "P", first_response_minutes=30, resolution_minutes=600
    )
    result = await gql(
        client,
        PRIORITY_UPDATE,
        {"input": {"priorityId": gid("Priority", priority_id), "firstResponseMinutes": None}},
        token=portal.tokens["admin"],
    )
    priority = result["data"]["priorityUpdate"]["priority"]
    assert priority["firstResponseMinutes"] is None
    assert priority["resolutionMinutes"] == 600
    (entry,) = await event_log(engine, portal.insurer.id)
    assert (entry.before["first_response_minutes"], entry.after["first_response_minutes"]) == (
        30,
        None,
    )


async def test_other_portals_rows_are_not_found(client, world, engine):
    foreign_status = await add_status(engine, world.foreign.insurer.id, "Theirs")
    result = await gql(
        client,
        STATUS_UPDATE,
        {"input": {"statusId": gid("WorkflowStatus", foreign_status), "name": "Mine now"}},
        token=world.portal.tokens["admin"],
    )
    assert error_codes(result) == ["NOT_FOUND"]


@pytest.mark.parametrize("who", ["staff", "partner", "ech", "integration", "partner_integration"])
async def test_the_portals_people_read_them_by_position(client, world, engine, who):
    portal = world.portal
    await add_status(engine, portal.insurer.id, "Third", position=3)
    await add_status(engine, portal.insurer.id, "First", position=1)
    await add_status(engine, portal.insurer.id, "Retired", position=2, active=False)
    await add_status(engine, world.foreign.insurer.id, "Foreign", position=0)
    await add_priority(engine, portal.insurer.id, "High", position=2)
    await add_priority(engine, portal.insurer.id, "Normal", position=1)
    result = await gql(client, STATUSES, {"all": False}, token=portal.tokens[who])
    assert [s["name"] for s in result["data"]["workflowStatuses"]] == ["First", "Third"]
    result = await gql(client, STATUSES, {"all": True}, token=portal.tokens[who])
    assert [s["name"] for s in result["data"]["workflowStatuses"]] == ["First", "Retired", "Third"]
    result = await gql(client, PRIORITIES, token=portal.tokens[who])
    assert [p["name"] for p in result["data"]["priorities"]] == ["Normal", "High"]


async def test_customers_do_not_read_the_configuration(client, world, engine):
    portal = world.portal
    await add_status(engine, portal.insurer.id, "Internal name")
    for document, variables in ((STATUSES, {"all": True}), (PRIORITIES, None)):
        result = await gql(client, document, variables, token=portal.tokens["customer"])
        assert error_codes(result) == ["FORBIDDEN"]
        assert "Internal name" not in str(result)


@pytest.mark.parametrize(
    ("create", "data"),
    [
        ("create_status", lambda: sla_settings.StatusData(name="Dup", color="#112233")),
        ("create_priority", lambda: sla_settings.PriorityData(name="Dup")),
    ],
)
async def test_two_admins_creating_the_same_name_at_once_get_bad_input_not_a_500(
    world, engine, create, data
):
    # given two admins' transactions at once
    portal = world.portal
    admin = Principal(
        role=Role.STAFF, insurer_id=portal.insurer.id, user_id=portal.admin.id,
        company_id=portal.insurer.id, authority_level=6,
    )  # fmt: skip
    factory = make_session_factory(engine)
    service = getattr(sla_settings, create)

    async def second() -> None:
        async with factory() as session, session.begin():
            await service(session=session, actor=admin, data=data())

    # when the first has created "Dup" (not yet committed) and the second creates it too
    async with factory() as session:
        async with session.begin():
            await service(session=session, actor=admin, data=data())
            racing = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            # then the second waits for the first
            assert not racing.done()
        # and once the first commits, the second is told the name is taken (BAD_USER_INPUT
        # on `name`), not a unique-index violation (a 500)
        with pytest.raises(AppError) as refused:
            await racing
    assert (refused.value.code, refused.value.extensions) == (
        ErrorCode.BAD_USER_INPUT,
        {"field": "name"},
    )

"""A case's workflow status and priority: who sets them, what the feed says, how the SLA
clock pauses and resumes, what new cases start with, and that a customer never sees an
internal status name (a table: role x status visibility)."""

from __future__ import annotations

import datetime as dt

import pytest

from schema.node import decode_global_id
from tests.factories import gid
from tests.graphql import error_codes, gql
from tests.sla.helpers import add_priority, add_status, case_row, feed_types, set_case

SET_STATUS = """
mutation ($input: CaseSetWorkflowStatusInput!) {
  caseSetWorkflowStatus(input: $input) {
    case { id workflowStatus { name } sla { state paused } }
    errors { code field message }
  }
}"""
SET_PRIORITY = """
mutation ($input: CaseSetPriorityInput!) {
  caseSetPriority(input: $input) {
    case { id priority { name } sla { state firstResponse { state dueAt } } }
    errors { code field message }
  }
}"""
CASE_STATUS = """
query ($id: ID!) { case(id: $id) { customerStatusLabel workflowStatus { name color } } }"""
CUSTOMER_LABEL = "query ($id: ID!) { case(id: $id) { customerStatusLabel } }"
CASE_CREATE = """
mutation ($input: CaseCreateInput!) {
  caseCreate(input: $input) {
    case { id workflowStatus { name } priority { name } sla { state } }
    errors { code field message }
  }
}"""
MESSAGE_SEND = """
mutation ($input: MessageSendInput!) { messageSend(input: $input) { errors { code message } } }"""


def _move(portal, status_id, case=None):
    case = case or portal.case
    return {"input": {"caseId": gid("Case", case.id), "statusId": gid("WorkflowStatus", status_id)}}


async def test_staff_move_a_case_and_the_feed_says_so(client, world, engine):
    portal = world.portal
    new = await add_status(engine, portal.insurer.id, "New")
    review = await add_status(engine, portal.insurer.id, "In review")
    await set_case(engine, portal.case.id, workflow_status_id=new)
    result = await gql(client, SET_STATUS, _move(portal, review), token=portal.tokens["staff"])
    payload = result["data"]["caseSetWorkflowStatus"]
    assert payload["errors"] == []
    assert payload["case"]["workflowStatus"] == {"name": "In review"}
    kind, details = (await feed_types(engine, portal.case.id))[-1]
    assert kind == "workflow_status_changed"
    assert details["from"] == {"id": new, "name": "New"}
    assert details["to"] == {"id": review, "name": "In review"}
    # The same status again changes nothing and writes no entry.
    before = len(await feed_types(engine, portal.case.id))
    await gql(client, SET_STATUS, _move(portal, review), token=portal.tokens["staff"])
    assert len(await feed_types(engine, portal.case.id)) == before


async def test_insurer_api_key_with_cases_write_may_others_may_not(client, world, engine):
    portal = world.portal
    status = await add_status(engine, portal.insurer.id, "Doing")
    priority = await add_priority(engine, portal.insurer.id, "High")
    set_priority = {
        "input": {"caseId": gid("Case", portal.case.id), "priorityId": gid("Priority", priority)}
    }
    for who in ("integration",):
        result = await gql(client, SET_STATUS, _move(portal, status), token=portal.tokens[who])
        assert result["data"]["caseSetWorkflowStatus"]["errors"] == []
        result = await gql(client, SET_PRIORITY, set_priority, token=portal.tokens[who])
        assert result["data"]["caseSetPriority"]["errors"] == []
    for who in ("partner", "ech", "customer", "integration_readonly", "partner_integration"):
        result = await gql(client, SET_STATUS, _move(portal, status), token=portal.tokens[who])
        assert error_codes(result) in (["FORBIDDEN"], ["NOT_FOUND"]), (who, result)
        result = await gql(client, SET_PRIORITY, set_priority, token=portal.tokens[who])
        assert error_codes(result) in (["FORBIDDEN"], ["NOT_FOUND"]), (who, result)


async def test_foreign_and_inactive_statuses_are_refused(client, world, engine):
    portal = world.portal
    foreign = await add_status(engine, world.foreign.insurer.id, "Theirs")
    retired = await add_status(engine, portal.insurer.id, "Retired", active=False)
    for status in (foreign, retired):
        result = await gql(client, SET_STATUS, _move(portal, status), token=portal.tokens["staff"])
        errors = result["data"]["caseSetWorkflowStatus"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [
            ("BAD_USER_INPUT", ["input", "statusId"])
        ]


async def test_a_pausing_status_stops_the_clock_and_leaving_it_adds_the_pause(
    client, world, engine
):
    portal = world.portal
    working = await add_status(engine, portal.insurer.id, "Working")
    waiting = await add_status(engine, portal.insurer.id, "Waiting for customer", pauses_sla=True)
    priority = await add_priority(engine, portal.insurer.id, "Normal", first_response_minutes=60)
    await set_case(engine, portal.case.id, workflow_status_id=working, priority_id=priority)
    token = portal.tokens["staff"]

    result = await gql(client, SET_STATUS, _move(portal, waiting), token=token)
    assert result["data"]["caseSetWorkflowStatus"]["case"]["sla"] == {
        "state": "PAUSED",
        "paused": True,
    }
    row = await case_row(engine, portal.case.id)
    assert row.sla_paused_since is not None
    # Pretend the pause began 90 seconds ago.
    await set_case(
        engine, portal.case.id, sla_paused_since=row.sla_paused_since - dt.timedelta(seconds=90)
    )
    result = await gql(client, SET_STATUS, _move(portal, working), token=token)
    assert result["data"]["caseSetWorkflowStatus"]["case"]["sla"]["paused"] is False
    row = await case_row(engine, portal.case.id)
    assert row.sla_paused_since is None
    assert 90 <= row.sla_paused_seconds <= 95


async def test_a_new_case_starts_in_the_default_status_and_priority(client, world, engine):
    portal = world.portal
    await add_status(engine, portal.insurer.id, "Other")
    await add_status(engine, portal.insurer.id, "New", is_default=True)
    await add_priority(engine, portal.insurer.id, "Normal", is_default=True, resolution_minutes=600)
    new_case = {
        "damageType": "WATER",
        "street": "Storgata 1",
        "postalCode": "0155",
        "city": "Oslo",
        "contacts": [{"role": "POLICYHOLDER", "name": "Nina Nilsen"}],
    }
    result = await gql(client, CASE_CREATE, {"input": new_case}, token=portal.tokens["staff"])
    case = result["data"]["caseCreate"]["case"]
    assert case["workflowStatus"] == {"name": "New"}
    assert case["priority"] == {"name": "Normal"}
    assert case["sla"] == {"state": "ON_TRACK"}


async def test_the_first_message_to_the_customer_is_the_first_response(client, world, engine):
    portal = world.portal
    case = portal.lonely_case
    send = {"input": {"caseId": gid("Case", case.id), "body": "We are on it."}}
    result = await gql(client, MESSAGE_SEND, send, token=portal.tokens["staff"])
    assert result["data"]["messageSend"]["errors"] == []
    first = (await case_row(engine, case.id)).first_response_at
    assert first is not None
    await gql(client, MESSAGE_SEND, send, token=portal.tokens["staff"])
    assert (await case_row(engine, case.id)).first_response_at == first


async def test_a_late_first_response_records_its_breach_at_once(client, world, engine):
    portal = world.portal
    case = portal.lonely_case
    priority = await add_priority(engine, portal.insurer.id, "Fast", first_response_minutes=5)
    created = (await case_row(engine, case.id)).created_at - dt.timedelta(minutes=10)
    await set_case(engine, case.id, priority_id=priority, created_at=created)
    send = {"input": {"caseId": gid("Case", case.id), "body": "Sorry for the wait."}}
    await gql(client, MESSAGE_SEND, send, token=portal.tokens["staff"])
    row = await case_row(engine, case.id)
    assert row.first_response_breached_at == created + dt.timedelta(minutes=5)
    breaches = [p for t, p in await feed_types(engine, case.id) if t == "sla_breached"]
    assert breaches == [
        {"target": "firstResponse", "dueAt": row.first_response_breached_at.isoformat()}
    ]


async def test_changing_priority_lets_the_new_targets_decide(client, world, engine):
    portal = world.portal
    fast = await add_priority(engine, portal.insurer.id, "Fast", first_response_minutes=5)
    slow = await add_priority(engine, portal.insurer.id, "Slow", first_response_minutes=600)
    created = (await case_row(engine, portal.lonely_case.id)).created_at - dt.timedelta(minutes=10)
    await set_case(
        engine,
        portal.lonely_case.id,
        priority_id=fast,
        created_at=created,
        first_response_breached_at=created + dt.timedelta(minutes=5),
    )
    variables = {
        "input": {"caseId": gid("Case", portal.lonely_case.id), "priorityId": gid("Priority", slow)}
    }
    result = await gql(client, SET_PRIORITY, variables, token=portal.tokens["staff"])
    case = result["data"]["caseSetPriority"]["case"]
    assert case["priority"] == {"name": "Slow"}
    assert case["sla"]["state"] == "ON_TRACK"
    kind, details = (await feed_types(engine, portal.lonely_case.id))[-1]
    assert kind == "priority_changed"
    assert (details["from"]["name"], details["to"]["name"]) == ("Fast", "Slow")


async def test_closed_cases_keep_their_status(client, world, engine):
    portal = world.portal
    status = await add_status(engine, portal.insurer.id, "Any")
    await set_case(engine, portal.case.id, status="closed", closed_at=dt.datetime.now(dt.UTC))
    result = await gql(client, SET_STATUS, _move(portal, status), token=portal.tokens["staff"])
    assert result["data"]["caseSetWorkflowStatus"]["errors"][0]["code"] == "CONFLICT"


# What each reader sees of the case's status: (visible_to_customer, customer_label).
VISIBILITY = [
    (False, None),
    (False, "Being handled"),  # a label alone does not show the status
    (True, "Being handled"),
]


@pytest.mark.parametrize(("visible", "label"), VISIBILITY)
@pytest.mark.parametrize("who", ["staff", "partner", "ech", "integration", "customer"])
async def test_who_sees_what_of_the_workflow_status(client, world, engine, who, visible, label):
    portal = world.portal
    status = await add_status(
        engine,
        portal.insurer.id,
        "Internal: fraud check",
        color="#FF0000",
        visible_to_customer=visible,
        customer_label=label,
    )
    await set_case(engine, portal.case.id, workflow_status_id=status)
    shown = label if visible else None
    case_id = gid("Case", portal.case.id)
    if who == "customer":
        result = await gql(client, CASE_STATUS, {"id": case_id}, token=portal.tokens[who])
        assert error_codes(result) == ["FORBIDDEN"]
        assert "fraud" not in str(result) and "FF0000" not in str(result)
        result = await gql(client, CUSTOMER_LABEL, {"id": case_id}, token=portal.tokens[who])
        assert result["data"] == {"case": {"customerStatusLabel": shown}}
        assert "errors" not in result
        page = await gql(
            client,
            "query { viewer { case { customerStatusLabel } } }",
            token=portal.tokens[who],
        )
        assert "fraud" not in str(page)
    else:
        result = await gql(client, CASE_STATUS, {"id": case_id}, token=portal.tokens[who])
        assert "errors" not in result, result
        assert result["data"]["case"] == {
            "customerStatusLabel": shown,
            "workflowStatus": {"name": "Internal: fraud check", "color": "#FF0000"},
        }


async def test_several_internal_statuses_share_one_customer_label(client, world, engine):
    portal = world.portal
    labels = set()
    for name in ("Waiting for quote", "Waiting for expert"):
        status = await add_status(
            engine, portal.insurer.id, name, visible_to_customer=True, customer_label="In progress"
        )
        await set_case(engine, portal.case.id, workflow_status_id=status)
        result = await gql(
            client,
            CUSTOMER_LABEL,
            {"id": gid("Case", portal.case.id)},
            token=portal.tokens["customer"],
        )
        labels.add(result["data"]["case"]["customerStatusLabel"])
    assert labels == {"In progress"}


async def test_customers_see_no_sla_or_priority(client, world, engine):
    portal = world.portal
    priority = await add_priority(engine, portal.insurer.id, "VIP", resolution_minutes=60)
    await set_case(engine, portal.case.id, priority_id=priority)
    for field in ("priority { name }", "sla { state }"):
        result = await gql(
            client,
            "query ($id: ID!) { case(id: $id) { " + field + " } }",
            {"id": gid("Case", portal.case.id)},
            token=portal.tokens["customer"],
        )
        assert error_codes(result) == ["FORBIDDEN"]
        assert "VIP" not in str(result)


def test_decode_helper_is_consistent():
    assert decode_global_id(gid("WorkflowStatus", 7)) == ("WorkflowStatus", 7)

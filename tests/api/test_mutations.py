"""Every mutation writes its feed entry in the same transaction; every bad input is a
clear error that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.db_state import latest_feed, portal_fingerprint
from tests.factories import Portal, gid
from tests.graphql import error_codes, gql

CASE_CREATE = """
mutation ($input: CaseCreateInput!) {
  caseCreate(input: $input) { case { id number status } errors { code field message } }
}"""
CASE_UPDATE = """
mutation ($input: CaseUpdateInput!) {
  caseUpdate(input: $input) { case { id city } errors { code field message } }
}"""
CASE_STATUS = """
mutation ($input: CaseStatusInput!) {
  %s(input: $input) { case { id status } errors { code field message } }
}"""
CASE_DECISION = """
mutation ($input: CaseCompensationDecisionInput!) {
  caseSetCompensationDecision(input: $input) { case { id compensationDecision } errors { code field message } }
}"""
TASK_ADD = """
mutation ($input: TaskAddInput!) {
  taskAdd(input: $input) { task { id title status } errors { code field message } }
}"""
TASK_ONE = """
mutation ($input: TaskInput!) {
  %s(input: $input) { task { id status } errors { code field message } }
}"""
TASK_REMOVE = """
mutation ($input: TaskInput!) {
  taskRemove(input: $input) { case { id tasks { id } } errors { code field message } }
}"""
TASK_ASSIGN_OFFICE = """
mutation ($input: TaskAssignOfficeInput!) {
  taskAssignOffice(input: $input) { task { id office { name } responsible { name } } errors { code field message } }
}"""
TASK_ASSIGN_RESPONSIBLE = """
mutation ($input: TaskAssignResponsibleInput!) {
  taskAssignResponsible(input: $input) { task { id status responsible { name } } errors { code field message } }
}"""
TASK_SCHEDULE = """
mutation ($input: TaskScheduleInput!) {
  taskSetSchedule(input: $input) { task { id scheduledStart scheduledEnd } errors { code field message } }
}"""
TASK_MEETING = """
mutation ($input: TaskCustomerMeetingInput!) {
  taskSetCustomerMeeting(input: $input) { task { id customerMeetingAt } errors { code field message } }
}"""
DOCUMENT_SHARE = """
mutation ($input: DocumentShareInput!) {
  documentShare(input: $input) { documents { id sharedWithCustomer } errors { code field message } }
}"""
MESSAGE_SEND = """
mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id body direction } errors { code field message } }
}"""
COMMENT_ADD = """
mutation ($input: CommentAddInput!) {
  commentAdd(input: $input) { comment { id body } errors { code field message } }
}"""
MARK_READ = """
mutation ($input: CaseInput!) {
  messagesMarkRead(input: $input) { marked case { unreadMessageCount } errors { code field message } }
}"""


def new_case_input(portal: Portal) -> dict[str, Any]:
    return {
        "damageType": "WATER",
        "street": "Storgata 1",
        "postalCode": "0155",
        "city": "Oslo",
        "claimNumber": "CL-9",
        "caseHandlerId": gid("User", portal.handler.id),
        "contacts": [{"role": "POLICYHOLDER", "name": "Nina Nilsen", "phone": "+4790000000"}],
    }


def case_id(portal: Portal) -> str:
    return gid("Case", portal.case.id)


def task(portal: Portal, name: str) -> str:
    return gid("Task", portal.ids[name])


# name → (role, document, variables(portal), expected feed type on portal.case or None)
HAPPY: dict[str, tuple[str, str, Any, str | None]] = {
    "caseUpdate": (
        "staff",
        CASE_UPDATE,
        lambda p: {"input": {"caseId": case_id(p), "city": "Bergen"}},
        "case_updated",
    ),
    "casePutOnHold": (
        "staff",
        CASE_STATUS % "casePutOnHold",
        lambda p: {"input": {"caseId": case_id(p), "reason": "Awaiting"}},
        "case_put_on_hold",
    ),
    "caseClose": (
        "staff",
        CASE_STATUS % "caseClose",
        lambda p: {"input": {"caseId": case_id(p)}},
        "case_closed",
    ),
    "caseSetCompensationDecision": (
        "staff",
        CASE_DECISION,
        lambda p: {"input": {"caseId": case_id(p), "decision": "ACCEPTED"}},
        "compensation_decision",
    ),
    "taskAdd": (
        "staff",
        TASK_ADD,
        lambda p: {"input": {"caseId": case_id(p), "kind": "REPAIR", "title": "Carpentry"}},
        "new_tasks_added",
    ),
    "taskRemove": (
        "staff",
        TASK_REMOVE,
        lambda p: {"input": {"taskId": task(p, "carpentry")}},
        "task_removed",
    ),
    "taskAssignOffice": (
        "staff",
        TASK_ASSIGN_OFFICE,
        lambda p: {"input": {"taskId": task(p, "repair"), "officeId": gid("Office", p.office.id)}},
        "repair_task_office_changed",
    ),
    "taskAssignResponsible": (
        "other_partner",
        TASK_ASSIGN_RESPONSIBLE,
        lambda p: {
            "input": {"taskId": task(p, "repair"), "userId": gid("User", p.other_partner_user.id)}
        },
        "repair_task_responsible_changed",
    ),
    "taskStart": (
        "partner",
        TASK_ONE % "taskStart",
        lambda p: {"input": {"taskId": task(p, "inspection")}},
        "main_inspection_started",
    ),
    "taskSetSchedule": (
        "other_partner",
        TASK_SCHEDULE,
        lambda p: {
            "input": {
                "taskId": task(p, "repair"),
                "start": "2026-12-01T08:00:00+01:00",
                "end": "2026-12-05T16:00:00+01:00",
            }
        },
        "repair_task_schedule_changed",
    ),
    "taskSetCustomerMeeting": (
        "partner",
        TASK_MEETING,
        lambda p: {"input": {"taskId": task(p, "inspection"), "at": "2026-12-02T09:00:00+01:00"}},
        "customer_meeting_time_changed",
    ),
    "documentShare": (
        "staff",
        DOCUMENT_SHARE,
        lambda p: {"input": {"documentIds": [gid("Document", p.ids["docs"][1])], "shared": True}},
        "document_shared",
    ),
    "documentUnshare": (
        "staff",
        DOCUMENT_SHARE,
        lambda p: {"input": {"documentIds": [gid("Document", p.ids["docs"][0])], "shared": False}},
        "document_sharing_revoked",
    ),
    "messageSend (staff)": (
        "staff",
        MESSAGE_SEND,
        lambda p: {"input": {"caseId": case_id(p), "body": "Hello"}},
        "communication_to_customer",
    ),
    "messageSend (customer)": (
        "customer",
        MESSAGE_SEND,
        lambda p: {"input": {"caseId": case_id(p), "body": "Hi!"}},
        "message_from_customer",
    ),
    "commentAdd": (
        "partner",
        COMMENT_ADD,
        lambda p: {"input": {"caseId": case_id(p), "body": "Moisture 40%"}},
        "comment_added",
    ),
}


@pytest.mark.parametrize("name", HAPPY)
async def test_mutation_writes_its_feed_entry(client, world, engine, name):
    portal = world.portal
    role, document, variables, feed_type = HAPPY[name]
    result = await gql(client, document, variables(portal), token=portal.tokens[role])
    assert "errors" not in result, result
    payload = next(iter(result["data"].values()))
    assert payload["errors"] == [], payload
    entry_type, actor, _ = await latest_feed(engine, portal.case.id)
    assert entry_type == feed_type
    actor_by_role = {
        "staff": portal.handler.id,
        "partner": portal.partner_user.id,
        "other_partner": portal.other_partner_user.id,
        "customer": None,
    }
    assert actor == actor_by_role[role]


async def test_case_create_opens_a_case_with_its_feed_entry(client, world, engine):
    portal = world.portal
    result = await gql(
        client, CASE_CREATE, {"input": new_case_input(portal)}, token=portal.tokens["staff"]
    )
    payload = result["data"]["caseCreate"]
    assert payload["errors"] == []
    assert payload["case"]["status"] == "OPEN"
    from schema.node import decode_global_id

    _, new_id = decode_global_id(payload["case"]["id"])
    assert (await latest_feed(engine, new_id))[0] == "case_created"


async def test_task_lifecycle_start_complete_approve(client, world, engine):
    portal = world.portal
    variables = {"input": {"taskId": task(portal, "inspection")}}
    steps = [
        ("taskStart", "partner", "STARTED", "main_inspection_started"),
        ("taskComplete", "partner", "COMPLETED", "main_inspection_completed"),
        ("taskApprove", "staff", "APPROVED", "task_approved"),
    ]
    for mutation, role, status, feed_type in steps:
        result = await gql(client, TASK_ONE % mutation, variables, token=portal.tokens[role])
        payload = result["data"][mutation]
        assert payload["errors"] == [], payload
        assert payload["task"]["status"] == status
        assert (await latest_feed(engine, portal.case.id))[0] == feed_type


async def test_reopen_after_close(client, world, engine):
    portal = world.portal
    variables = {"input": {"caseId": case_id(portal), "reason": "New damage found"}}
    await gql(client, CASE_STATUS % "caseClose", variables, token=portal.tokens["staff"])
    result = await gql(client, CASE_STATUS % "caseReopen", variables, token=portal.tokens["staff"])
    assert result["data"]["caseReopen"]["case"]["status"] == "OPEN"
    entry_type, _, payload = await latest_feed(engine, portal.case.id)
    assert entry_type == "case_reopened" and payload["reason"] == "New damage found"


async def test_mark_read_changes_read_state_without_feed_entry(client, world, engine):
    portal = world.portal
    before = await latest_feed(engine, portal.case.id)
    result = await gql(
        client, MARK_READ, {"input": {"caseId": case_id(portal)}}, token=portal.tokens["staff"]
    )
    payload = result["data"]["messagesMarkRead"]
    assert payload == {"marked": 1, "case": {"unreadMessageCount": 0}, "errors": []}
    assert await latest_feed(engine, portal.case.id) == before


# (name, role, document, variables(portal), expected) — expected is a user error code
# ("user:CODE") or a GraphQL error code ("gql:CODE").
BAD: list[tuple[str, str, str, Any, str]] = [
    (
        "create: empty street",
        "staff",
        CASE_CREATE,
        lambda p: {"input": {**new_case_input(p), "street": "   "}},
        "user:BAD_USER_INPUT",
    ),
    (
        "create: no policyholder",
        "staff",
        CASE_CREATE,
        lambda p: {"input": {**new_case_input(p), "contacts": []}},
        "user:BAD_USER_INPUT",
    ),
    (
        "create: unknown damage type",
        "staff",
        CASE_CREATE,
        lambda p: {"input": {**new_case_input(p), "damageType": "LAVA"}},
        "gql:GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "create: budget is a string",
        "staff",
        CASE_CREATE,
        lambda p: {"input": {**new_case_input(p), "budget": "lots"}},
        "gql:GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "create: negative budget",
        "staff",
        CASE_CREATE,
        lambda p: {"input": {**new_case_input(p), "budget": "-5"}},
        "user:BAD_USER_INPUT",
    ),
    (
        "create: future damage date",
        "staff",
        CASE_CREATE,
        lambda p: {"input": {**new_case_input(p), "damageDate": "2999-01-01"}},
        "user:BAD_USER_INPUT",
    ),
    (
        "create: handler is a partner",
        "staff",
        CASE_CREATE,
        lambda p: {"input": {**new_case_input(p), "caseHandlerId": gid("User", p.partner_user.id)}},
        "user:BAD_USER_INPUT",
    ),
    (
        "create: handler of other insurer",
        "staff",
        CASE_CREATE,
        lambda p: {"input": {**new_case_input(p), "caseHandlerId": gid("User", 10**12)}},
        "gql:NOT_FOUND",
    ),
    (
        "create: by a partner",
        "partner",
        CASE_CREATE,
        lambda p: {"input": new_case_input(p)},
        "gql:FORBIDDEN",
    ),
    (
        "create: by a customer",
        "customer",
        CASE_CREATE,
        lambda p: {"input": new_case_input(p)},
        "gql:FORBIDDEN",
    ),
    (
        "create: read-only key",
        "integration_readonly",
        CASE_CREATE,
        lambda p: {"input": new_case_input(p)},
        "gql:FORBIDDEN",
    ),
    (
        "update: unknown case",
        "staff",
        CASE_UPDATE,
        lambda p: {"input": {"caseId": gid("Case", 10**12), "city": "X"}},
        "gql:NOT_FOUND",
    ),
    (
        "update: malformed id",
        "staff",
        CASE_UPDATE,
        lambda p: {"input": {"caseId": "not-an-id", "city": "X"}},
        "user:BAD_USER_INPUT",
    ),
    (
        "update: a task id for a case",
        "staff",
        CASE_UPDATE,
        lambda p: {"input": {"caseId": task(p, "repair"), "city": "X"}},
        "user:BAD_USER_INPUT",
    ),
    (
        "update: empty city",
        "staff",
        CASE_UPDATE,
        lambda p: {"input": {"caseId": case_id(p), "city": ""}},
        "user:BAD_USER_INPUT",
    ),
    (
        "update: too long claim number",
        "staff",
        CASE_UPDATE,
        lambda p: {"input": {"caseId": case_id(p), "claimNumber": "x" * 61}},
        "user:BAD_USER_INPUT",
    ),
    (
        "hold: invisible case (partner)",
        "partner",
        CASE_STATUS % "casePutOnHold",
        lambda p: {"input": {"caseId": gid("Case", p.lonely_case.id)}},
        "gql:NOT_FOUND",
    ),
    (
        "reopen: an open case",
        "staff",
        CASE_STATUS % "caseReopen",
        lambda p: {"input": {"caseId": case_id(p)}},
        "user:CONFLICT",
    ),
    (
        "decision: NONE",
        "staff",
        CASE_DECISION,
        lambda p: {"input": {"caseId": case_id(p), "decision": "NONE"}},
        "user:BAD_USER_INPUT",
    ),
    (
        "decision: other insurer's case",
        "staff",
        CASE_DECISION,
        lambda p: {"input": {"caseId": gid("Case", 1), "decision": "ACCEPTED"}},
        "gql:NOT_FOUND",
    ),
    (
        "taskAdd: empty title",
        "staff",
        TASK_ADD,
        lambda p: {"input": {"caseId": case_id(p), "kind": "REPAIR", "title": ""}},
        "user:BAD_USER_INPUT",
    ),
    (
        "taskAdd: unknown kind",
        "staff",
        TASK_ADD,
        lambda p: {"input": {"caseId": case_id(p), "kind": "BAKING", "title": "x"}},
        "gql:GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "taskAdd: by a partner",
        "partner",
        TASK_ADD,
        lambda p: {"input": {"caseId": case_id(p), "kind": "REPAIR", "title": "x"}},
        "gql:FORBIDDEN",
    ),
    (
        "taskRemove: unknown task",
        "staff",
        TASK_REMOVE,
        lambda p: {"input": {"taskId": gid("Task", 10**12)}},
        "gql:NOT_FOUND",
    ),
    (
        "assignOffice: unknown office",
        "staff",
        TASK_ASSIGN_OFFICE,
        lambda p: {"input": {"taskId": task(p, "repair"), "officeId": gid("Office", 10**12)}},
        "gql:NOT_FOUND",
    ),
    (
        "assignResponsible: user of another office",
        "staff",
        TASK_ASSIGN_RESPONSIBLE,
        lambda p: {
            "input": {"taskId": task(p, "repair"), "userId": gid("User", p.partner_user.id)}
        },
        "user:BAD_USER_INPUT",
    ),
    (
        "assignResponsible: partner of another office",
        "partner",
        TASK_ASSIGN_RESPONSIBLE,
        lambda p: {
            "input": {"taskId": task(p, "repair"), "userId": gid("User", p.partner_user.id)}
        },
        "gql:FORBIDDEN",
    ),
    (
        "taskComplete: not started",
        "partner",
        TASK_ONE % "taskComplete",
        lambda p: {"input": {"taskId": task(p, "inspection")}},
        "user:CONFLICT",
    ),
    (
        "taskApprove: by partner",
        "partner",
        TASK_ONE % "taskApprove",
        lambda p: {"input": {"taskId": task(p, "inspection")}},
        "gql:FORBIDDEN",
    ),
    (
        "schedule: end before start",
        "staff",
        TASK_SCHEDULE,
        lambda p: {
            "input": {
                "taskId": task(p, "repair"),
                "start": "2026-12-05T08:00:00+01:00",
                "end": "2026-12-01T08:00:00+01:00",
            }
        },
        "user:BAD_USER_INPUT",
    ),
    (
        "schedule: not a date",
        "staff",
        TASK_SCHEDULE,
        lambda p: {"input": {"taskId": task(p, "repair"), "start": "tomorrow"}},
        "gql:GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "meeting: no time zone",
        "staff",
        TASK_MEETING,
        lambda p: {"input": {"taskId": task(p, "repair"), "at": "2026-12-02T09:00:00"}},
        "user:BAD_USER_INPUT",
    ),
    (
        "share: no documents",
        "staff",
        DOCUMENT_SHARE,
        lambda p: {"input": {"documentIds": []}},
        "user:BAD_USER_INPUT",
    ),
    (
        "share: by customer",
        "customer",
        DOCUMENT_SHARE,
        lambda p: {"input": {"documentIds": [gid("Document", p.ids["docs"][0])], "shared": False}},
        "gql:FORBIDDEN",
    ),
    (
        "message: empty body",
        "staff",
        MESSAGE_SEND,
        lambda p: {"input": {"caseId": case_id(p), "body": " \n "}},
        "user:BAD_USER_INPUT",
    ),
    (
        "message: attachment of another case",
        "staff",
        MESSAGE_SEND,
        lambda p: {
            "input": {
                "caseId": gid("Case", p.handled_case.id),
                "body": "see",
                "attachmentIds": [gid("Document", p.ids["docs"][0])],
            }
        },
        "user:BAD_USER_INPUT",
    ),
    (
        "message: partner not handling the case",
        "partner",
        MESSAGE_SEND,
        lambda p: {"input": {"caseId": case_id(p), "body": "hi"}},
        "gql:FORBIDDEN",
    ),
    (
        "message: body too long",
        "customer",
        MESSAGE_SEND,
        lambda p: {"input": {"caseId": case_id(p), "body": "x" * 10_001}},
        "user:BAD_USER_INPUT",
    ),
    (
        "comment: by customer",
        "customer",
        COMMENT_ADD,
        lambda p: {"input": {"caseId": case_id(p), "body": "hi"}},
        "gql:FORBIDDEN",
    ),
    (
        "comment: empty",
        "staff",
        COMMENT_ADD,
        lambda p: {"input": {"caseId": case_id(p), "body": ""}},
        "user:BAD_USER_INPUT",
    ),
    (
        "markRead: by a partner outside the chat",
        "partner",
        MARK_READ,
        lambda p: {"input": {"caseId": case_id(p)}},
        "gql:FORBIDDEN",
    ),
    (
        "markRead: unauthenticated",
        "",
        MARK_READ,
        lambda p: {"input": {"caseId": case_id(p)}},
        "gql:UNAUTHENTICATED",
    ),
]


@pytest.mark.parametrize("case", BAD, ids=[b[0] for b in BAD])
async def test_bad_input_is_a_clear_error_and_changes_nothing(client, world, engine, case):
    name, role, document, variables, expected = case
    portal = world.portal
    before = await portal_fingerprint(engine, portal.insurer.id)
    token = portal.tokens[role] if role else None
    result = await gql(client, document, variables(portal), token=token)
    kind, code = expected.split(":")
    if kind == "user":
        assert "errors" not in result, result
        payload = next(iter(result["data"].values()))
        assert [e["code"] for e in payload["errors"]] == [code], payload
        assert payload["errors"][0]["message"]
    else:
        assert error_codes(result) == [code], result
        assert result["errors"][0]["extensions"]["requestId"]
    assert await portal_fingerprint(engine, portal.insurer.id) == before


async def test_closed_case_refuses_changes(client, world, engine):
    portal = world.portal
    await gql(
        client,
        CASE_STATUS % "caseClose",
        {"input": {"caseId": case_id(portal)}},
        token=portal.tokens["staff"],
    )
    before = await portal_fingerprint(engine, portal.insurer.id)
    result = await gql(
        client,
        TASK_ADD,
        {"input": {"caseId": case_id(portal), "kind": "REPAIR", "title": "x"}},
        token=portal.tokens["staff"],
    )
    assert result["data"]["taskAdd"]["errors"][0]["code"] == "CONFLICT"
    assert await portal_fingerprint(engine, portal.insurer.id) == before

"""Budgets: submit with a budget file, approve up to the approver's limit, reject; who may
do each; every step in the feed and the outbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from permissions.rights import Right
from tests.budgets.conftest import (
    add_document,
    feed_types,
    notifications,
    set_ech_rights,
    set_limits,
)
from tests.factories import gid
from tests.graphql import error_codes, gql

SUBMIT = """
mutation ($input: BudgetSubmitInput!) {
  budgetSubmit(input: $input) {
    budget { id amount status description document { id } submittedBy { name } }
    errors { code field message }
  }
}"""

APPROVE = """
mutation ($input: BudgetDecisionInput!) {
  budgetApprove(input: $input) {
    budget { id status note decidedAt decidedBy { name } }
    task { budgetEstimate }
    errors { code field message }
  }
}"""

REJECT = """
mutation ($input: BudgetDecisionInput!) {
  budgetReject(input: $input) {
    budget { id status note }
    errors { code field message }
  }
}"""

BUDGET = """
query ($id: ID!) { node(id: $id) { ... on Budget { id status note } } }"""


async def submit(client, engine, portal, *, who="partner", task="inspection", amount="10000"):
    """Submit a budget for a task of the portal's main case with a fresh budget file."""
    task_id = portal.ids[task]
    document_id = await add_document(engine, portal.case.id, task_id)
    variables = {
        "input": {
            "taskId": gid("Task", task_id),
            "amount": amount,
            "description": "Drying and new floor",
            "documentId": gid("Document", document_id),
        }
    }
    return await gql(client, SUBMIT, variables, token=portal.tokens[who])


async def submitted_id(client, engine, portal, **kw) -> str:
    result = await submit(client, engine, portal, **kw)
    payload = result["data"]["budgetSubmit"]
    assert payload["errors"] == [], payload
    return payload["budget"]["id"]


async def decide(client, portal, budget_id, *, who="ech", mutation=APPROVE, note="OK"):
    variables = {"input": {"budgetId": budget_id, "note": note}}
    return await gql(client, mutation, variables, token=portal.tokens[who])


async def test_submit_and_approve_within_the_limit_with_feed_and_emails(client, engine, portal):
    # given a partner's budget for their office's task, with its file
    result = await submit(client, engine, portal, amount="10000.00")
    budget = result["data"]["budgetSubmit"]["budget"]
    assert budget["status"] == "SUBMITTED"
    assert Decimal(budget["amount"]) == Decimal("10000.00")
    assert budget["submittedBy"]["name"] == "Per Partner"
    # the case handler and the external case handler (approve_budgets) are told
    told = [
        row.recipient for row in await notifications(engine, portal.case.id, "budget_submitted")
    ]
    assert told == [portal.handler.email, portal.ech.email]

    # when the external case handler approves exactly at their limit (10 000)
    approved = await decide(client, portal, budget["id"], note="Go ahead")

    # then it is approved, the task's estimate follows, the submitter is told
    payload = approved["data"]["budgetApprove"]
    assert payload["errors"] == []
    assert payload["budget"]["status"] == "APPROVED"
    assert payload["budget"]["note"] == "Go ahead"
    assert payload["budget"]["decidedBy"]["name"] == "Erik External"
    assert Decimal(payload["task"]["budgetEstimate"]) == Decimal("10000.00")
    told = await notifications(engine, portal.case.id, "budget_approved")
    assert [row.recipient for row in told] == [portal.partner_user.email]
    assert "10 000.00 NOK" in told[0].body
    # and every step is in the feed
    entries = await feed_types(engine, portal.case.id)
    assert [entry.type for entry in entries] == ["budget_submitted", "budget_approved"]
    assert entries[1].payload["amount"] == "10000.00"
    assert entries[1].payload["taskId"] == portal.ids["inspection"]


@pytest.mark.parametrize(
    ("amount", "passes"),
    [("9999.99", True), ("10000.00", True), ("10000.01", False), ("250000", False)],
)
async def test_external_case_handler_approves_up_to_their_limit(
    client, engine, portal, amount, passes
):
    budget_id = await submitted_id(client, engine, portal, amount=amount)
    result = await decide(client, portal, budget_id)
    if passes:
        assert result["data"]["budgetApprove"]["errors"] == []
        return
    assert error_codes(result) == ["FORBIDDEN"]
    error = result["errors"][0]
    shown = f"{Decimal(amount):,.2f}".replace(",", " ")
    assert error["message"] == (f"Approval limit 10 000.00 NOK is below the budget {shown} NOK.")
    assert error["extensions"]["approvalLimit"] == "10000.00"
    # nothing changed: still waiting, no decision in the feed
    still = await gql(client, BUDGET, {"id": budget_id}, token=portal.tokens["staff"])
    assert still["data"]["node"]["status"] == "SUBMITTED"
    assert [e.type for e in await feed_types(engine, portal.case.id)] == ["budget_submitted"]


@pytest.mark.parametrize(
    ("who", "own_limit", "portal_default", "amount", "passes"),
    [
        # the portal's default applies to people without a limit of their own
        ("ech", None, "20000", "20000.00", True),
        ("ech", None, "20000", "20000.01", False),
        ("staff", None, "20000", "20000.01", False),
        # a person's own limit overrides the portal's default, up or down
        ("ech", "10000", "20000", "15000", False),
        ("staff", "50000", "20000", "50000.00", True),
        ("staff", "50000", "20000", "50000.01", False),
        # company admins have no limit unless one is set on them
        ("admin", None, "20000", "5000000", True),
        ("admin", "1000", "20000", "1000.01", False),
        # no limit anywhere: staff unlimited, an external case handler approves nothing
        ("staff", None, None, "5000000", True),
        ("ech", None, None, "0.01", False),
    ],
)
async def test_approval_limit_is_own_then_admin_then_portal_default(
    client, engine, portal, who, own_limit, portal_default, amount, passes
):
    user = {"ech": portal.ech, "staff": portal.handler, "admin": portal.admin}[who]
    await set_limits(
        engine,
        portal,
        portal_default=Decimal(portal_default) if portal_default else None,
        users={user.id: Decimal(own_limit) if own_limit else None},
    )
    budget_id = await submitted_id(client, engine, portal, amount=amount)
    result = await decide(client, portal, budget_id, who=who)
    if passes:
        assert result["data"]["budgetApprove"]["errors"] == [], result
    else:
        assert error_codes(result) == ["FORBIDDEN"], result
        assert "Approval limit" in result["errors"][0]["message"]


# Who may submit a budget for the main inspection (held by `partner`'s office).
@pytest.mark.parametrize(
    ("who", "rights", "outcome"),
    [
        ("partner", set(), "ok"),
        ("staff", set(), "ok"),
        ("admin", set(), "ok"),
        ("ech", {Right.BUDGET_FOR_OTHER_PARTNERS}, "ok"),
        ("ech", {Right.APPROVE_BUDGETS}, "FORBIDDEN"),
        ("other_partner", set(Right), "FORBIDDEN"),
        ("customer", set(), "FORBIDDEN"),
        ("integration", set(), "FORBIDDEN"),
        ("partner_integration", set(), "FORBIDDEN"),
    ],
)
async def test_who_may_submit(client, engine, portal, who, rights, outcome):
    await set_ech_rights(engine, portal, rights)
    result = await submit(client, engine, portal, who=who)
    if outcome == "ok":
        assert result["data"]["budgetSubmit"]["errors"] == [], result
        return
    codes = error_codes(result)
    # keys without a view of the document or case get NOT_FOUND before any rule
    assert codes in (["FORBIDDEN"], ["NOT_FOUND"]), result
    if who in ("ech", "other_partner", "customer", "integration"):
        assert codes == ["FORBIDDEN"], result
    if who == "ech":
        assert "budget_for_other_partners" in result["errors"][0]["message"]


async def test_external_case_handler_submits_for_their_own_office_without_the_right(
    client, engine, portal
):
    """The drying task is held by the external case handler's own office."""
    await set_ech_rights(engine, portal, set())
    result = await submit(client, engine, portal, who="ech", task="repair")
    assert result["data"]["budgetSubmit"]["errors"] == []


# Who may approve (and reject) a submitted budget of 5 000.
@pytest.mark.parametrize(
    ("who", "rights", "outcome"),
    [
        ("staff", set(), "ok"),
        ("admin", set(), "ok"),
        ("ech", {Right.APPROVE_BUDGETS}, "ok"),
        ("ech", set(Right) - {Right.APPROVE_BUDGETS}, "FORBIDDEN"),
        ("partner", set(Right), "FORBIDDEN"),  # sees it (their office's), may not decide
        ("other_partner", set(Right), "NOT_FOUND"),  # another partner's budget
        ("customer", set(Right), "NOT_FOUND"),  # customers never see budgets
        ("integration", set(Right), "FORBIDDEN"),  # people decide, not keys
        ("integration_readonly", set(Right), "NOT_FOUND"),  # no budgets:read
    ],
)
@pytest.mark.parametrize("mutation", [APPROVE, REJECT])
async def test_who_may_decide(client, engine, portal, who, rights, outcome, mutation):
    budget_id = await submitted_id(client, engine, portal, amount="5000")
    await set_ech_rights(engine, portal, rights)
    result = await decide(client, portal, budget_id, who=who, mutation=mutation)
    if outcome == "ok":
        payload = next(iter(result["data"].values()))
        assert payload["errors"] == [], result
        assert payload["budget"]["status"] in ("APPROVED", "REJECTED")
        return
    assert error_codes(result) == [outcome], result
    if who == "ech":
        assert "approve_budgets" in result["errors"][0]["message"]


async def test_reject_needs_a_note_and_tells_the_submitter(client, engine, portal):
    budget_id = await submitted_id(client, engine, portal)
    empty = await decide(client, portal, budget_id, who="staff", mutation=REJECT, note=" ")
    assert empty["data"]["budgetReject"]["errors"][0]["code"] == "BAD_USER_INPUT"
    assert empty["data"]["budgetReject"]["errors"][0]["field"] == ["input", "note"]

    result = await decide(client, portal, budget_id, who="staff", mutation=REJECT, note="Too high")
    assert result["data"]["budgetReject"]["budget"] == {
        "id": budget_id,
        "status": "REJECTED",
        "note": "Too high",
    }
    told = await notifications(engine, portal.case.id, "budget_rejected")
    assert [row.recipient for row in told] == [portal.partner_user.email]
    assert "Too high" in told[0].body
    entries = await feed_types(engine, portal.case.id)
    assert [e.type for e in entries] == ["budget_submitted", "budget_rejected"]
    assert entries[1].payload["note"] == "Too high"


@pytest.mark.parametrize("first", [APPROVE, REJECT])
@pytest.mark.parametrize("then", [APPROVE, REJECT])
async def test_only_submitted_budgets_are_decided(client, engine, portal, first, then):
    budget_id = await submitted_id(client, engine, portal, amount="100")
    done = await decide(client, portal, budget_id, who="staff", mutation=first)
    assert next(iter(done["data"].values()))["errors"] == []
    again = await decide(client, portal, budget_id, who="staff", mutation=then)
    [error] = next(iter(again["data"].values()))["errors"]
    assert error["code"] == "CONFLICT"
    assert error["field"] == ["input", "budgetId"]


async def test_a_new_submission_supersedes_the_waiting_one(client, engine, portal):
    older = await submitted_id(client, engine, portal, amount="8000")
    newer = await submitted_id(client, engine, portal, amount="7000")
    read = await gql(client, BUDGET, {"id": older}, token=portal.tokens["staff"])
    assert read["data"]["node"] == {
        "id": older,
        "status": "REJECTED",
        "note": "Superseded by a newer budget.",
    }
    entries = await feed_types(engine, portal.case.id)
    assert entries[-1].payload["supersededBudgetIds"] == [int(_row_id(older))]
    # approved budgets stand: a later one is added to the task's estimate
    first = await decide(client, portal, newer, who="staff")
    assert Decimal(first["data"]["budgetApprove"]["task"]["budgetEstimate"]) == Decimal("7000")
    extra = await submitted_id(client, engine, portal, amount="500.50")
    second = await decide(client, portal, extra, who="staff")
    assert Decimal(second["data"]["budgetApprove"]["task"]["budgetEstimate"]) == Decimal("7500.50")


def _row_id(global_id: str) -> int:
    from resolvers.global_ids import decode_typed_id

    return decode_typed_id(global_id, "Budget", "budgetId")


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        ("0", "amount"),
        ("-5", "amount"),
        ("10.005", "amount"),
        ("100000000.01", "amount"),
    ],
)
async def test_amount_must_be_positive_money_within_reason(client, engine, portal, amount, field):
    result = await submit(client, engine, portal, amount=amount)
    [error] = result["data"]["budgetSubmit"]["errors"]
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", ["input", field])
    assert await feed_types(engine, portal.case.id) == []


async def test_the_budget_file_is_required_and_belongs_to_the_task_or_case(client, engine, portal):
    task = gid("Task", portal.ids["inspection"])

    async def with_document(document_id):
        variables = {"input": {"taskId": task, "amount": "100", "documentId": document_id}}
        return await gql(client, SUBMIT, variables, token=portal.tokens["staff"])

    missing = await with_document(None)
    [error] = missing["data"]["budgetSubmit"]["errors"]
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", ["input", "documentId"])

    other_case = await add_document(engine, portal.lonely_case.id, None)
    other_task = portal.ids["docs"][2]  # the drying log: another task's document
    for document_id in (other_case, other_task):
        result = await with_document(gid("Document", document_id))
        [error] = result["data"]["budgetSubmit"]["errors"]
        assert (error["code"], error["field"]) == ("BAD_USER_INPUT", ["input", "documentId"])

    general = portal.ids["docs"][0]  # the case's general photos
    ok = await with_document(gid("Document", general))
    assert ok["data"]["budgetSubmit"]["errors"] == []
    assert ok["data"]["budgetSubmit"]["budget"]["document"]["id"] == gid("Document", general)

    # a partner cannot attach a document they do not see (another office's task's)
    variables = {
        "input": {"taskId": task, "amount": "100", "documentId": gid("Document", other_task)}
    }
    hidden = await gql(client, SUBMIT, variables, token=portal.tokens["partner"])
    assert error_codes(hidden) == ["NOT_FOUND"]

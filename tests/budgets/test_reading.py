"""Who reads budgets: the task budget rule on `Task.budgets`, the case's list and totals,
`node(id)`; and listing the budgets of many tasks takes the same statements for 2 or 8
cases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.budgets.conftest import add_document
from tests.budgets.test_budgets import decide, submitted_id
from tests.factories import add_cases, build_portal, gid
from tests.graphql import error_codes, gql

TASK_BUDGETS = """
query ($id: ID!) {
  node(id: $id) {
    ... on Task { budgets { id amount status document { id } task { id } office { name } } }
  }
}"""

CASE_BUDGETS = """
query ($id: ID!) { case(id: $id) { budgets { id amount status } } }"""

SUMMARY = """
query ($id: ID!) { case(id: $id) { budgetSummary { submitted approved total } } }"""

BUDGET = """
query ($id: ID!) { node(id: $id) { ... on Budget { id amount } } }"""

MANY = """
query ($first: Int!) {
  cases(first: $first) {
    nodes {
      number
      budgetSummary { submitted approved total }
      budgets { id }
      tasks {
        title
        budgets {
          amount status description decidedAt note
          document { title } submittedBy { name } decidedBy { name } office { name }
        }
      }
    }
  }
}"""


async def _budgets(client, engine, portal):
    """5 000 approved for the main inspection (partner's office), 3 000 waiting for the
    drying (the external case handler's office)."""
    inspection = await submitted_id(client, engine, portal, amount="5000")
    await decide(client, portal, inspection, who="staff")
    drying = await submitted_id(client, engine, portal, who="ech", task="repair", amount="3000")
    return inspection, drying


@pytest.mark.parametrize(
    ("who", "inspection", "drying"),
    [
        ("staff", "ok", "ok"),
        ("ech", "ok", "ok"),
        ("integration", "ok", "ok"),
        ("partner", "ok", "FORBIDDEN"),
        ("other_partner", "FORBIDDEN", "ok"),
        ("integration_readonly", "FORBIDDEN", "FORBIDDEN"),
    ],
)
async def test_task_budgets_follow_the_task_budget_rule(
    client, engine, portal, who, inspection, drying
):
    ids = await _budgets(client, engine, portal)
    for task, expected, budget_id in (
        ("inspection", inspection, ids[0]),
        ("repair", drying, ids[1]),
    ):
        result = await gql(
            client, TASK_BUDGETS, {"id": gid("Task", portal.ids[task])}, token=portal.tokens[who]
        )
        if expected == "ok":
            assert "errors" not in result, result
            [budget] = result["data"]["node"]["budgets"]
            assert budget["id"] == budget_id
            assert budget["task"]["id"] == gid("Task", portal.ids[task])
        else:
            assert error_codes(result) == [expected], result


@pytest.mark.parametrize(
    ("who", "listed", "summary"),
    [
        ("staff", 2, "ok"),
        ("ech", 2, "ok"),
        ("integration", 2, "ok"),
        ("partner", 1, "FORBIDDEN"),  # their office's budget only; no totals of others'
        ("other_partner", 1, "FORBIDDEN"),
        ("customer", "FORBIDDEN", "FORBIDDEN"),
    ],
)
async def test_case_budgets_and_summary_by_role(client, engine, portal, who, listed, summary):
    await _budgets(client, engine, portal)
    case = {"id": gid("Case", portal.case.id)}
    listing = await gql(client, CASE_BUDGETS, case, token=portal.tokens[who])
    if listed == "FORBIDDEN":
        assert error_codes(listing) == ["FORBIDDEN"]
    else:
        assert len(listing["data"]["case"]["budgets"]) == listed
    totals = await gql(client, SUMMARY, case, token=portal.tokens[who])
    if summary == "FORBIDDEN":
        assert error_codes(totals) == ["FORBIDDEN"]
        return
    assert {k: Decimal(v) for k, v in totals["data"]["case"]["budgetSummary"].items()} == {
        "submitted": Decimal("3000"),
        "approved": Decimal("5000"),
        "total": Decimal("8000"),
    }


@pytest.mark.parametrize(
    ("who", "seen"),
    [("staff", True), ("partner", True), ("other_partner", False), ("customer", False)],
)
async def test_a_budget_by_id_is_not_found_outside_reach(client, engine, portal, who, seen):
    inspection, _ = await _budgets(client, engine, portal)
    result = await gql(client, BUDGET, {"id": inspection}, token=portal.tokens[who])
    if seen:
        assert result["data"]["node"]["id"] == inspection
    else:
        assert error_codes(result) == ["NOT_FOUND"]


async def test_foreign_portal_never_sees_a_budget(client, engine, portal, world):
    inspection, _ = await _budgets(client, engine, portal)
    result = await gql(client, BUDGET, {"id": inspection}, token=world.foreign.tokens["staff"])
    assert error_codes(result) == ["NOT_FOUND"]


async def test_listing_budgets_of_many_tasks_keeps_the_statement_count_flat(
    client, engine, settings, count_statements
):
    portal = await build_portal(engine, settings, "Budgets")
    case_ids = await add_cases(engine, portal, 8)
    staff = portal.tokens["staff"]
    for case_id in case_ids:
        case = await gql(
            client,
            "query ($id: ID!) { case(id: $id) { tasks { id } } }",
            {"id": gid("Case", case_id)},
            token=staff,
        )
        for task in case["data"]["case"]["tasks"]:
            await _give_office(engine, task["id"], portal.office.id)
            document_id = await add_document(engine, case_id, None)
            result = await gql(
                client,
                """mutation ($input: BudgetSubmitInput!) {
                  budgetSubmit(input: $input) { budget { id } errors { message } } }""",
                {
                    "input": {
                        "taskId": task["id"],
                        "amount": "1200.50",
                        "documentId": gid("Document", document_id),
                    }
                },
                token=staff,
            )
            assert result["data"]["budgetSubmit"]["errors"] == []
    counts = {}
    for first in (2, 8):
        with count_statements() as counter:
            result = await gql(client, MANY, {"first": first}, token=staff)
        assert "errors" not in result, result
        nodes = result["data"]["cases"]["nodes"]
        assert len(nodes) == first
        assert all(t["budgets"] for n in nodes for t in n["tasks"])
        counts[first] = counter.count
    assert counts[2] == counts[8], counts


async def _give_office(engine, task_gid: str, office_id: int) -> None:
    from sqlalchemy import update

    from resolvers.global_ids import decode_typed_id
    from server.db.models import Task

    task_id = decode_typed_id(task_gid, "Task", "taskId")
    async with engine.begin() as conn:
        await conn.execute(update(Task).where(Task.id == task_id).values(office_id=office_id))

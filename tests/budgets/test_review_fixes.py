"""Regressions from the review of the partner work: budgets stay with the office that
submitted them, a pending external-case-handler office reads no partner files, no
self-approval, no lost budgets, no deadlock, no 500 on odd input, no CSV formulas."""

from __future__ import annotations

from sqlalchemy import text

from resolvers.queries.case_statistics import csv_cells
from tests.factories import gid
from tests.graphql import error_codes, gql

ASSIGN_ECH_OFFICE = """mutation ($c: ID!, $o: ID) {
  caseAssignExternalCaseHandlerOffice(caseId: $c, officeId: $o) { errors { code message } } }"""
DOCS = "query ($id: ID!) { case(id: $id) { documents(first: 50) { nodes { title } } } }"
MOVE = """mutation ($i: TaskAssignOfficeInput!) {
  taskAssignOffice(input: $i) { errors { code message } } }"""
REMOVE = "mutation ($i: TaskInput!) { taskRemove(input: $i) { errors { code message } } }"
SEARCH = "query ($s: String) { cases(first: 5, filter: {search: $s}) { totalCount } }"


async def _budget(engine, portal, task_id: int, status: str, submitted_by: int) -> int:
    async with engine.begin() as conn:
        return await conn.scalar(
            text(
                "INSERT INTO budgets (insurer_id, case_id, task_id, office_id, amount, status,"
                " submitted_by_user_id) VALUES (:i, :c, :t, :o, 100, :s, :u) RETURNING id"
            ),
            {"i": portal.insurer.id, "c": portal.case.id, "t": task_id,
             "o": portal.office.id, "s": status, "u": submitted_by},
        )  # fmt: skip


async def test_a_task_with_a_waiting_budget_keeps_its_office(client, engine, world):
    portal = world.portal
    await _budget(engine, portal, portal.ids["repair"], "submitted", portal.partner_user.id)
    # The repair task is held by the other partner's office; moving it to ours is refused.
    moved = {
        "taskId": gid("Task", portal.ids["repair"]),
        "officeId": gid("Office", portal.office.id),
    }
    result = await gql(client, MOVE, {"i": moved}, token=portal.tokens["staff"])
    assert [e["code"] for e in result["data"]["taskAssignOffice"]["errors"]] == ["CONFLICT"]


async def test_a_task_with_budgets_cannot_be_removed(client, engine, world):
    portal = world.portal
    await _budget(engine, portal, portal.ids["carpentry"], "approved", portal.partner_user.id)
    result = await gql(
        client, REMOVE, {"i": {"taskId": gid("Task", portal.ids["carpentry"])}},
        token=portal.tokens["staff"],
    )  # fmt: skip
    assert [e["code"] for e in result["data"]["taskRemove"]["errors"]] == ["CONFLICT"]


async def test_an_office_holding_the_role_pending_a_name_reads_no_partner_files(client, world):
    portal = world.portal
    before = await gql(
        client, DOCS, {"id": gid("Case", portal.case.id)}, token=portal.tokens["other_partner"]
    )
    assigned = await gql(
        client, ASSIGN_ECH_OFFICE,
        {"c": gid("Case", portal.case.id), "o": gid("Office", portal.other_office.id)},
        token=portal.tokens["staff"],
    )  # fmt: skip
    assert assigned["data"]["caseAssignExternalCaseHandlerOffice"]["errors"] == []
    after = await gql(
        client, DOCS, {"id": gid("Case", portal.case.id)}, token=portal.tokens["other_partner"]
    )
    titles = {n["title"] for n in after["data"]["case"]["documents"]["nodes"]}
    assert titles == {n["title"] for n in before["data"]["case"]["documents"]["nodes"]}
    assert "Inspection report" not in titles


async def test_nobody_approves_their_own_budget(client, engine, world):
    portal = world.portal
    budget = await _budget(engine, portal, portal.ids["repair"], "submitted", portal.handler.id)
    approve = (
        """mutation ($i: BudgetDecisionInput!) { budgetApprove(input: $i) { errors { code } } }"""
    )
    result = await gql(
        client, approve, {"i": {"budgetId": gid("Budget", budget)}}, token=portal.tokens["staff"]
    )
    assert error_codes(result) == ["FORBIDDEN"] or [
        e["code"] for e in result["data"]["budgetApprove"]["errors"]
    ] == ["FORBIDDEN"]


async def test_nul_in_the_case_search_is_bad_input(client, world):
    result = await gql(client, SEARCH, {"s": "a\x00b"}, token=world.portal.tokens["staff"])
    assert error_codes(result) == ["BAD_USER_INPUT"]


def test_csv_cells_never_start_a_formula():
    class Row:
        def __getattr__(self, name):
            return '=HYPERLINK("http://evil","x")' if name == "claim_number" else None

    cells = csv_cells(Row())
    assert all(not cell.startswith("=") for cell in cells)
    assert "'=HYPERLINK" in "".join(cells)


PEOPLE = """query ($f: CaseFilterInput) { cases(first: 50, filter: $f) { nodes { number } } }"""


async def test_partners_cannot_find_who_works_on_another_companys_task(client, engine, world):
    portal = world.portal
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE tasks SET responsible_id = :u WHERE id = :t"),
            {"u": portal.other_partner_user.id, "t": portal.ids["repair"]},
        )
    someone_else = gid("User", portal.other_partner_user.id)
    for case_filter in ({"userId": someone_else}, {"inspectorIds": [someone_else]}):
        partner = await gql(client, PEOPLE, {"f": case_filter}, token=portal.tokens["partner"])
        assert "errors" not in partner, partner
        assert portal.case.number not in {n["number"] for n in partner["data"]["cases"]["nodes"]}
    staff = await gql(client, PEOPLE, {"f": {"userId": someone_else}}, token=portal.tokens["staff"])
    assert portal.case.number in {n["number"] for n in staff["data"]["cases"]["nodes"]}

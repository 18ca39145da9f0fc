"""`Case.viewerCan` tells the truth: for each kind of principal, every flag matches what
the mutation it names then does; and it costs no query per case."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from permissions.rights import Right
from server.db.enums import CaseStatus
from server.db.models import Case
from tests.ech.actions import ACTIONS
from tests.ech.stage import outcome, set_rights, stage
from tests.factories import add_cases, build_portal, gid
from tests.graphql import gql

FLAGS = sorted({action.flag for action in ACTIONS})
SELECTION = " ".join(FLAGS)
VIEWER_CAN = (
    "query ($id: ID!) { case(id: $id) { viewerCan { "
    + SELECTION
    + " externalCaseHandlerRights } } }"
)

PRINCIPALS = {  # who → (token label, the role's rights)
    "ech_all_rights": ("ech", set(Right)),
    "ech_no_rights": ("ech", set()),
    "ech_some_rights": ("ech", {Right.MANAGE_TASKS, Right.CUSTOMER_CONTACT, Right.APPROVE_TASKS}),
    "partner_not_ech": ("partner", set(Right)),
    "staff": ("staff", set()),
    "integration": ("integration", set()),
}


@pytest.mark.parametrize("who", PRINCIPALS)
async def test_flags_match_what_the_mutations_allow(client, engine, settings, who):
    portal = await build_portal(engine, settings, "Knapp")
    staged = await stage(engine, portal)
    label, rights = PRINCIPALS[who]
    await set_rights(engine, portal, rights)
    token = portal.tokens[label]

    read = await gql(client, VIEWER_CAN, {"id": staged.case_gid}, token=token)
    can = read["data"]["case"]["viewerCan"]
    did = {}
    for action in ACTIONS:
        result = await gql(client, action.document, action.variables(staged), token=token)
        did[action.field] = outcome(result, action.field)[0] == "ok"

    assert {a.field: can[a.flag] for a in ACTIONS} == did
    handler_rights = can["externalCaseHandlerRights"]
    assert handler_rights == ([r.name for r in Right if r in rights] if label == "ech" else [])


async def test_customer_and_closed_case(client, engine, world):
    portal = world.portal
    customer = await gql(
        client, VIEWER_CAN, {"id": gid("Case", portal.case.id)}, token=portal.tokens["customer"]
    )
    assert not any(
        customer["data"]["case"]["viewerCan"][flag] for flag in FLAGS if flag != "sendMessages"
    )

    async with engine.begin() as conn:
        await conn.execute(
            update(Case).where(Case.id == portal.handled_case.id).values(status=CaseStatus.CLOSED)
        )
    closed = await gql(
        client,
        "query ($id: ID!) { case(id: $id) { viewerCan { reopen close addTasks shareDocuments } } }",
        {"id": gid("Case", portal.handled_case.id)},
        token=portal.tokens["staff"],
    )
    assert closed["data"]["case"]["viewerCan"] == {
        "reopen": True,
        "close": False,
        "addTasks": False,
        "shareDocuments": True,
    }


LIST = "query { cases(first: 100) { edges { node { viewerCan { " + SELECTION + " } } } } }"


@pytest.mark.parametrize("who", ["staff", "partner", "ech"])
async def test_no_query_per_case(client, engine, world, count_statements, who):
    portal = world.portal
    token = portal.tokens[who]
    await add_cases(engine, portal, 2)
    with count_statements() as few:
        await gql(client, LIST, token=token)
    await add_cases(engine, portal, 8)
    with count_statements() as many:
        await gql(client, LIST, token=token)

    assert len(many.statements) == len(few.statements)


BUDGET_FLAGS = "query ($id: ID!) { case(id: $id) { viewerCan { approveBudgets submitBudgets } } }"


@pytest.mark.parametrize(
    ("who", "rights", "expected"),
    [
        ("staff", set(), {"approveBudgets": True, "submitBudgets": True}),
        ("ech", {Right.APPROVE_BUDGETS}, {"approveBudgets": True, "submitBudgets": False}),
        (
            "ech",
            {Right.BUDGET_FOR_OTHER_PARTNERS},
            {"approveBudgets": False, "submitBudgets": True},
        ),
        ("partner", set(Right), {"approveBudgets": False, "submitBudgets": True}),  # own task
        ("integration", set(), {"approveBudgets": False, "submitBudgets": False}),
    ],
)
async def test_budget_flags_follow_the_budget_rules(
    client, engine, settings, who, rights, expected
):
    portal = await build_portal(engine, settings, "Budsjett")
    staged = await stage(engine, portal)
    await set_rights(engine, portal, rights)

    result = await gql(client, BUDGET_FLAGS, {"id": staged.case_gid}, token=portal.tokens[who])

    assert result["data"]["case"]["viewerCan"] == expected

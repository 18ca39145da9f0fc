"""The portal's definition of the external case handler role: company admins define it,
staff and partner users read it, and the next request of a handler acts on it."""

from __future__ import annotations

import pytest

from permissions.rights import RIGHT_DESCRIPTIONS, Right
from tests.ech.actions import TASK_ADD
from tests.ech.stage import outcome
from tests.factories import gid
from tests.graphql import error_codes, gql

ROLE = """
query { externalCaseHandlerRole { rights allRights { right description granted } } }"""
ROLE_UPDATE = """
mutation ($rights: [ExternalCaseHandlerRight!]!) {
  externalCaseHandlerRoleUpdate(rights: $rights) {
    role { rights }
    errors { code message }
  }
}"""


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", "ok"),
        ("staff", "FORBIDDEN"),  # authority level 3
        ("ech", "FORBIDDEN"),
        ("partner", "FORBIDDEN"),
        ("customer", "FORBIDDEN"),
        ("integration", "FORBIDDEN"),
    ],
)
async def test_only_company_admins_define_the_role(client, world, who, expected):
    portal = world.portal

    result = await gql(client, ROLE_UPDATE, {"rights": ["APPROVE_TASKS"]}, token=portal.tokens[who])

    assert outcome(result, "externalCaseHandlerRoleUpdate")[0] == expected
    after = await gql(client, ROLE, token=portal.tokens["admin"])
    stored = after["data"]["externalCaseHandlerRole"]["rights"]
    assert stored == (["APPROVE_TASKS"] if expected == "ok" else [r.name for r in Right])


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", "ok"),
        ("staff", "ok"),
        ("ech", "ok"),
        ("partner", "ok"),
        ("integration", "ok"),
        ("customer", "FORBIDDEN"),
        ("partner_integration", "FORBIDDEN"),
    ],
)
async def test_who_reads_the_role(client, world, who, expected):
    result = await gql(client, ROLE, token=world.portal.tokens[who])

    assert (error_codes(result) or ["ok"]) == [expected]


async def test_role_reads_with_descriptions_and_stays_in_its_portal(client, world):
    portal, foreign = world.portal, world.foreign

    await gql(
        client,
        ROLE_UPDATE,
        {"rights": ["MANAGE_TASKS", "CUSTOMER_CONTACT", "MANAGE_TASKS"]},
        token=portal.tokens["admin"],
    )

    role = (await gql(client, ROLE, token=portal.tokens["ech"]))["data"]["externalCaseHandlerRole"]
    assert role["rights"] == ["MANAGE_TASKS", "CUSTOMER_CONTACT"]
    assert role["allRights"][0] == {
        "right": "MANAGE_TASKS",
        "description": RIGHT_DESCRIPTIONS[Right.MANAGE_TASKS],
        "granted": True,
    }
    assert [r["granted"] for r in role["allRights"]].count(True) == 2
    other = await gql(client, ROLE, token=foreign.tokens["staff"])
    assert len(other["data"]["externalCaseHandlerRole"]["rights"]) == len(Right)


async def test_the_handlers_next_request_follows_the_new_definition(client, world):
    portal = world.portal
    add = {"input": {"caseId": gid("Case", portal.handled_case.id), "kind": "REPAIR", "title": "X"}}

    await gql(client, ROLE_UPDATE, {"rights": []}, token=portal.tokens["admin"])
    refused = await gql(client, TASK_ADD, add, token=portal.tokens["ech"])
    await gql(client, ROLE_UPDATE, {"rights": ["MANAGE_TASKS"]}, token=portal.tokens["admin"])
    allowed = await gql(client, TASK_ADD, add, token=portal.tokens["ech"])

    assert outcome(refused, "taskAdd")[0] == "FORBIDDEN"
    assert outcome(allowed, "taskAdd") == ("ok", "")

"""Putting the external case handler role on a case: an office first (only one with an
active eligible user), then one of its eligible users; feed entries, emails, and who
sees the case afterwards.

In the factory portal `other_office` has Erik (eligible) and Olga (not eligible); the
partner's `office` has nobody eligible. `lonely_case` has no partner involvement.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from server.db.models import User
from tests.ech.stage import outcome
from tests.factories import Portal, gid
from tests.graphql import gql

ASSIGN_OFFICE = """
mutation ($caseId: ID!, $officeId: ID) {
  caseAssignExternalCaseHandlerOffice(caseId: $caseId, officeId: $officeId) {
    case { externalCaseHandlerOffice { name } externalCaseHandler { name } }
    errors { code field message }
  }
}"""
ASSIGN_HANDLER = """
mutation ($caseId: ID!, $userId: ID) {
  caseAssignExternalCaseHandler(caseId: $caseId, userId: $userId) {
    case { externalCaseHandlerOffice { name } externalCaseHandler { name } }
    errors { code field message }
  }
}"""
OFFICES = "query { externalCaseHandlerOffices { name } }"
CASE_NUMBERS = "query { cases(first: 100) { edges { node { number } } } }"


async def assign_office(client, portal: Portal, office, who="staff", case=None):
    case = case or portal.lonely_case
    variables = {
        "caseId": gid("Case", case.id),
        "officeId": gid("Office", office.id) if office else None,
    }
    return await gql(client, ASSIGN_OFFICE, variables, token=portal.tokens[who])


async def assign_handler(client, portal: Portal, user, who="staff", case=None):
    case = case or portal.lonely_case
    variables = {"caseId": gid("Case", case.id), "userId": gid("User", user.id) if user else None}
    return await gql(client, ASSIGN_HANDLER, variables, token=portal.tokens[who])


async def feed_types(engine, case_id: int) -> list[tuple[str, dict]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT type, payload FROM feed_entries WHERE case_id = :c ORDER BY id"),
            {"c": case_id},
        )
        return [(row.type, row.payload) for row in rows]


async def emails(engine, case_id: int) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind, recipient FROM notifications WHERE case_id = :c ORDER BY id"),
            {"c": case_id},
        )
        return [tuple(row) for row in rows]


async def sees(client, portal: Portal, who: str, case) -> bool:
    result = await gql(client, CASE_NUMBERS, token=portal.tokens[who])
    return case.number in {e["node"]["number"] for e in result["data"]["cases"]["edges"]}


async def test_office_then_user(client, engine, world):
    portal = world.portal
    case = portal.lonely_case

    result = await assign_office(client, portal, portal.other_office)

    payload = result["data"]["caseAssignExternalCaseHandlerOffice"]
    assert payload["errors"] == []
    assert payload["case"]["externalCaseHandlerOffice"] == {"name": "Tørk Bergen"}
    assert await emails(engine, case.id) == [
        ("external_case_handler_office_assigned", portal.ech.email)
    ]
    # The office's users see the case while it waits for them to name the handler.
    assert await sees(client, portal, "other_partner", case)

    # A user of the office names Erik.
    result = await assign_handler(client, portal, portal.ech, who="other_partner")

    payload = result["data"]["caseAssignExternalCaseHandler"]
    assert payload["errors"] == []
    assert payload["case"] is None  # Olga no longer sees it: Erik handles it now
    assert (await emails(engine, case.id))[-1] == (
        "external_case_handler_assigned",
        portal.ech.email,
    )
    assert await sees(client, portal, "ech", case)
    assert not await sees(client, portal, "other_partner", case)
    types = [t for t, _ in await feed_types(engine, case.id)]
    assert types == ["external_case_handler_office_assigned", "external_case_handler_assigned"]


async def test_office_without_eligible_user_is_refused(client, engine, world):
    portal = world.portal

    result = await assign_office(client, portal, portal.office)

    error = result["data"]["caseAssignExternalCaseHandlerOffice"]["errors"][0]
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", ["input", "officeId"])
    assert await feed_types(engine, portal.lonely_case.id) == []


async def test_inactive_eligible_user_does_not_count(client, engine, world):
    portal = world.portal
    async with engine.begin() as conn:
        await conn.execute(update(User).where(User.id == portal.ech.id).values(active=False))

    result = await assign_office(client, portal, portal.other_office)

    assert outcome(result, "caseAssignExternalCaseHandlerOffice")[0] == "BAD_USER_INPUT"


async def test_picker_lists_offices_with_an_eligible_user(client, world):
    portal = world.portal

    staff = await gql(client, OFFICES, token=portal.tokens["staff"])
    partner = await gql(client, OFFICES, token=portal.tokens["partner"])

    assert staff["data"]["externalCaseHandlerOffices"] == [{"name": "Tørk Bergen"}]
    assert partner["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("user_key", "expected"),
    [
        ("ech", "ok"),
        ("other_partner_user", "BAD_USER_INPUT"),  # the office's, but not eligible
        ("partner_user", "BAD_USER_INPUT"),  # another office's
        ("handler", "BAD_USER_INPUT"),  # staff
    ],
)
async def test_only_an_eligible_user_of_the_office(client, world, user_key, expected):
    portal = world.portal
    await assign_office(client, portal, portal.other_office)

    result = await assign_handler(client, portal, getattr(portal, user_key))

    assert outcome(result, "caseAssignExternalCaseHandler")[0] == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("staff", "ok"),
        ("admin", "ok"),
        ("other_partner", "ok"),  # a user of the office holding the role
        ("partner", "NOT_FOUND"),  # another office: does not see the case
        ("customer", "NOT_FOUND"),
        ("integration_readonly", "FORBIDDEN"),
    ],
)
async def test_who_names_the_handler(client, world, who, expected):
    portal = world.portal
    await assign_office(client, portal, portal.other_office)

    result = await assign_handler(client, portal, portal.ech, who=who)

    assert outcome(result, "caseAssignExternalCaseHandler")[0] == expected


@pytest.mark.parametrize(
    "who", ["partner", "ech", "other_partner", "customer", "integration_readonly"]
)
async def test_only_case_managers_choose_the_office(client, world, who):
    portal = world.portal

    result = await assign_office(
        client, portal, portal.other_office, who=who, case=portal.handled_case
    )

    assert outcome(result, "caseAssignExternalCaseHandlerOffice")[0] in ("FORBIDDEN", "NOT_FOUND")


async def test_naming_needs_an_office_first(client, world):
    portal = world.portal

    result = await assign_handler(client, portal, portal.ech)

    assert outcome(result, "caseAssignExternalCaseHandler")[0] == "CONFLICT"


async def test_unassigning(client, engine, world):
    portal = world.portal
    case = portal.handled_case

    unnamed = await assign_handler(client, portal, None, case=case)
    assert unnamed["data"]["caseAssignExternalCaseHandler"]["case"] == {
        "externalCaseHandlerOffice": {"name": "Tørk Bergen"},
        "externalCaseHandler": None,
    }
    assert await sees(client, portal, "other_partner", case)  # the office's again, pending
    removed = await assign_office(client, portal, None, case=case)

    assert removed["data"]["caseAssignExternalCaseHandlerOffice"]["case"] == {
        "externalCaseHandlerOffice": None,
        "externalCaseHandler": None,
    }
    assert not await sees(client, portal, "ech", case)
    assert [t for t, _ in await feed_types(engine, case.id)] == [
        "external_case_handler_assigned",
        "external_case_handler_office_assigned",
    ]


async def test_a_new_office_clears_the_named_handler(client, engine, world):
    portal = world.portal
    case = portal.handled_case
    async with engine.begin() as conn:  # make the partner's office eligible too
        await conn.execute(
            update(User)
            .where(User.id == portal.partner_user.id)
            .values(external_case_handler_eligible=True)
        )

    result = await assign_office(client, portal, portal.office, case=case)

    assert result["data"]["caseAssignExternalCaseHandlerOffice"]["case"] == {
        "externalCaseHandlerOffice": {"name": "Bygg Oslo"},
        "externalCaseHandler": None,
    }
    assert not await sees(client, portal, "ech", case)

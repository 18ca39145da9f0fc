"""Offices and office categories: who manages them, who sees the categories, input checks."""

from __future__ import annotations

import pytest

from tests.factories import gid
from tests.graphql import error_codes, gql
from tests.partners.helpers import grant_ech_rights

OFFICE_UPDATE = """
mutation ($input: OfficeUpdateInput!) {
  officeUpdate(input: $input) {
    office { name latitude longitude services availableForNewTasks }
    errors { code field message }
  }
}"""
OFFICE_CREATE = """
mutation ($input: OfficeCreateInput!) {
  officeCreate(input: $input) {
    office { name city services company { name } }
    errors { code field message }
  }
}"""
CATEGORY_CREATE = """
mutation ($input: OfficeCategoryCreateInput!) {
  officeCategoryCreate(input: $input) { category { id name description } errors { code field } }
}"""
CATEGORY_UPDATE = """
mutation ($input: OfficeCategoryUpdateInput!) {
  officeCategoryUpdate(input: $input) { category { name description } errors { code field } }
}"""
CATEGORY_DELETE = """
mutation ($input: OfficeCategoryDeleteInput!) {
  officeCategoryDelete(input: $input) { deletedCategoryId errors { code } }
}"""
CATEGORIES = "query { officeCategories { name } }"
OFFICE_CATEGORIES = """
query ($id: ID!) { node(id: $id) { ... on Office { name categories { name } } } }"""
CASE_OFFICE_CATEGORIES = """
query ($id: ID!) { case(id: $id) { tasks { title office { categories { name } } } } }"""


def outcome(result, name):
    if result.get("errors"):
        return error_codes(result)[0]
    errors = result["data"][name]["errors"]
    return errors[0]["code"] if errors else "ok"


@pytest.mark.parametrize(
    ("role", "office", "changes", "expected"),
    [
        ("staff", "office", {"name": "Bygg Oslo Øst", "services": ["Repair", "drying"]}, "ok"),
        ("admin", "other_office", {"latitude": 60.39, "longitude": 5.32}, "ok"),
        ("partner", "office", {"availableForNewTasks": False}, "ok"),
        ("partner", "office", {"name": "Mine now"}, "FORBIDDEN"),
        ("partner", "office", {"availableForNewTasks": False, "city": "Oslo"}, "FORBIDDEN"),
        ("partner", "other_office", {"availableForNewTasks": False}, "FORBIDDEN"),
        ("ech", "office", {"availableForNewTasks": False}, "FORBIDDEN"),
        ("customer", "office", {"availableForNewTasks": False}, "FORBIDDEN"),
        ("integration", "office", {"availableForNewTasks": False}, "FORBIDDEN"),
        ("staff", "office", {"latitude": 91.0, "longitude": 10.0}, "BAD_USER_INPUT"),
        ("staff", "office", {"latitude": 59.9}, "BAD_USER_INPUT"),
        ("staff", "office", {"longitude": -181.0, "latitude": 0.0}, "BAD_USER_INPUT"),
        ("staff", "office", {"name": "  "}, "BAD_USER_INPUT"),
        ("staff", "office", {"services": ["x" * 41]}, "BAD_USER_INPUT"),
    ],
)
async def test_office_update_permissions_and_input(client, world, role, office, changes, expected):
    portal = world.portal
    office_row = getattr(portal, office)
    variables = {"input": {"officeId": gid("Office", office_row.id), **changes}}
    result = await gql(client, OFFICE_UPDATE, variables, token=portal.tokens[role])
    assert outcome(result, "officeUpdate") == expected, result
    if expected == "ok":
        office_out = result["data"]["officeUpdate"]["office"]
        if "services" in changes:
            assert office_out["services"] == ["repair", "drying"]
        if "availableForNewTasks" in changes:
            assert office_out["availableForNewTasks"] is False
        if "latitude" in changes:
            assert (office_out["latitude"], office_out["longitude"]) == (60.39, 5.32)


async def test_another_portal_cannot_touch_an_office(client, world):
    variables = {"input": {"officeId": gid("Office", world.portal.office.id), "name": "Mine"}}
    result = await gql(client, OFFICE_UPDATE, variables, token=world.foreign.tokens["staff"])
    assert error_codes(result) == ["NOT_FOUND"]


async def test_staff_create_an_office_for_a_partner_company(client, world):
    portal = world.portal
    base = {"name": "Bygg Lillestrøm", "city": "Lillestrøm", "services": ["repair"]}
    cases = [
        ("staff", portal.partner.id, "ok"),
        ("staff", portal.insurer.id, "BAD_USER_INPUT"),  # not a partner company
        ("staff", world.foreign.partner.id, "NOT_FOUND"),
        ("partner", portal.partner.id, "FORBIDDEN"),
    ]
    for role, company_id, expected in cases:
        variables = {"input": {**base, "companyId": gid("Company", company_id)}}
        result = await gql(client, OFFICE_CREATE, variables, token=portal.tokens[role])
        assert outcome(result, "officeCreate") == expected, (role, result)
    ok = await gql(
        client,
        OFFICE_CREATE,
        {"input": {**base, "companyId": gid("Company", portal.partner.id)}},
        token=portal.tokens["staff"],
    )
    assert ok["data"]["officeCreate"]["office"]["company"]["name"] == portal.partner.name


async def test_categories_lifecycle_and_who_defines_them(client, world):
    portal = world.portal
    create = {"input": {"name": "Preferred", "description": "First choice"}}
    refused = await gql(client, CATEGORY_CREATE, create, token=portal.tokens["staff"])  # level 3
    assert error_codes(refused) == ["FORBIDDEN"]
    created = await gql(client, CATEGORY_CREATE, create, token=portal.tokens["admin"])
    category = created["data"]["officeCategoryCreate"]["category"]
    assert category["name"] == "Preferred"
    duplicate = await gql(client, CATEGORY_CREATE, create, token=portal.tokens["admin"])
    assert duplicate["data"]["officeCategoryCreate"]["errors"][0]["code"] == "CONFLICT"
    # A same-named category in another portal is another category.
    foreign = await gql(client, CATEGORY_CREATE, create, token=world.foreign.tokens["admin"])
    assert foreign["data"]["officeCategoryCreate"]["errors"] == []
    update = {
        "input": {"categoryId": category["id"], "name": "Preferred partner", "description": ""}
    }
    updated = await gql(client, CATEGORY_UPDATE, update, token=portal.tokens["admin"])
    assert updated["data"]["officeCategoryUpdate"]["category"] == {
        "name": "Preferred partner",
        "description": None,
    }
    stolen = await gql(client, CATEGORY_UPDATE, update, token=world.foreign.tokens["admin"])
    assert error_codes(stolen) == ["NOT_FOUND"]
    listed = await gql(client, CATEGORIES, token=portal.tokens["staff"])
    assert listed["data"]["officeCategories"] == [{"name": "Preferred partner"}]
    delete = {"input": {"categoryId": category["id"]}}
    deleted = await gql(client, CATEGORY_DELETE, delete, token=portal.tokens["admin"])
    assert deleted["data"]["officeCategoryDelete"]["deletedCategoryId"] == category["id"]
    listed = await gql(client, CATEGORIES, token=portal.tokens["staff"])
    assert listed["data"]["officeCategories"] == []


@pytest.fixture
async def categorized(client, world):
    """`office` and `other_office` in the category 'Preferred'."""
    portal = world.portal
    created = await gql(
        client, CATEGORY_CREATE, {"input": {"name": "Preferred"}}, token=portal.tokens["admin"]
    )
    category_id = created["data"]["officeCategoryCreate"]["category"]["id"]
    for office in (portal.office, portal.other_office):
        variables = {"input": {"officeId": gid("Office", office.id), "categoryIds": [category_id]}}
        result = await gql(client, OFFICE_UPDATE, variables, token=portal.tokens["staff"])
        assert result["data"]["officeUpdate"]["errors"] == []
    return portal


@pytest.mark.parametrize(
    ("role", "rights", "expected"),
    [
        ("staff", [], "ok"),
        ("admin", [], "ok"),
        ("integration", [], "ok"),
        ("ech", ["see_office_categories"], "ok"),  # handles an open case
        ("ech", ["assign_tasks"], "FORBIDDEN"),
        ("partner", ["see_office_categories"], "FORBIDDEN"),  # handles no case
        ("other_partner", ["see_office_categories"], "FORBIDDEN"),
        ("partner_integration", ["see_office_categories"], "FORBIDDEN"),
    ],
)
async def test_who_sees_office_categories(client, engine, categorized, role, rights, expected):
    portal = categorized
    await grant_ech_rights(engine, portal, *rights)
    token = portal.tokens[role]
    on_office = await gql(
        client, OFFICE_CATEGORIES, {"id": gid("Office", portal.office.id)}, token=token
    )
    listed = await gql(client, CATEGORIES, token=token)
    if expected == "ok":
        assert on_office["data"]["node"]["categories"] == [{"name": "Preferred"}]
        assert listed["data"]["officeCategories"] == [{"name": "Preferred"}]
    else:
        assert error_codes(on_office) == [expected]
        assert error_codes(listed) == [expected]


async def test_categories_through_a_case_follow_the_same_rule(client, engine, categorized):
    portal = categorized
    await grant_ech_rights(engine, portal, "see_office_categories")
    variables = {"id": gid("Case", portal.case.id)}
    staff = await gql(client, CASE_OFFICE_CATEGORIES, variables, token=portal.tokens["staff"])
    offices = [t["office"] for t in staff["data"]["case"]["tasks"]]
    assert offices == [{"categories": [{"name": "Preferred"}]}] * 2 + [None]
    partner = await gql(client, CASE_OFFICE_CATEGORIES, variables, token=portal.tokens["partner"])
    assert set(error_codes(partner)) == {"FORBIDDEN"}

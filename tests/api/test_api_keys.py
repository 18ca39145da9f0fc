"""Company admins create and revoke API keys; keys act within their scopes."""

from __future__ import annotations

from tests.factories import gid
from tests.graphql import error_codes, gql

CREATE = """
mutation ($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) { key apiKey { id prefix scopes } errors { code field message } }
}"""
REVOKE = (
    """mutation ($id: ID!) { apiKeyRevoke(id: $id) { apiKey { revokedAt } errors { code } } }"""
)
CASES = "{ cases(first: 5) { totalCount } }"


async def test_admin_creates_a_scoped_key_and_revokes_it(client, world):
    portal = world.portal
    created = await gql(
        client,
        CREATE,
        {"input": {"name": "Claims system", "scopes": ["CASES_READ", "BUDGETS_READ"]}},
        token=portal.tokens["admin"],
    )
    payload = created["data"]["apiKeyCreate"]
    assert payload["errors"] == [] and payload["key"].startswith("cgk_")
    assert payload["apiKey"]["scopes"] == ["budgets:read", "cases:read"]
    listing = await gql(client, CASES, token=payload["key"])
    assert listing["data"]["cases"]["totalCount"] == 3
    revoked = await gql(
        client, REVOKE, {"id": payload["apiKey"]["id"]}, token=portal.tokens["admin"]
    )
    assert revoked["data"]["apiKeyRevoke"]["apiKey"]["revokedAt"] is not None
    assert error_codes(await gql(client, CASES, token=payload["key"])) == ["UNAUTHENTICATED"]


async def test_partner_company_key_sees_only_its_cases(client, world):
    portal = world.portal
    created = await gql(
        client,
        CREATE,
        {
            "input": {
                "name": "Bygg ERP",
                "scopes": ["CASES_READ"],
                "companyId": gid("Company", portal.partner.id),
            }
        },
        token=portal.tokens["admin"],
    )
    key = created["data"]["apiKeyCreate"]["key"]
    assert (await gql(client, CASES, token=key))["data"]["cases"]["totalCount"] == 1


async def test_only_admins_manage_keys(client, world):
    portal = world.portal
    variables = {"input": {"name": "x", "scopes": ["CASES_READ"]}}
    for role in ("staff", "partner", "customer", "integration"):
        assert error_codes(await gql(client, CREATE, variables, token=portal.tokens[role])) == [
            "FORBIDDEN"
        ]
    foreign_company = {
        "input": {
            "name": "x",
            "scopes": ["CASES_READ"],
            "companyId": gid("Company", world.foreign.partner.id),
        }
    }
    result = await gql(client, CREATE, foreign_company, token=portal.tokens["admin"])
    assert error_codes(result) == ["NOT_FOUND"]
    empty = await gql(
        client, CREATE, {"input": {"name": "x", "scopes": []}}, token=portal.tokens["admin"]
    )
    assert empty["data"]["apiKeyCreate"]["errors"][0]["code"] == "BAD_USER_INPUT"

"""Introspection is how integrators learn the API: on for staff, partners and API keys;
customer sessions can be denied it (INTROSPECTION_FOR_CUSTOMERS=false)."""

from __future__ import annotations

from tests.graphql import app_client, error_codes, gql

SCHEMA = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Case") { name } }'


async def test_introspection_can_be_turned_off_for_customers_only(settings, world):
    tokens = world.portal.tokens
    async with app_client(settings, introspection_for_customers=False) as http:
        for query in (SCHEMA, TYPE, "fragment F on Query { __schema { types { name } } } { ...F }"):
            assert error_codes(await gql(http, query, token=tokens["customer"])) == ["FORBIDDEN"]
        typename = await gql(http, "{ __typename viewer { role } }", token=tokens["customer"])
        assert typename["data"]["__typename"] == "Query"  # not introspection of the schema
        for role in ("staff", "partner", "integration"):
            result = await gql(http, SCHEMA, token=tokens[role])
            assert result["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_customers_may_introspect_by_default(client, world):
    result = await gql(client, TYPE, token=world.portal.tokens["customer"])
    assert result["data"]["__type"]["name"] == "Case"

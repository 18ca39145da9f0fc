"""Regressions from the review of the public-API limits: fragment fan-out, oversized
documents, float page sizes, and the Idempotency-Key on sign-in."""

from __future__ import annotations

import time

from tests.graphql import error_codes, gql


def _fan_out(levels: int) -> str:
    """A few hundred bytes whose spreads double at every level: 2**levels fields."""
    fragments = [f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels)]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ __typename }}"


async def test_fragment_fan_out_is_refused_at_once(client, world):
    started = time.perf_counter()
    result = await gql(client, _fan_out(23), token=world.portal.tokens["staff"])
    elapsed = time.perf_counter() - started
    assert error_codes(result) == ["QUERY_TOO_COMPLEX"]
    assert result["errors"][0]["extensions"]["limit"] == "selections"
    assert elapsed < 5, elapsed  # it froze the process for over a minute before
    small = await gql(client, _fan_out(12), token=world.portal.tokens["staff"])
    assert "errors" not in small, small  # 4096 fields: under the limit


async def test_an_oversized_document_is_refused_before_parsing(client, world):
    query = "# " + "x" * 200_000 + "\n{ __typename }"
    result = await gql(client, query, token=world.portal.tokens["staff"])
    assert error_codes(result) == ["QUERY_TOO_COMPLEX"]
    assert result["errors"][0]["extensions"]["limit"] == "size"


async def test_a_float_page_size_costs_what_it_fetches(client, world):
    query = (
        "query ($n: Int) { cases(first: $n) { nodes { documents(first: $n) { nodes { id } } } } }"
    )
    token = world.portal.tokens["staff"]
    for n in (100, 100.0):
        result = await gql(client, query, {"n": n}, token=token)
        assert error_codes(result) == ["COST_LIMIT"], (n, result)


async def test_sign_in_ignores_an_idempotency_key(client, world):
    from tests.factories import PASSWORD

    mutation = "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
    response = await client.post(
        "/graphql",
        json={"query": mutation, "variables": {"e": world.portal.handler.email, "p": PASSWORD}},
        headers={"Idempotency-Key": "sign-in-1"},
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["login"]["token"]


async def test_instants_outside_utc_years_are_bad_input_not_500(client, world):
    token = world.portal.tokens["staff"]
    for instant in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        result = await gql(
            client,
            "query ($t: DateTime) { cases(first: 1, filter: {createdAfter: $t}) { totalCount } }",
            {"t": instant},
            token=token,
        )
        assert error_codes(result) in (["BAD_USER_INPUT"], ["GRAPHQL_VALIDATION_FAILED"]), result
        response = await client.get(
            "/reports/case-statistics.csv",
            params={"createdAfter": instant},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 400, response.text

"""Abuse limits at their boundaries: exactly at the limit passes, one over is refused with
its code, before anything runs. Also over WebSocket, and on the lean path."""

from __future__ import annotations

from schema.cost import MAX_COST
from schema.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from tests.graphql import error_codes, gql

# Depth counts fields from the root to the deepest leaf.
DEPTH_9 = "{ cases(first: 1) { edges { node { messages(first: 1) { edges { node { attachments { uploadedBy { office { name } } } } } } } } } }"
DEPTH_10 = "{ cases(first: 1) { edges { node { messages(first: 1) { edges { node { attachments { uploadedBy { office { company { name } } } } } } } } } } }"
# cases: 1 + 49 x (case 1 + documents 1 + 100 documents) = 4999; viewer 1 more; user 1 more.
COST_5000 = (
    "{ viewer { role } cases(first: 49) { nodes { documents(first: 100) { nodes { id } } } } }"
)
COST_5001 = "{ viewer { user { id } } cases(first: 49) { nodes { documents(first: 100) { nodes { id } } } } }"


def aliases(n: int) -> str:
    return "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(n)) + " }"


def tokens(n: int) -> str:
    """A document of exactly `n` lexer tokens: 16 around a list of n - 16 enum values."""
    statuses = " ".join(["OPEN"] * (n - 16))
    return "{ cases(filter: { status: [" + statuses + "] }) { totalCount } }"


def test_the_limits_are_the_documented_ones():
    assert (MAX_DEPTH, MAX_ALIASES, MAX_TOKENS, MAX_COST) == (9, 20, 2000, 5000)


async def test_depth_at_the_limit_passes_and_one_over_fails(client, world):
    token = world.portal.tokens["staff"]
    assert "errors" not in await gql(client, DEPTH_9, token=token)
    refused = await gql(client, DEPTH_10, token=token)
    assert error_codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert refused["errors"][0]["extensions"]["limit"] == "depth"
    assert refused["data"] is None


async def test_aliases_at_the_limit_pass_and_one_over_fails(client, world):
    token = world.portal.tokens["staff"]
    assert "errors" not in await gql(client, aliases(MAX_ALIASES), token=token)
    refused = await gql(client, aliases(MAX_ALIASES + 1), token=token)
    assert error_codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert refused["errors"][0]["extensions"]["limit"] == "aliases"


async def test_tokens_at_the_limit_pass_and_one_over_fails(client, world):
    token = world.portal.tokens["staff"]
    assert "errors" not in await gql(client, tokens(MAX_TOKENS), token=token)
    refused = await gql(client, tokens(MAX_TOKENS + 1), token=token)
    assert error_codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert refused["errors"][0]["extensions"]["limit"] == "tokens"


async def test_page_sizes_are_1_to_100_on_every_connection(client, world):
    token = world.portal.tokens["staff"]
    case_id = world.portal.case.id
    from tests.factories import gid

    for field in ("documents", "feed", "messages", "comments"):
        query = f"query ($id: ID!, $n: Int) {{ case(id: $id) {{ {field}(first: $n) {{ totalCount }} }} }}"
        variables = {"id": gid("Case", case_id)}
        assert "errors" not in await gql(client, query, {**variables, "n": 100}, token=token)
        assert error_codes(await gql(client, query, {**variables, "n": 101}, token=token)) == [
            "BAD_USER_INPUT"
        ]
        assert error_codes(await gql(client, query, {**variables, "n": 0}, token=token)) == [
            "BAD_USER_INPUT"
        ]
    for n, ok in ((100, True), (101, False)):
        result = await gql(client, f"{{ cases(last: {n}) {{ totalCount }} }}", token=token)
        assert ("errors" not in result) is ok


async def test_cost_at_the_maximum_passes_and_one_over_is_refused_before_it_runs(
    client, world, count_statements
):
    token = world.portal.tokens["staff"]
    allowed = await gql(client, COST_5000, token=token)
    assert "errors" not in allowed
    cost = allowed["extensions"]["cost"]
    assert cost["requested"] == MAX_COST and 0 < cost["actual"] <= cost["requested"]
    with count_statements() as counter:
        refused = await gql(client, COST_5001, token=token)
    assert error_codes(refused) == ["COST_LIMIT"]
    assert refused["errors"][0]["extensions"]["cost"] == {"requested": 5001, "maximum": 5000}
    assert refused["data"] is None
    assert refused["extensions"]["cost"]["requested"] == 5001
    assert refused["extensions"]["cost"]["actual"] == 0
    assert counter.count == 1  # the sign-in's user lookup; nothing of the operation ran


async def test_cost_follows_variables_and_their_defaults(client, world):
    token = world.portal.tokens["staff"]
    query = "query ($n: Int = 7) { cases(first: $n) { nodes { id } } }"
    defaulted = await gql(client, query, token=token)
    assert defaulted["extensions"]["cost"]["requested"] == 1 + 7
    given = await gql(client, query, {"n": 40}, token=token)
    assert given["extensions"]["cost"]["requested"] == 1 + 40


async def test_every_response_reports_its_cost_and_budget(client, world):
    token = world.portal.tokens["staff"]
    result = await gql(client, "{ viewer { role user { name } } }", token=token)
    cost = result["extensions"]["cost"]
    assert cost["requested"] == 2 and cost["actual"] == 2 and cost["maximum"] == MAX_COST
    assert cost["budget"]["limit"] == 10_000 and cost["budget"]["remaining"] < 10_000
    assert cost["budget"]["resetAt"]
    failed = await gql(client, "{ viewer { role } }", token="not-a-token")
    assert failed["extensions"]["cost"]["requested"] == 1

"""The lean read path (server/fast_path.py) answers exactly as the full application does,
and hands over whatever it cannot vouch for."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import text

from resolvers.auth import _hinted_principal, issue_token, principal_hint, user_claims
from server.app import create_app
from server.graphql_view import _ids, new_request_id
from tests.api.test_queries import W1
from tests.factories import gid
from tests.graphql import gql

W2 = """query ($id: ID!) { case(id: $id) { id number status budget
  tasks { id kind title status budgetEstimate office { name company { name } } responsible { name email } }
  documents(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title downloadUrl uploadedBy { name } } } }
  feed(first: 20) { nodes { id type createdAt cursor actor { name } } }
  messages(last: 20) { nodes { id direction body isRead authorContactId attachments { title } } pageInfo { hasPreviousPage startCursor } }
  comments(first: 5) { nodes { body author { name } } }
  contacts { name role } } }"""
W3 = "query ($id: ID!) { case(id: $id) { number status city } }"
CUSTOMER = "query ($id: ID!) { case(id: $id) { number tasks { title } documents(first: 5) { nodes { title } } feed(first: 5) { nodes { type } } messages(first: 5) { nodes { body } } } }"


@pytest.fixture(scope="module")
async def fast_app(settings):
    application = create_app(settings.model_copy(update={"compare_read_paths": False}))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def fast(fast_app):
    transport = httpx.ASGITransport(app=fast_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _compiled_lines(caplog) -> int:
    return sum(1 for r in caplog.records if getattr(r, "path", None) == "compiled")


@pytest.mark.parametrize(
    ("role", "query", "case_attr"),
    [
        ("staff", W1, None),
        ("partner", W1, None),
        ("customer", W1, None),
        ("staff", W2, "case"),
        ("ech", W2, "handled_case"),
        ("staff", W3, "case"),
        ("customer", CUSTOMER, "case"),
        ("partner", W3, "lonely_case"),
        ("partner", W2, "case"),
    ],
)
async def test_fast_path_answers_as_the_application_does(
    client, fast, world, role, query, case_attr, caplog
):
    portal = world.portal
    variables = (
        {"first": 5} if case_attr is None else {"id": gid("Case", getattr(portal, case_attr).id)}
    )
    expected = await gql(
        client, query, variables, token=portal.tokens[role]
    )  # compared in the suite's mode
    with caplog.at_level(logging.INFO, logger="casegraph.request"):
        actual = await gql(fast, query, variables, token=portal.tokens[role])
    for result in (expected, actual):
        for error in result.get("errors", []):
            error["extensions"].pop("requestId", None)
        # Both paths report the same cost; the budget left differs from request to request.
        assert result["extensions"]["cost"].pop("budget")["limit"] > 0
    assert actual == expected


async def test_fast_path_is_taken_for_plain_reads(fast, world, caplog):
    portal = world.portal
    with caplog.at_level(logging.INFO, logger="casegraph.request"):
        result = await gql(
            fast, W3, {"id": gid("Case", portal.case.id)}, token=portal.tokens["staff"]
        )
    assert result["data"]["case"]["number"] == portal.case.number
    assert _compiled_lines(caplog) == 1


async def test_a_token_the_database_no_longer_backs_is_handed_over(fast, world, engine):
    portal = world.portal
    variables = {"id": gid("Case", portal.case.id)}
    assert "errors" not in await gql(fast, W3, variables, token=portal.tokens["partner"])
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET office_id = :o WHERE id = :u"),
            {"o": portal.other_office.id, "u": portal.partner_user.id},
        )
    moved = await gql(fast, W3, variables, token=portal.tokens["partner"])
    # The hint says the old office; the database says the new one, which has a task too.
    assert moved["data"]["case"]["number"] == portal.case.number
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET active = false WHERE id = :u"), {"u": portal.partner_user.id}
        )
        await conn.execute(
            text("UPDATE customer_access_grants SET revoked_at = now() WHERE id = :g"),
            {"g": portal.ids["grant"]},
        )
    for role in ("partner", "customer"):
        result = await gql(fast, W3, variables, token=portal.tokens[role])
        assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]


async def test_api_keys_and_mutations_take_the_full_path(fast, world):
    portal = world.portal
    result = await gql(
        fast, W3, {"id": gid("Case", portal.case.id)}, token=portal.tokens["integration"]
    )
    assert result["data"]["case"]["number"] == portal.case.number
    mutation = "mutation ($i: CommentAddInput!) { commentAdd(input: $i) { errors { code } } }"
    done = await gql(
        fast,
        mutation,
        {"i": {"caseId": gid("Case", portal.case.id), "body": "ok"}},
        token=portal.tokens["staff"],
    )
    assert done["data"]["commentAdd"]["errors"] == []


def test_a_token_hint_is_kept_but_its_expiry_is_checked_on_every_use(monkeypatch):
    key = "k" * 32
    user = SimpleNamespace(id=7, kind="staff", insurer_id=1, company_id=2, office_id=None,
                           authority_level=3)  # fmt: skip
    token, expires = issue_token(user_claims(user), key, ttl_seconds=60)
    first = principal_hint(token, key)
    assert first is not None and first.user_id == 7 and first.authority_level == 3
    assert principal_hint(token, key) is first  # built once per token
    assert principal_hint(token, "o" * 32) is None  # another signing key
    later = expires.timestamp() + 1
    monkeypatch.setattr("resolvers.auth.time.time", lambda: later)
    assert principal_hint(token, key) is None


def test_tokens_without_a_hint_are_not_kept():
    """Reported by a review: a cached None per forged token let anyone pin memory with
    junk bearer tokens (httptools sets no header size limit)."""
    _hinted_principal.cache_clear()
    for junk in ("x" * 100, "eyJ" + "y" * 3000, "a.b.c"):
        assert principal_hint(junk, "k" * 32) is None
    assert principal_hint("z" * 5000, "k" * 32) is None  # not even looked at
    assert _hinted_principal.cache_info().currsize == 0


def test_request_ids_are_unique_and_a_sane_given_one_is_kept():
    made = {new_request_id("") for _ in range(10_000)}
    assert len(made) == 10_000 and all(len(i) == 32 and int(i, 16) >= 0 for i in made)
    assert new_request_id("client-id-1234") == "client-id-1234"
    assert new_request_id("bad id with spaces") not in ("bad id with spaces", *made)
    prefix = _ids.prefix
    _ids.reset()  # what a forked worker does: its ids cannot repeat its parent's
    assert _ids.prefix != prefix


async def test_literal_arguments_are_read_once_and_variables_on_every_request(
    client, fast, world, caplog
):
    portal = world.portal
    query = """query ($id: ID!, $n: Int) { case(id: $id) {
      feed(first: 2) { nodes { id } } documents(first: $n) { totalCount nodes { id } } } }"""
    token, case_id = portal.tokens["staff"], gid("Case", portal.case.id)
    for n in (1, 3, 2, 1):
        variables = {"id": case_id, "n": n}
        expected = await gql(client, query, variables, token=token)
        with caplog.at_level(logging.INFO, logger="casegraph.request"):
            actual = await gql(fast, query, variables, token=token)
        documents = actual["data"]["case"]["documents"]
        assert len(documents["nodes"]) == min(n, documents["totalCount"])
        assert len(actual["data"]["case"]["feed"]["nodes"]) <= 2
        assert actual["data"] == expected["data"]
    assert _compiled_lines(caplog) == 4

"""Trusted documents: registered from a manifest with the CLI, named by sha256 hash as
Apollo's persisted-queries link does (POST and GET), and the only documents customer
sessions may run when so configured. Staff keep arbitrary documents."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import gid
from tests.graphql import app_client, error_codes

CASEGRAPH = str(Path(sys.executable).with_name("casegraph"))
CUSTOMER_CASE = "query CustomerCase($id: ID!) { case(id: $id) { number status } }"
CUSTOMER_VIEWER = "query CustomerViewer { viewer { role } }"
NOT_REGISTERED = "query Sneaky { viewer { role case { number } } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


@pytest.fixture(scope="module")
def registered(database_url, tmp_path_factory) -> dict[str, str]:
    """Both manifest formats, registered with `casegraph documents register`."""
    folder = tmp_path_factory.mktemp("manifests")
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {
                "id": sha(CUSTOMER_CASE),
                "name": "CustomerCase",
                "type": "query",
                "body": CUSTOMER_CASE,
            }
        ],
    }
    (folder / "ios.json").write_text(json.dumps(apollo))
    (folder / "web.json").write_text(json.dumps({sha(CUSTOMER_VIEWER): CUSTOMER_VIEWER}))
    (folder / "bad.json").write_text(json.dumps({"0" * 64: CUSTOMER_VIEWER}))
    env = {**os.environ, "DATABASE_URL": database_url}
    outputs = {}
    for name in ("ios", "web", "bad"):
        done = subprocess.run(
            [CASEGRAPH, "documents", "register", str(folder / f"{name}.json")],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        outputs[name] = (done.returncode, done.stdout + done.stderr)
    assert outputs["ios"][0] == 0 and "1 newly registered" in outputs["ios"][1]
    assert outputs["web"][0] == 0
    assert outputs["bad"][0] == 2 and "not the sha256" in outputs["bad"][1]
    return {"case": CUSTOMER_CASE, "viewer": CUSTOMER_VIEWER}


async def test_customers_run_registered_documents_only(settings, world, registered):
    token = {"Authorization": f"Bearer {world.portal.tokens['customer']}"}
    variables = {"id": gid("Case", world.portal.case.id)}
    async with app_client(settings, trusted_documents_only_for_customers=True) as http:
        # A registered document, by hash only (POST) ...
        by_hash = await http.post(
            "/graphql",
            json={"variables": variables, "extensions": persisted(CUSTOMER_CASE)},
            headers=token,
        )
        assert by_hash.json()["data"]["case"]["number"] == world.portal.case.number
        # ... by hash over GET, as Apollo's link sends queries with useGETForHashedQueries ...
        params = {"extensions": json.dumps(persisted(CUSTOMER_VIEWER))}
        got = await http.get(
            "/graphql", params=params, headers={**token, "Accept": "application/json"}
        )
        assert got.json()["data"]["viewer"]["role"] == "CUSTOMER"
        # ... and by its exact text.
        by_text = await http.post("/graphql", json={"query": CUSTOMER_VIEWER}, headers=token)
        assert "errors" not in by_text.json()

        # An unregistered hash: Apollo's link then sends the document with the hash...
        unknown = await http.post(
            "/graphql", json={"extensions": persisted(NOT_REGISTERED)}, headers=token
        )
        assert error_codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
        assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
        # ... which a customer session may not run.
        full = await http.post(
            "/graphql",
            json={"query": NOT_REGISTERED, "extensions": persisted(NOT_REGISTERED)},
            headers=token,
        )
        assert error_codes(full.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        assert full.json()["data"] is None
        plain = await http.post("/graphql", json={"query": NOT_REGISTERED}, headers=token)
        assert error_codes(plain.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]

        # Staff keep arbitrary (cost-limited) documents.
        staff = {"Authorization": f"Bearer {world.portal.tokens['staff']}"}
        anything = await http.post("/graphql", json={"query": NOT_REGISTERED}, headers=staff)
        assert anything.json()["data"]["viewer"]["role"] == "STAFF"


async def test_automatic_persisted_queries_for_everyone_else(settings, world):
    staff = {"Authorization": f"Bearer {world.portal.tokens['staff']}"}
    query = "query Apq { viewer { role user { name } } }"
    async with app_client(settings, trusted_documents_only_for_customers=True) as http:
        first = await http.post("/graphql", json={"extensions": persisted(query)}, headers=staff)
        assert error_codes(first.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
        assert first.status_code == 200  # Apollo's link gives up on persisted queries on a 400
        retry = await http.post(
            "/graphql", json={"query": query, "extensions": persisted(query)}, headers=staff
        )
        assert retry.json()["data"]["viewer"]["role"] == "STAFF"
        again = await http.post("/graphql", json={"extensions": persisted(query)}, headers=staff)
        assert again.json()["data"] == retry.json()["data"]
        # A hash that does not match the document is refused.
        wrong = await http.post(
            "/graphql", json={"query": query, "extensions": persisted("{ x }")}, headers=staff
        )
        assert error_codes(wrong.json()) == ["BAD_USER_INPUT"]


async def test_customer_sessions_accept_anything_unless_configured(client, world):
    token = {"Authorization": f"Bearer {world.portal.tokens['customer']}"}
    result = await client.post("/graphql", json={"query": NOT_REGISTERED}, headers=token)
    assert result.json()["data"]["viewer"]["role"] == "CUSTOMER"

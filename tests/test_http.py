"""The HTTP surface: health, readiness, GraphiQL, request ids, masked internal errors."""

from __future__ import annotations

import logging

from tests.graphql import gql


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


async def test_graphiql_on_get(client):
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_request_id_in_header_and_every_error(client):
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"X-Request-ID": "trace-abc-12345"},
    )
    assert response.headers["x-request-id"] == "trace-abc-12345"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "requestId": "trace-abc-12345"}
    syntax = await client.post("/graphql", json={"query": "{ viewer { "})
    body = syntax.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert body["errors"][0]["extensions"]["requestId"] == syntax.headers["x-request-id"]


async def test_unexpected_errors_are_masked_and_logged(client, world, monkeypatch, caplog):
    from resolvers import loaders

    async def broken(self, stmt):
        raise RuntimeError("secret detail from the database layer")

    monkeypatch.setattr(loaders.Loaders, "_rows", broken)
    with caplog.at_level(logging.ERROR, logger="casegraph.errors"):
        result = await gql(
            client, "{ viewer { user { name } } }", token=world.portal.tokens["staff"]
        )
    error = result["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    assert "secret detail" not in error["message"]
    assert error["extensions"]["requestId"] in error["message"]
    assert any(
        getattr(r, "requestId", None) == error["extensions"]["requestId"] for r in caplog.records
    )


async def test_one_log_line_per_operation(client, world, caplog):
    with caplog.at_level(logging.INFO, logger="casegraph.request"):
        await gql(client, "query Mine { viewer { role } }", token=world.portal.tokens["staff"])
        await gql(client, "query Broken { viewer { role } }", token="bad")
    lines = [r for r in caplog.records if r.name == "casegraph.request"]
    assert [line.operationName for line in lines] == ["Mine", "Broken"]
    assert lines[0].principal == f"staff:{world.portal.handler.id}"
    assert lines[0].errorCodes == [] and lines[1].errorCodes == ["UNAUTHENTICATED"]
    assert lines[0].durationMs >= 0 and lines[0].requestId

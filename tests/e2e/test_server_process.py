"""End to end: `casegraph serve` as a real process (two workers, Redis broker), driven
over HTTP the way a web or mobile app would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio as aioredis

from tests.e2e.process import serve
from tests.factories import PASSWORD, build_portal, gid


@pytest.fixture(scope="module")
def server(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serve(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path_factory.mktemp("e2e-data"),
        log=tmp_path_factory.mktemp("e2e-log") / "server.log",
    ) as process:
        yield process.base


async def test_a_client_session_over_http(server, engine, settings, redis_url):
    portal = await build_portal(engine, settings, "E2E")
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        ready = (await http.get("/readyz")).json()
        assert ready == {"status": "ready", "database": "ok", "broker": "ok"}

        login = await http.post(
            "/graphql",
            json={
                "query": "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                "variables": {"e": portal.handler.email, "p": PASSWORD},
            },
        )
        token = login.json()["data"]["login"]["token"]
        auth = {"Authorization": f"Bearer {token}"}

        # Publishing reaches Redis after the commit, for any process to fan out.
        redis = aioredis.from_url(redis_url)
        pubsub = redis.pubsub()
        channel = f"case:{portal.case.id}:messages"
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=1)  # the subscribe confirmation

        sent = await http.post(
            "/graphql",
            headers=auth,
            json={
                "query": "mutation ($i: MessageSendInput!) { messageSend(input: $i) { message { id body } errors { code } } }",
                "variables": {
                    "i": {"caseId": gid("Case", portal.case.id), "body": "We come at nine."}
                },
            },
        )
        assert sent.json()["data"]["messageSend"]["errors"] == []
        event = None
        for _ in range(50):
            event = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if event:
                break
        await pubsub.aclose()
        await redis.aclose()
        assert event is not None, "no event published to Redis"
        assert json.loads(event["data"])["caseId"] == portal.case.id

        # Many requests spread over both workers all see the committed message.
        query = {
            "query": "query ($id: ID!) { case(id: $id) { messages(first: 1) { nodes { body } } } }",
            "variables": {"id": gid("Case", portal.case.id)},
        }
        responses = await asyncio.gather(
            *[http.post("/graphql", headers=auth, json=query) for _ in range(20)]
        )
        bodies = {r.json()["data"]["case"]["messages"]["nodes"][0]["body"] for r in responses}
        assert bodies == {"We come at nine."}
        assert all(r.headers.get("x-request-id") for r in responses)

        graphiql = await http.get("/graphql", headers={"Accept": "text/html"})
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()

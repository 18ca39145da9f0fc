"""End to end: `casegraph serve` as a real process (two workers, Redis broker), driven
over HTTP the way a web or mobile app would."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from tests.factories import PASSWORD, build_portal, gid

CASEGRAPH = str(Path(sys.executable).with_name("casegraph"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CASEGRAPH_DATA_DIR": str(tmp_path_factory.mktemp("e2e-data")),
        "SECRET_KEY": "e2e-secret-key-0123456789-0123456789-0123456789",
    }
    log = tmp_path_factory.mktemp("e2e-log") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [CASEGRAPH, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"server did not become ready:\n{log.read_text()}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        server_log = log.read_text()
        assert "Traceback" not in server_log, server_log


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

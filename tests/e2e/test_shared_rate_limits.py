"""Rate limits are shared by server processes: two real `casegraph serve` processes on
one Redis draw from one bucket per client."""

from __future__ import annotations

import httpx
import pytest
import redis.asyncio as aioredis

from tests.factories import build_portal
from tests.subscriptions.servers import start_servers

VIEWER = {"query": "{ viewer { role } }"}  # costs 1


@pytest.fixture(scope="module")
def two_servers(database_url, redis_url, settings, tmp_path_factory):
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CASEGRAPH_DATA_DIR": str(tmp_path_factory.mktemp("limits-data")),
        "SECRET_KEY": settings.signing_key(),  # the factories' tokens
        "RATE_LIMIT_POINTS": "20",
        "RATE_LIMIT_REFILL_PER_SECOND": "0.001",  # nothing refills during the test
    }
    servers = start_servers(env, tmp_path_factory.mktemp("limits-logs"), 2)
    yield servers
    for server in servers:
        assert "Traceback" not in server.stop()


async def test_two_processes_draw_from_one_bucket(two_servers, engine, settings, redis_url):
    portal = await build_portal(engine, settings, "Limits")
    token = portal.tokens["staff"]
    redis = aioredis.from_url(redis_url)
    await redis.delete(f"casegraph:bucket:staff:{portal.handler.id}")  # ids repeat per session
    await redis.aclose()
    auth = {"Authorization": f"Bearer {token}"}
    a, b = (httpx.AsyncClient(base_url=s.http, headers=auth, timeout=10) for s in two_servers)
    async with a, b:
        # 20 points, spent alternately on both processes: every one is granted...
        for n in range(20):
            response = await (a if n % 2 else b).post("/graphql", json=VIEWER)
            assert response.status_code == 200, response.text
            assert response.json()["extensions"]["cost"]["budget"]["remaining"] == 19 - n
        # ...and the 21st is refused by either, since they share the bucket.
        for http in (a, b):
            refused = await http.post("/graphql", json=VIEWER)
            assert refused.status_code == 429 and refused.headers["retry-after"]
            assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # The lean path (a signed user's plain read) is limited the same way.
        read = {"query": "{ cases(first: 1) { totalCount } }"}
        assert (await a.post("/graphql", json=read)).status_code == 429

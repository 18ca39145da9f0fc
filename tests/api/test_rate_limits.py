"""Points buckets per client: the boundary, 429 with Retry-After, the rateLimit query,
separate buckets per principal, and sign-in attempts per email and address."""

from __future__ import annotations

import asyncio

from tests.factories import PASSWORD
from tests.graphql import app_client, error_codes

VIEWER = "{ viewer { role } }"  # costs 1
NINE = "{ a: viewer { user { id } } b: viewer { user { id } } c: viewer { user { id } } d: viewer { role } e: viewer { role } f: viewer { role } }"
RATE_LIMIT = "{ rateLimit { limit remaining resetAt refillPerSecond cost maxCost } }"
LOGIN = "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }"


async def post(http, query, token=None, variables=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def test_a_bucket_spent_exactly_passes_and_one_point_more_is_refused(settings, world):
    token = world.portal.tokens["staff"]
    # 0.001 points per second: nothing refills while the test runs.
    async with app_client(
        settings, rate_limit_points=10, rate_limit_refill_per_second=0.001
    ) as http:
        nine = await post(http, NINE, token)
        assert nine.json()["extensions"]["cost"]["requested"] == 9
        assert nine.json()["extensions"]["cost"]["budget"]["remaining"] == 1
        last = await post(http, VIEWER, token)
        assert last.status_code == 200 and "errors" not in last.json()
        assert last.json()["extensions"]["cost"]["budget"]["remaining"] == 0

        refused = await post(http, VIEWER, token)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 999
        body = refused.json()
        assert error_codes(body) == ["RATE_LIMITED"] and body["data"] is None
        assert body["errors"][0]["extensions"]["retryAfter"] == int(refused.headers["retry-after"])
        assert body["errors"][0]["extensions"]["requestId"] == refused.headers["x-request-id"]

        # Buckets are per client: another principal of the same portal is unaffected.
        other = await post(http, VIEWER, world.portal.tokens["partner"])
        assert other.status_code == 200 and "errors" not in other.json()
        # So are API keys and customers.
        for role in ("integration", "customer"):
            assert (await post(http, VIEWER, world.portal.tokens[role])).status_code == 200


async def test_the_bucket_refills_over_time(settings, world):
    token = world.portal.tokens["staff"]
    async with app_client(settings, rate_limit_points=2, rate_limit_refill_per_second=20) as http:
        codes = [(await post(http, VIEWER, token)).status_code for _ in range(2)]
        assert codes == [200, 200]
        await asyncio.sleep(0.1)  # two points back
        assert (await post(http, VIEWER, token)).status_code == 200


async def test_rate_limit_query_shows_the_budget(settings, world):
    token = world.portal.tokens["staff"]
    async with app_client(
        settings, rate_limit_points=100, rate_limit_refill_per_second=0.001
    ) as http:
        await post(http, NINE, token)
        result = (await post(http, RATE_LIMIT, token)).json()
        budget = result["data"]["rateLimit"]
        assert budget["limit"] == 100 and budget["cost"] == 1 and budget["maxCost"] == 5000
        assert budget["remaining"] == 100 - 9 - 1
        assert budget["refillPerSecond"] == 0.001 and budget["resetAt"]
    async with app_client(settings, rate_limit_points=0) as http:
        off = (await post(http, RATE_LIMIT, token)).json()
        assert off["data"]["rateLimit"] is None and off["extensions"]["cost"]["budget"] is None


async def test_sign_in_attempts_are_limited_per_email_and_address(settings, world):
    email = world.portal.handler.email
    async with app_client(settings, login_attempts=3, login_window_seconds=3000) as http:
        for _ in range(3):
            wrong = (await post(http, LOGIN, variables={"e": email, "p": "guess"})).json()
            assert wrong["data"]["login"]["errors"][0]["code"] == "UNAUTHENTICATED"
        refused = await post(http, LOGIN, variables={"e": email, "p": PASSWORD})
        assert refused.status_code == 429 and error_codes(refused.json()) == ["RATE_LIMITED"]
        assert refused.json()["data"] is None  # not even the right password gets through
        # Another account from the same address is not locked out.
        other = world.portal.partner_user.email
        ok = (await post(http, LOGIN, variables={"e": other, "p": PASSWORD})).json()
        assert ok["data"]["login"]["token"]


async def test_spraying_many_emails_from_one_address_is_limited(settings, world):
    """Password spraying: one attempt per email stays under the per-email buckets, but the
    address's own bucket (10 × login_attempts = 20 here) ends it."""
    async with app_client(settings, login_attempts=2, login_window_seconds=3000) as http:
        codes = []
        for n in range(22):
            response = await post(http, LOGIN, variables={"e": f"nobody{n}@x.test", "p": "guess"})
            codes.append(response.status_code)
        assert codes[:20] == [200] * 20
        assert codes[20:] == [429, 429], codes

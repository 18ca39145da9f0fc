"""The customer app's page load: requests/s and p50/p99 of the whole `customerPage`.

Not a test. Seeds the demo data into its own database (`casegraph_bench_customer`), starts
`casegraph serve` on loopback, signs the demo customers in with their link tokens and has
`--concurrency` clients ask the whole page (branding, tabs, contact block, schedule, the
case with 20 feed entries, documents and messages) for `--duration` seconds, rotating over
the demo customers. Customers always take the resolver path (their view follows the page
configuration), so this measures that path with per-request principal and view reads.

    .venv/bin/python bench/customer_page.py
    .venv/bin/python bench/customer_page.py --duration 20 --concurrency 20 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import infra  # noqa: E402 - bench/ modules import each other as scripts do

from server.seed.demo import DEMO_CUSTOMER_TOKENS, seed_demo_if_empty  # noqa: E402
from server.settings import Settings  # noqa: E402

infra.DATABASE = "casegraph_bench_customer"

LOGIN = "mutation ($t: String!) { customerLogin(accessToken: $t) { token errors { code } } }"
WHOLE_PAGE = """{ customerPage {
  companyName branding { logoUrl menuBackground } milestones
  tabs { budget newsFeed schedule projectPlan communication documents }
  communication { direction canSend } budget
  contact { caseHandlerName caseHandlerMobile partners { officeName personName phone } helpText }
  schedule { title meetingAt officeName personName }
  case {
    number status damageType street city
    feed(first: 20) { edges { node { type createdAt details } } }
    documents(first: 20) { edges { node { title } } }
    messages(first: 20) { edges { node { body createdAt isRead sender { displayName } } } }
  }
} }"""


async def sign_in(http: httpx.AsyncClient) -> list[str]:
    tokens = []
    for link, _ in DEMO_CUSTOMER_TOKENS:
        response = await http.post("/graphql", json={"query": LOGIN, "variables": {"t": link}})
        token = response.json()["data"]["customerLogin"]["token"]
        if token:
            tokens.append(token)
    if not tokens:
        raise SystemExit("no demo customer could sign in (SMS codes required?)")
    return tokens


async def load(base_url: str, concurrency: int, duration: float) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        tokens = await sign_in(http)
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + duration

        async def client(index: int) -> None:
            nonlocal errors
            headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                response = await http.post("/graphql", json={"query": WHOLE_PAGE}, headers=headers)
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200 or "errors" in response.json():
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"customerPage (whole page, {len(tokens)} customers, {concurrency} clients, "
        f"{elapsed:.1f} s): {len(latencies) / elapsed:,.0f} req/s, "
        f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"{errors} errors"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    url = infra.prepare_database(fresh=True)
    asyncio.run(seed_demo_if_empty(url, Settings(database_url=url)))
    server = infra.ServerProcess(url, args.workers, infra.BENCH_DIR / "customer-page.log")
    try:
        server.wait_ready()
        asyncio.run(load(server.base_url, args.concurrency, args.duration))
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""PostGraphile 5 on the same machine, data and load as bench/run.py's server runs.

    .venv/bin/python bench/postgraphile.py [--concurrency 10] [--duration 10] [--warmup 2]

Needs Node.js and npm (`npm ci` in bench/postgraphile on first use) and the seeded
`casegraph_bench` (run bench/run.py once). Starts one Node process (amber preset, no JWT,
pool of `concurrency` connections), loads W1, W2 and W3 with the same client and checks,
and prints req/s, p50/p99 and the cores used. The issue that set the benchmark's aims
measured PostGraphile 5 at about 0.67 of its floor on W3; this measures it here.

PostGraphile's generated schema has no permissions: its numbers are what it costs to
answer, not to decide who may see what. PostGraphile 5.1 asks for Node 22; on older Node
the one missing built-in it calls (Promise.withResolvers) is polyfilled (polyfill.mjs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
import orjson
from cpu import tree_meter
from driver import Result, drive, rotation
from infra import ServerProcess, free_port, postmaster_pid, prepare_database
from rawhttp import RawPool
from report import WORKLOADS, fmt
from run import RESULTS, cpu_meters, run_async
from workloads import HEADERS, checked, clean

APP = Path(__file__).resolve().parent / "postgraphile"
W1 = """query W1($insurer: BigInt!) {
  allCases(condition: {insurerId: $insurer}, orderBy: [CREATED_AT_DESC, ROW_ID_DESC], first: 50) {
    nodes {
      id number status city damageType createdAt
      tasksByCaseId(orderBy: ROW_ID_ASC) { nodes { id kind title status } }
      documentsByCaseId(condition: {insurerId: $insurer}, orderBy: ROW_ID_DESC, first: 10) {
        nodes { id title fileName } }
      feedEntriesByCaseId(orderBy: ROW_ID_DESC, first: 5) { nodes { id type createdAt } }
    } } }"""
W2 = """query W2($id: ID!, $insurer: BigInt!) {
  case(id: $id) {
    id number status city damageType createdAt
    tasksByCaseId(orderBy: ROW_ID_ASC) { nodes { id kind title status } }
    documentsByCaseId(condition: {insurerId: $insurer}, orderBy: ROW_ID_DESC, first: 100) {
      nodes { id title fileName createdAt } }
    feedEntriesByCaseId(orderBy: ROW_ID_DESC, first: 20) { nodes { id type createdAt } }
    messagesByCaseId(orderBy: ROW_ID_DESC, first: 20) { nodes { id direction body createdAt } }
  } }"""
W3 = "query W3($id: ID!) { case(id: $id) { number status city } }"
CASE_IDS = "{ allCases(orderBy: ROW_ID_DESC, first: 500) { nodes { id } } }"


class PostGraphileProcess(ServerProcess):
    def __init__(self, url: str, pool: int, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = os.environ | {"NODE_ENV": "production", "DATABASE_URL": url}
        env |= {"PORT": str(self.port), "POOL_MAX": str(pool)}
        self._start(["node", "--import", "./polyfill.mjs", "server.mjs"], env, cwd=APP)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgraphile exited:\n{self.tail()}")
            try:
                probe = httpx.post(f"{self.base_url}/graphql", json={"query": "{__typename}"})
                if probe.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"postgraphile not ready after {timeout:.0f}s:\n{self.tail()}")


def install() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise SystemExit("Node.js and npm are needed (PostGraphile is a Node program)")
    if not (APP / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=APP, check=True)


async def measure(server: PostGraphileProcess, url: str, args: argparse.Namespace) -> dict:
    connection = await asyncpg.connect(url)
    insurer = str(await connection.fetchval("SELECT insurer_id FROM cases LIMIT 1"))
    await connection.close()
    raw = RawPool(server.base_url, HEADERS, args.concurrency)

    async def fetch(content: bytes) -> dict:
        return checked(await raw.post("/graphql", content))

    def body(query: str, variables: dict) -> bytes:
        return orjson.dumps({"query": query, "variables": variables})

    ids = [n["id"] for n in (await fetch(body(CASE_IDS, {})))["allCases"]["nodes"]]
    bodies = {
        "W1": rotation([body(W1, {"insurer": insurer})]),
        "W2": rotation([body(W2, {"id": i, "insurer": insurer}) for i in ids]),
        "W3": rotation([body(W3, {"id": i}) for i in ids]),
    }
    assert len((await fetch(bodies["W1"]()))["allCases"]["nodes"]) == 50
    meters = cpu_meters(None, await postmaster_pid(url)) | {"node": tree_meter(server.proc.pid)}
    results: dict[str, Result] = {}
    for name in ("W1", "W2", "W3"):
        print(f"  postgraphile {name} ...", flush=True)

        def pick(rng: object, name: str = name) -> object:
            content = bodies[name]()

            async def op() -> None:
                clean(await raw.post("/graphql", content))

            return op

        results[name] = await drive(
            name,
            pick,  # type: ignore[arg-type]
            concurrency=args.concurrency,
            duration=args.duration,
            warmup=args.warmup,
            meters=meters,
        )
    await raw.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    install()
    url = prepare_database(fresh=False).replace("postgresql+asyncpg://", "postgresql://")
    server = PostGraphileProcess(url, args.concurrency, RESULTS / "postgraphile.log")
    try:
        server.wait_ready()
        results = run_async(measure(server, url, args))
    finally:
        server.stop()
    print(f"\nPostGraphile 5 | concurrency {args.concurrency} | {args.duration:g}s each")
    print("workload | req/s | p50 ms | p99 ms | errors | cores used")
    for name in WORKLOADS:
        if name in results:
            r = results[name]
            cpu = ", ".join(f"{m} {c:.2f}" for m, c in r.cpu.items() if m != "machine")
            print(f"{name} | {fmt(r.rate)} | {fmt(r.percentile(0.5))} | "
                  f"{fmt(r.percentile(0.99))} | {r.errors} | {cpu}")  # fmt: skip
    failed = sum(r.errors for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

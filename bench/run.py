"""Benchmark: the GraphQL server against a one-SQL-statement floor, on the same data.

    .venv/bin/python bench/run.py [--cases N] [--concurrency 10] [--duration 10]
                                  [--workers 1] [--skip-seed]

Prints one table and writes bench/results/latest.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import orjson
from cpu import Meter, machine_meter, own_meter, tree_meter
from driver import Result, drive, drive_paced
from floor import FloorWorkloads, open_pool
from infra import (
    ROOT,
    CeilingProcess,
    ServerProcess,
    SessionCounter,
    postmaster_pid,
    prepare_database,
    vacuum_analyze,
)
from rawhttp import RawPool
from report import (
    WORKLOADS,
    cpu_report,
    first_difference,
    same_load_table,
    server_error_lines,
    table,
)
from workloads import (
    HEADERS,
    CeilingWorkloads,
    ServerWorkloads,
    case_ids,
    login,
    row_id,
    sample_bodies,
)

RESULTS = Path(__file__).resolve().parent / "results"
EMAIL, PASSWORD = "bench@casegraph.test", "bench-password"
T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


async def bench_server(
    server: ServerProcess, url: str, args: argparse.Namespace
) -> tuple[list[str], dict[str, Any], dict[str, Result], dict[str, Result]]:
    meters = cpu_meters(server.proc.pid, await postmaster_pid(url))
    sessions = SessionCounter(url)
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=HEADERS, limits=limits, timeout=30.0
    ) as http:
        token = await login(http, EMAIL, PASSWORD)
        http.headers["Authorization"] = f"Bearer {token}"
        ids = await case_ids(http, args.id_pages)
        if not ids:
            raise SystemExit(f"{EMAIL} sees no cases: was the database seeded?")
        print(f"server: {server.base_url}, {len(ids)} case ids to rotate over")
        # The load itself goes through a lean client: httpx's CPU cost would cap the rate.
        raw = RawPool(
            server.base_url, {**HEADERS, "Authorization": f"Bearer {token}"}, args.concurrency
        )
        workloads = ServerWorkloads(raw, ids)
        samples = {name: await workloads.fetch(b) for name, b in sample_bodies(ids).items()}
        results: dict[str, Result] = {}
        for name in args.workloads:
            print(f"  server {name} ...", flush=True)
            pick = workloads.picks()[name]
            results[name] = await drive(name, pick, **load_args(args, meters, sessions))
            if not server.alive():
                print(f"!!! the server died during {name}:\n{server.tail()}", file=sys.stderr)
                break
        paced = await same_load(workloads.picks(), results, args) if server.alive() else {}
        await raw.close()
    await sessions.close()
    return ids, samples, results, paced


async def same_load(
    picks: dict[str, Any], closed: dict[str, Result], args: argparse.Namespace
) -> dict[str, Result]:
    """With --same-load F: each workload again, paced at F times the server's rate."""
    paced: dict[str, Result] = {}
    for name, result in closed.items():
        if args.same_load and result.rate > 0:
            rate = result.rate * args.same_load
            print(f"  {name} paced at {rate:,.0f}/s ...", flush=True)
            paced[name] = await drive_paced(
                name,
                picks[name],
                rate=rate,
                max_in_flight=args.concurrency,
                duration=args.duration,
                warmup=args.warmup,
            )
    return paced


async def bench_ceiling(url: str, ids: list[str], args: argparse.Namespace) -> dict[str, Result]:
    """The workloads against bench/ceiling_app.py: the floor's statements behind uvicorn."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        insurer = await connection.fetchval("SELECT insurer_id FROM users WHERE email = $1", EMAIL)
    finally:
        await connection.close()
    ceiling = CeilingProcess(url, insurer, args.concurrency, RESULTS / "ceiling.log")
    results: dict[str, Result] = {}
    try:
        ceiling.wait_ready()
        meters = cpu_meters(ceiling.proc.pid, await postmaster_pid(url))
        sessions = SessionCounter(url)
        raw = RawPool(ceiling.base_url, HEADERS, args.concurrency)
        try:
            picks = CeilingWorkloads(raw, [row_id(i) for i in ids]).picks()
            for name in args.workloads:
                print(f"  ceiling {name} ...", flush=True)
                results[name] = await drive(name, picks[name], **load_args(args, meters, sessions))
        finally:
            await raw.close()
            await sessions.close()
    finally:
        ceiling.stop()
    return results


async def bench_floor(
    url: str,
    ids: list[str],
    samples: dict[str, Any],
    args: argparse.Namespace,
    server_results: dict[str, Result],
) -> tuple[dict[str, Result], dict[str, str | None], int, dict[str, Result]]:
    meters = cpu_meters(None, await postmaster_pid(url))
    sessions = SessionCounter(url)
    pool = open_pool(url, args.concurrency)
    try:
        async with pool.acquire() as connection:
            insurer = await connection.fetchval(
                "SELECT insurer_id FROM users WHERE email = $1", EMAIL
            )
            cases = await connection.fetchval(
                "SELECT count(*) FROM cases WHERE insurer_id = $1", insurer
            )
        floor = FloorWorkloads(pool, insurer, [row_id(i) for i in ids])
        shapes = {
            name: first_difference(sample, await floor.fetch(name, row_id(ids[0])))
            for name, sample in samples.items()
        }
        results: dict[str, Result] = {}
        for name in args.workloads:
            print(f"  floor  {name} ...", flush=True)
            pick = floor.picks()[name]
            results[name] = await drive(name, pick, **load_args(args, meters, sessions))
        paced = await same_load(floor.picks(), server_results, args)
    finally:
        await pool.close()
        await sessions.close()
    return results, shapes, int(cases), paced


def load_args(
    args: argparse.Namespace, meters: dict[str, Meter], sessions: SessionCounter
) -> dict[str, Any]:
    return {
        "concurrency": args.concurrency,
        "duration": args.duration,
        "warmup": args.warmup,
        "meters": meters,
        "counters": {"pg_connections_opened": sessions},
    }


def cpu_meters(server_pid: int | None, postmaster: int | None) -> dict[str, Meter]:
    """The load generator always; the server and PostgreSQL when they run here."""
    found: dict[str, Meter] = {"client": own_meter, "machine": machine_meter}
    if server_pid is not None:
        found["server"] = tree_meter(server_pid)
    if postmaster is not None:
        found["postgres"] = tree_meter(postmaster)
    return found


def git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def seed(url: str, cases: int) -> None:
    if importlib.util.find_spec("server.seed.bulk") is None:
        raise SystemExit("server/seed/bulk.py (seed_bulk) is not there yet: cannot seed")
    from server.seed.bulk import seed_bulk

    began = time.perf_counter()
    asyncio.run(seed_bulk(url, cases=cases))
    print(f"seeded {cases:,} cases in {time.perf_counter() - began:.1f}s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases to seed (20000)")
    parser.add_argument("--concurrency", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds counted (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not counted (2)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (1)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the seeded database")
    parser.add_argument("--id-pages", type=int, default=5, help="pages of 100 case ids (5)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="subset, e.g. W1,W3")
    parser.add_argument(
        "--same-load",
        type=float,
        metavar="F",
        help="also pace both sides at F times the server's closed-loop rate (e.g. 0.8) "
        "and compare latencies at that same load",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also run the floor's statements behind a bare uvicorn app (bench/ceiling_app.py)",
    )
    args = parser.parse_args(argv)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    if unknown := set(args.workloads) - set(WORKLOADS):
        parser.error(f"unknown workloads: {sorted(unknown)}")
    if args.concurrency < 1 or args.duration <= 0 or args.warmup < 0 or args.workers < 1:
        parser.error("concurrency and workers must be >= 1, duration > 0, warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = prepare_database(fresh=not args.skip_seed)
    if not args.skip_seed:
        seed(url, args.cases)
        asyncio.run(vacuum_analyze(url))
    server = ServerProcess(url, args.workers, RESULTS / "server.log")
    try:
        server.wait_ready()
        ids, samples, server_results, server_paced = run_async(bench_server(server, url, args))
    finally:
        server.stop()
    ceiling_results = run_async(bench_ceiling(url, ids, args)) if args.ceiling else {}
    floor_results, shapes, cases, floor_paced = run_async(
        bench_floor(url, ids, samples, args, server_results)
    )

    print(
        f"\n{cases:,} cases | concurrency {args.concurrency} | {args.duration:g}s each "
        f"(+{args.warmup:g}s warm-up) | server workers {args.workers} | "
        f"{os.cpu_count()} CPUs shared by server, PostgreSQL and load generator\n"
    )
    print(table(server_results, floor_results, ceiling_results))
    for name, diff in shapes.items():
        if diff:
            print(f"note: {name} floor JSON differs from the server's: {diff[:300]}")
    if server_paced:
        print(same_load_table(server_paced, floor_paced, args.same_load))
    print(cpu_report(server_results, floor_results, ceiling_results))

    errors = {n: r for n, r in server_results.items() if r.errors}
    errors |= {f"{n} paced": r for n, r in server_paced.items() if r.errors}
    floor_errors = {n: r for n, r in floor_results.items() if r.errors}
    floor_errors |= {f"{n} paced": r for n, r in floor_paced.items() if r.errors}
    ceiling_errors = {n: r for n, r in ceiling_results.items() if r.errors}
    error_lines = server_error_lines(server.log_path, server_results) if errors else []
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": git_revision(),
        "config": {
            k: getattr(args, k)
            for k in ("concurrency", "duration", "warmup", "workers", "skip_seed", "workloads")
        }
        | {"cases": cases},
        "cpus": os.cpu_count(),
        "server": {n: r.summary() for n, r in server_results.items()},
        "floor": {n: r.summary() for n, r in floor_results.items()},
        "ceiling": {n: r.summary() for n, r in ceiling_results.items()},
        "same_load": {
            "fraction": args.same_load,
            "server": {n: r.summary() for n, r in server_paced.items()},
            "floor": {n: r.summary() for n, r in floor_paced.items()},
        },
        "ratio": {
            n: round(server_results[n].rate / floor_results[n].rate, 4)
            for n in server_results
            if floor_results.get(n) and floor_results[n].rate
        },
        "shape_differences": shapes,
        "server_error_log": error_lines,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(f"wrote {(RESULTS / 'latest.json').relative_to(ROOT)}")

    if errors or floor_errors or ceiling_errors or len(server_results) < len(args.workloads):
        print("\n" + "!" * 72 + "\n!!! THIS RUN HAD ERRORS: its numbers are not valid\n" + "!" * 72)
        sides = (("server", errors), ("floor", floor_errors), ("ceiling", ceiling_errors))
        for side, failed in sides:
            for name, r in failed.items():
                print(f"{side} {name}: {r.errors} of {r.requests} requests failed")
                for kind, count in r.error_kinds.most_common(5):
                    seen = ", ".join(r.request_ids.get(kind, []))
                    print(f"    {count} x {kind}" + (f" (request ids: {seen})" if seen else ""))
        if error_lines:
            print(f"server log ({server.log_path.relative_to(ROOT)}):")
            print("\n".join(f"    {line[:1500]}" for line in error_lines[:10]))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fan-out benchmark: N WebSocket subscribers of one case's chat, a burst of messages.

Prints numbers; it is not a test. Loopback only; every loop is bounded in count and time.

    .venv/bin/python bench/fanout.py             # 1,000 and 10,000, one and two servers
    .venv/bin/python bench/fanout.py --subscribers 1000 --servers 1 --messages 50
    .venv/bin/python bench/fanout.py --subscribers 1000 --servers 1 --messages 30 --rate 10

A burst (the default) measures throughput: its last messages wait for the first ones to
reach every socket. `--rate` sends a steady chat's pace and measures each message's own
latency.

Each message is committed by this script (lock the case row, insert, commit: what a
mutation does), then its wake-up is published to Redis, as the server's outbox does. The
latency of a delivery is receipt time minus the time COMMIT returned. Subscribers are
spread over client processes (`--client-procs`); with two servers, half connect to each.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra import BENCH_DIR, ServerProcess, _admin, _plain, _with_database  # noqa: E402

SECRET = "fanout-bench-secret-0123456789-0123456789-0123456789"
SUBSCRIBE = "subscription ($c: ID!) { caseMessages(caseId: $c) { body } }"
CONNECT_TIMEOUT = 120.0
RECEIVE_TIMEOUT = 60.0


def prepare_database() -> str:
    """`casegraph_fanout` on DATABASE_URL's server (default the local one), migrated; a
    portal of its own per run, so reruns need no cleanup."""
    from server.db.migrate import upgrade

    server_url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = _with_database(server_url, "casegraph_fanout")
    try:
        asyncio.run(_admin(server_url, "CREATE DATABASE casegraph_fanout"))
    except asyncpg.DuplicateDatabaseError:
        pass
    upgrade(url)
    return url


async def setup_portal(url: str) -> tuple[int, int, int]:
    """(insurer id, staff user id, case id): a minimal portal made for this run."""
    conn = await asyncpg.connect(_plain(url))
    try:
        insurer = await conn.fetchval(
            "INSERT INTO companies (kind, name) VALUES ('insurer', 'Fanout Bench') RETURNING id"
        )
        user = await conn.fetchval(
            """INSERT INTO users (insurer_id, company_id, kind, email, name, password_hash,
                                  authority_level)
               VALUES ($1, $1, 'staff', 'fanout-' || gen_random_uuid() || '@bench.test',
                       'Fanout Staff', 'x', 3) RETURNING id""",
            insurer,
        )
        case = await conn.fetchval(
            """INSERT INTO cases (insurer_id, number, damage_type, street, postal_code, city,
                                  case_handler_id)
               VALUES ($1, 'F-' || gen_random_uuid(), 'water', 'Benchveien 1', '0150', 'Oslo',
                       $2) RETURNING id""",
            insurer,
            user,
        )
    finally:
        await conn.close()
    return insurer, user, case


def token_for(user_id: int) -> str:
    from resolvers.auth import issue_token

    return issue_token({"sub": f"user:{user_id}"}, SECRET, 3600)[0]


def case_gid(case_id: int) -> str:
    from resolvers.global_ids import encode_global_id

    return encode_global_id("Case", case_id)


# -- client processes ------------------------------------------------------------------


def client_main(urls: list[str], count: int, token: str, case: str, expected: int, out: Any,
                go: Any) -> None:  # fmt: skip
    import uvloop

    uvloop.run(_client(urls, count, token, case, expected, out, go))


async def _client(
    urls: list[str], count: int, token: str, case: str, expected: int, out: Any, go: Any
) -> None:
    from websockets.asyncio.client import connect

    received: list[list[tuple[int, float]]] = [[] for _ in range(count)]
    sockets: list[Any] = []

    async def open_one(index: int) -> None:
        ws = await connect(
            urls[index % len(urls)],
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=60,
            ping_interval=None,
            max_queue=None,
        )
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(orjson.dumps(init).decode())
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": SUBSCRIBE, "variables": {"c": case}}
        await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())
        sockets.append(ws)

    limit = asyncio.Semaphore(50)  # connection attempts in flight per client process
    failed = 0

    async def bounded(index: int) -> None:
        nonlocal failed
        async with limit:
            try:
                await open_one(index)
            except (OSError, TimeoutError, AssertionError):
                failed += 1  # reported: a subscriber that never connected

    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await asyncio.gather(*(bounded(i) for i in range(count)))
    except TimeoutError:
        failed = count - len(sockets)
    received = received[: len(sockets)]
    out.put(("connected", failed))
    await asyncio.get_running_loop().run_in_executor(None, go.wait, CONNECT_TIMEOUT)

    frames: list[list[tuple[str, float]]] = [[] for _ in sockets]

    async def read(index: int, ws: Any) -> None:
        # Stamp on receipt, parse afterwards: on this shared machine the clients' JSON work
        # would otherwise compete with the server for the cores during the burst.
        got = frames[index]
        while len(got) < expected:
            got.append((await ws.recv(), time.time()))

    readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
    await asyncio.sleep(0.2)  # every reader is waiting in recv() before the burst starts
    out.put(("reading", None))
    try:
        async with asyncio.timeout(RECEIVE_TIMEOUT):
            await asyncio.gather(*readers)
    except TimeoutError:
        pass  # counted as lost below
    for index, got in enumerate(frames):
        for frame, at in got:
            message = orjson.loads(frame)
            if message.get("type") != "next":
                print("unexpected message:", frame[:300], file=sys.stderr, flush=True)
                continue
            body = message["payload"]["data"]["caseMessages"]["body"]
            received[index].append((int(body.split(":")[1]), at))
    out.put(("received", received))
    for ws in sockets:
        await ws.close()


# -- the run ---------------------------------------------------------------------------


async def publish_burst(url: str, redis_url: str, case_id: int, insurer: int, user: int,
                        messages: int, rate: float) -> dict[int, float]:  # fmt: skip
    """Commit `messages` chat messages one transaction each, back to back (rate 0) or
    `rate` per second; returns seq -> commit time."""
    import redis.asyncio as aioredis

    redis = aioredis.from_url(redis_url)
    conn = await asyncpg.connect(_plain(url))
    committed: dict[int, float] = {}
    start = time.monotonic()
    try:
        for seq in range(messages):
            if rate > 0:
                await asyncio.sleep(max(0.0, start + seq / rate - time.monotonic()))
            async with conn.transaction():
                await conn.execute("SELECT id FROM cases WHERE id = $1 FOR UPDATE", case_id)
                row_id = await conn.fetchval(
                    """INSERT INTO messages (insurer_id, case_id, direction, author_user_id, body)
                       VALUES ($1, $2, 'to_customer', $3, $4) RETURNING id""",
                    insurer, case_id, user, f"seq:{seq}",
                )  # fmt: skip
            committed[seq] = time.time()
            await redis.publish(
                f"case:{case_id}:messages", orjson.dumps({"id": row_id, "caseId": case_id})
            )
    finally:
        await conn.close()
        await redis.aclose()
    return committed


def rss_kib(pid: int) -> int:
    """Resident memory of a server process and its children (the uvicorn worker)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def run_case(url: str, redis_url: str, subscribers: int, servers: int, messages: int,
             rate: float, client_procs: int) -> dict[str, Any]:  # fmt: skip
    insurer, user, case_id = asyncio.run(setup_portal(url))
    procs = [ServerProcess(url, 1, BENCH_DIR / f"fanout-server-{n}.log") for n in range(servers)]
    try:
        for server in procs:
            server.wait_ready()
        rss_before = [rss_kib(s.proc.pid) for s in procs]
        urls = [f"ws://127.0.0.1:{s.port}/graphql" for s in procs]
        ctx = mp.get_context("spawn")
        out, go = ctx.Queue(), ctx.Event()
        shares = [
            subscribers // client_procs + (i < subscribers % client_procs)
            for i in range(client_procs)
        ]
        clients = [
            ctx.Process(target=client_main,
                        args=(urls, n, token_for(user), case_gid(case_id), messages, out, go))
            for n in shares if n
        ]  # fmt: skip
        for client in clients:
            client.start()
        unconnected = 0
        for _ in clients:
            kind, failed = out.get(timeout=CONNECT_TIMEOUT + 30)
            assert kind == "connected"
            unconnected += failed
        time.sleep(1.0)  # every subscription registered with its tail
        rss_after = [rss_kib(s.proc.pid) for s in procs]
        go.set()
        for _ in clients:
            kind, _ = out.get(timeout=CONNECT_TIMEOUT)
            assert kind == "reading"
        time.sleep(0.5)  # the clients' start-up is over: measure delivery, not that
        started = time.time()
        committed = asyncio.run(
            publish_burst(url, redis_url, case_id, insurer, user, messages, rate)
        )
        results: list[list[tuple[int, float]]] = []
        for _ in clients:
            kind, received = out.get(timeout=RECEIVE_TIMEOUT + 30)
            results.extend(received)
        for client in clients:
            client.join(30)
    finally:
        for server in procs:
            server.stop()
    latencies, lost, duplicated, last = [], unconnected * messages, 0, started
    for got in results:
        seqs = [seq for seq, _ in got]
        duplicated += len(seqs) - len(set(seqs))
        lost += messages - len(set(seqs))
        for seq, at in got:
            latencies.append((at - committed[seq]) * 1000)
            last = max(last, at)
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))]
            if latencies
            else float("nan")
        )

    return {
        "subscribers": subscribers,
        "servers": servers,
        "messages": messages,
        "delivered": len(latencies),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "per_s": len(latencies) / max(last - started, 1e-9),
        "lost": lost,
        "duplicated": duplicated,
        "kib_per_conn": statistics.mean(
            (after - before) / max(subscribers / servers, 1)
            for before, after in zip(rss_before, rss_after, strict=True)
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--messages", type=int, default=50, help="messages in the burst (50)")
    parser.add_argument(
        "--rate", type=float, default=0.0,
        help="messages per second; 0 (default) sends them back to back, a burst",
    )  # fmt: skip
    parser.add_argument("--client-procs", type=int, default=4, help="client processes (4)")
    args = parser.parse_args(argv)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ.update({"REDIS_URL": redis_url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING"})
    url = prepare_database()
    columns = ["subs", "srv", "msgs", "delivered", "p50 ms", "p99 ms", "max ms", "deliv/s"]
    print(" ".join(f"{c:>9}" for c in [*columns, "lost", "dup", "KiB/conn"]))
    for servers in args.servers:
        for subscribers in args.subscribers:
            r = run_case(
                url, redis_url, subscribers, servers, args.messages, args.rate, args.client_procs
            )
            counts = [r["subscribers"], r["servers"], r["messages"], r["delivered"]]
            times = [r["p50_ms"], r["p99_ms"], r["max_ms"], r["per_s"]]
            tail = [r["lost"], r["duplicated"]]
            print(
                " ".join(f"{v:>9}" for v in counts),
                " ".join(f"{v:>9.1f}" for v in times),
                " ".join(f"{v:>9}" for v in tail),
                f"{r['kib_per_conn']:>9.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

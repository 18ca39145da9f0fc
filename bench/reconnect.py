"""Mass-reconnect benchmark: N WebSocket clients subscribe to one case's chat at once.

Prints numbers; it is not a test. Loopback only; every wait is bounded.

    .venv/bin/python bench/reconnect.py                        # 2,000 sockets of 200 people
    .venv/bin/python bench/reconnect.py --sockets 500 --users 50

What a restart or a deploy (1001, going away) does: every client opens a socket, signs in
and subscribes at the same moment. Meanwhile this script commits a chat message every
`--interval` seconds (and publishes its wake-up, as the server's outbox does), so a socket
is subscribed once its first message arrives. It reports how long until every socket was
acknowledged and until every socket got a first message, then commits a few more and
checks that every socket received each message from its first one on, in order, once.

`pg_stat_database` counts the transactions the server opened meanwhile (each pooled
checkout is one); the server's log is .casegraph/bench/reconnect-server.log.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra import BENCH_DIR, ServerProcess, _admin, _plain, _with_database  # noqa: E402

DATABASE = "casegraph_reconnect"
SECRET = "reconnect-bench-secret-0123456789-0123456789-0123456789"
SUBSCRIBE = "subscription ($c: ID!) { caseMessages(caseId: $c) { body } }"
STORM_TIMEOUT = 120.0  # for every socket to get its first message
TAIL_MESSAGES = 10  # committed once all are subscribed: each must reach every socket
TAIL_TIMEOUT = 30.0


def prepare_database() -> str:
    """`casegraph_reconnect` on DATABASE_URL's server, migrated; a portal per run."""
    from server.db.migrate import upgrade

    server_url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = _with_database(server_url, DATABASE)
    try:
        asyncio.run(_admin(server_url, f"CREATE DATABASE {DATABASE}"))
    except asyncpg.DuplicateDatabaseError:
        pass
    upgrade(url)
    return url


async def setup_portal(url: str, users: int) -> tuple[int, list[int], int]:
    """(insurer id, staff user ids, case id): a portal of its own for this run."""
    conn = await asyncpg.connect(_plain(url))
    try:
        insurer = await conn.fetchval(
            "INSERT INTO companies (kind, name) VALUES ('insurer', 'Reconnect Bench') RETURNING id"
        )
        user_ids = [
            await conn.fetchval(
                """INSERT INTO users (insurer_id, company_id, kind, email, name, password_hash,
                                      authority_level)
                   VALUES ($1, $1, 'staff', 'reconnect-' || gen_random_uuid() || '@bench.test',
                           'Reconnect Staff', 'x', 3) RETURNING id""",
                insurer,
            )
            for _ in range(users)
        ]
        case = await conn.fetchval(
            """INSERT INTO cases (insurer_id, number, damage_type, street, postal_code, city,
                                  case_handler_id)
               VALUES ($1, 'R-' || gen_random_uuid(), 'water', 'Benchveien 1', '0150', 'Oslo',
                       $2) RETURNING id""",
            insurer,
            user_ids[0],
        )
    finally:
        await conn.close()
    return insurer, user_ids, case


async def transactions(url: str) -> int:
    """Transactions committed or rolled back on the database so far."""
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        sql = """SELECT xact_commit + xact_rollback FROM pg_stat_database
                 WHERE datname = current_database()"""
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


# -- client processes ------------------------------------------------------------------


def client_main(url: str, tokens: list[str], case: str, go: Any, subscribed: Any, last: Any,
                out: Any) -> None:  # fmt: skip
    import uvloop

    uvloop.run(_client(url, tokens, case, go, subscribed, last, out))


async def _client(url: str, tokens: list[str], case: str, go: Any, subscribed: Any, last: Any,
                  out: Any) -> None:  # fmt: skip
    """Per socket: (acked at, first message at, seqs received, error), times since `go`."""
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, go.wait, 60)
    start = time.time()
    results: list[list[Any]] = [[None, None, [], None] for _ in tokens]

    async def one(index: int) -> None:
        result = results[index]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {tokens[index]}"}}
        payload = {"query": SUBSCRIBE, "variables": {"c": case}}
        async with connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           open_timeout=STORM_TIMEOUT, ping_interval=None) as ws:  # fmt: skip
            await ws.send(orjson.dumps(init).decode())
            if orjson.loads(await ws.recv())["type"] != "connection_ack":
                raise RuntimeError("no connection_ack")
            result[0] = time.time() - start
            subscribe = {"id": "1", "type": "subscribe", "payload": payload}
            await ws.send(orjson.dumps(subscribe).decode())
            while True:
                message = orjson.loads(await ws.recv())
                if message.get("type") != "next" or "data" not in message["payload"]:
                    raise RuntimeError(orjson.dumps(message).decode()[:300])
                seq = int(message["payload"]["data"]["caseMessages"]["body"].split(":")[1])
                if result[1] is None:
                    result[1] = time.time() - start
                    with subscribed.get_lock():
                        subscribed.value += 1
                result[2].append(seq)
                if 0 <= last.value <= seq:
                    return

    async def guarded(index: int) -> None:
        try:
            async with asyncio.timeout(STORM_TIMEOUT + TAIL_TIMEOUT):
                await one(index)
        except Exception as exc:  # reported per socket
            results[index][3] = f"{type(exc).__name__}: {exc}"[:300]

    await asyncio.gather(*(guarded(i) for i in range(len(tokens))))
    out.put(results)


# -- the run ---------------------------------------------------------------------------


async def publish(conn: asyncpg.Connection, redis: Any, portal: tuple[int, int, int],
                  seq: int) -> None:  # fmt: skip
    """Commit chat message `seq` as a mutation does (lock the case row, then insert), then
    publish its wake-up."""
    insurer, user, case_id = portal
    row_id = await conn.fetchval(
        """WITH locked AS (SELECT id FROM cases WHERE id = $2 FOR UPDATE)
           INSERT INTO messages (insurer_id, case_id, direction, author_user_id, body)
           SELECT $1, id, 'to_customer', $3, $4 FROM locked RETURNING id""",
        insurer, case_id, user, f"seq:{seq}",
    )  # fmt: skip
    await redis.publish(f"case:{case_id}:messages", orjson.dumps({"id": row_id, "caseId": case_id}))


async def storm(url: str, redis_url: str, portal: tuple[int, int, int], total: int,
                interval: float, go: Any, subscribed: Any,
                last: Any) -> dict[str, int]:  # fmt: skip
    """Let the clients go and commit a message every `interval` until every socket has
    one (or the time is up), then the tail messages; returns what the server spent."""
    import redis.asyncio as aioredis

    redis = aioredis.from_url(redis_url)
    conn = await asyncpg.connect(_plain(url))
    before = await transactions(url)
    seq = 0
    try:
        go.set()
        deadline = time.monotonic() + STORM_TIMEOUT
        while subscribed.value < total and time.monotonic() < deadline:
            await publish(conn, redis, portal, seq)
            seq += 1
            await asyncio.sleep(interval)
        last.value = seq + TAIL_MESSAGES - 1
        for _ in range(TAIL_MESSAGES):
            await publish(conn, redis, portal, seq)
            seq += 1
            await asyncio.sleep(interval)
        await asyncio.sleep(1.5)  # backends report their statistics at most once a second
        spent = await transactions(url) - before - seq
    finally:
        await conn.close()
        await redis.aclose()
    return {"server_transactions": spent, "last": last.value}


def run(url: str, redis_url: str, sockets: int, users: int, interval: float,
        client_procs: int) -> dict[str, Any]:  # fmt: skip
    from resolvers.auth import issue_token
    from resolvers.global_ids import encode_global_id

    insurer, user_ids, case_id = asyncio.run(setup_portal(url, users))
    tokens = [
        issue_token({"sub": f"user:{user_ids[n % users]}"}, SECRET, 3600)[0] for n in range(sockets)
    ]
    server = ServerProcess(url, 1, BENCH_DIR / "reconnect-server.log")
    try:
        server.wait_ready()
        ctx = mp.get_context("spawn")
        go, out = ctx.Event(), ctx.Queue()
        subscribed, last = ctx.Value("i", 0), ctx.Value("i", -1)
        ws_url = f"ws://127.0.0.1:{server.port}/graphql"
        clients = [
            ctx.Process(target=client_main, args=(ws_url, tokens[n::client_procs],
                        encode_global_id("Case", case_id), go, subscribed, last, out))
            for n in range(client_procs)
        ]  # fmt: skip
        for client in clients:
            client.start()
        time.sleep(3.0)  # the clients have imported what they need and wait for `go`
        spent = asyncio.run(
            storm(url, redis_url, (insurer, user_ids[0], case_id), sockets, interval, go,
                  subscribed, last)
        )  # fmt: skip
        results = [r for _ in clients for r in out.get(timeout=STORM_TIMEOUT + TAIL_TIMEOUT + 30)]
        for client in clients:
            client.join(30)
        log = server.tail(100_000)
    finally:
        server.stop()
    acked = [r[0] for r in results if r[0] is not None]
    firsts = [r[1] for r in results if r[1] is not None]
    errors = [r[3] for r in results if r[3] is not None]
    broken = [r[2] for r in results if r[2] and r[2] != list(range(r[2][0], spent["last"] + 1))]
    return {
        "sockets": sockets,
        "users": users,
        "all_acked_s": max(acked) if len(acked) == sockets else float("nan"),
        "all_subscribed_s": max(firsts) if len(firsts) == sockets else float("nan"),
        "median_subscribed_s": sorted(firsts)[len(firsts) // 2] if firsts else float("nan"),
        "unsubscribed": sockets - len(firsts),
        "errors": errors,
        "out_of_order": len(broken),
        "server_transactions": spent["server_transactions"],
        "pool_timeouts": log.count("QueuePool limit"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=2000, help="subscriptions (2000)")
    parser.add_argument("--users", type=int, default=200, help="distinct staff users (200)")
    parser.add_argument("--interval", type=float, default=0.05, help="between messages (0.05 s)")
    parser.add_argument("--client-procs", type=int, default=2, help="client processes (2)")
    args = parser.parse_args(argv)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ.update({"REDIS_URL": redis_url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING"})
    os.environ.setdefault("DB_POOL_SIZE", "10")  # PostgreSQL's connections are shared
    url = prepare_database()
    r = run(url, redis_url, args.sockets, args.users, args.interval, args.client_procs)
    print(f"sockets {r['sockets']} of {r['users']} users, pool {os.environ['DB_POOL_SIZE']}+"
          f"{os.environ['DB_POOL_SIZE']}:")  # fmt: skip
    print(f"  all acknowledged after   {r['all_acked_s']:8.2f} s")
    print(f"  all subscribed after     {r['all_subscribed_s']:8.2f} s "
          f"(median {r['median_subscribed_s']:.2f} s)")  # fmt: skip
    print(f"  never subscribed         {r['unsubscribed']:8d}")
    print(f"  out of order or lost     {r['out_of_order']:8d}")
    print(f"  server transactions      {r['server_transactions']:8d} "
          f"({r['server_transactions'] / r['sockets']:.2f} per socket)")  # fmt: skip
    print(f"  pool timeouts in the log {r['pool_timeouts']:8d}")
    for error in sorted(set(r["errors"]))[:5]:
        print(f"  error ({r['errors'].count(error)}x): {error}")
    return 0 if not r["errors"] and not r["out_of_order"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The Python ceiling: the floor's statements behind the thinnest server this stack allows.

A bare ASGI app on the server's own uvicorn (uvloop, httptools, one worker), no GraphQL:
it parses the JSON body (`{"workload": "W2", "id": 123}`), runs that workload's floor
statement (bench/floor.py) on a connection checked out as the server's compiled reads
check out theirs, and sends `{"data": …}`. Whatever a Python server built on these choices
does per request, this does less, so its rate is an upper bound for `casegraph serve` on
this machine; the gap from here to the floor is HTTP and Python, not GraphQL.

Started by `bench/run.py --ceiling` with CEILING_DATABASE_URL, CEILING_INSURER and
CEILING_POOL in its environment.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from floor import W1_SQL, W2_SQL, W3_SQL, open_pool

STATEMENTS = {"W1": W1_SQL, "W2": W2_SQL, "W3": W3_SQL}
POOL = open_pool(os.environ["CEILING_DATABASE_URL"], int(os.environ.get("CEILING_POOL", "10")))
INSURER = int(os.environ["CEILING_INSURER"])
HEADERS = [(b"content-type", b"application/json")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    request = orjson.loads(b"".join(chunks) or b"{}")
    workload = request.get("workload")
    if workload not in STATEMENTS:  # the readiness probe, too
        await _send(send, 200 if workload is None else 404, b'{"ready":true}')
        return
    args = (INSURER,) if workload == "W1" else (INSURER, int(request["id"]))
    async with POOL.acquire() as connection:
        text = await connection.fetchval(STATEMENTS[workload], *args)
    await _send(send, 200, b'{"data":' + text.encode() + b"}")


async def _send(send: Any, status: int, body: bytes) -> None:
    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await POOL.close()
            await send({"type": "lifespan.shutdown.complete"})
            return

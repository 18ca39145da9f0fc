"""The compiled reads' connections: bounded, reused, and never handed on in a bad state."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from resolvers.compiled.connections import Connections


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def opened(url: str, name: str) -> int:
    conn = await asyncpg.connect(plain(url))
    try:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
        return int(await conn.fetchval(query, name))
    finally:
        await conn.close()


@pytest.fixture
def named(database_url):
    name = f"cg-{uuid.uuid4().hex[:12]}"
    return name, Connections(plain(database_url), 3, {"application_name": name})


async def test_many_readers_share_at_most_size_connections(database_url, named):
    name, connections = named
    peak = 0

    async def read(n: int) -> int:
        nonlocal peak
        async with connections.acquire() as connection:
            peak = max(peak, await opened(database_url, name))
            return int(await connection.fetchval("SELECT $1::int", n))

    try:
        assert await asyncio.gather(*(read(n) for n in range(40))) == list(range(40))
        assert 1 <= peak <= 3
        assert await opened(database_url, name) <= 3  # kept for reuse, no more
    finally:
        await connections.close()
    assert await opened(database_url, name) == 0


async def test_a_request_cancelled_mid_statement_costs_its_connection_not_the_next(
    database_url, named
):
    name, connections = named

    async def slow() -> None:
        async with connections.acquire() as connection:
            await connection.fetchval("SELECT pg_sleep(5)")

    try:
        tasks = [asyncio.create_task(slow()) for _ in range(3)]
        waiting = asyncio.create_task(slow())  # queued behind the three
        await asyncio.sleep(0.3)
        waiting.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, waiting, return_exceptions=True)

        # Every slot came back: three readers get a working connection at once.
        async def quick() -> int:
            async with connections.acquire() as connection:
                return int(await connection.fetchval("SELECT 1"))

        async with asyncio.timeout(5):
            assert await asyncio.gather(quick(), quick(), quick()) == [1, 1, 1]
    finally:
        await connections.close()


async def test_a_failed_statement_leaves_a_usable_connection(named):
    _, connections = named
    try:
        async with connections.acquire() as connection:
            with pytest.raises(asyncpg.DataError):
                await connection.fetchval("SELECT $1::int", "not a number")
        async with connections.acquire() as connection:
            assert await connection.fetchval("SELECT 2") == 2
    finally:
        await connections.close()

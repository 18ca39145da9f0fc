"""The compiled reads' own asyncpg connections: a free list and a queue of waiters.

asyncpg's pool is general: every release resets the session (a second round trip) and
runs in a task of its own (`asyncio.shield`), every acquire sets up a timeout. Compiled
reads only run prepared SELECTs outside transactions, so a connection that finished its
statements is as good as new; one that did not (an error, a cancelled request mid-query)
is closed rather than cleaned up, and a new one is opened when needed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


class Connections:
    def __init__(self, dsn: str, size: int, server_settings: dict[str, str]) -> None:
        self._dsn = dsn
        self._size = size
        self._settings = server_settings
        self._free: deque[asyncpg.Connection] = deque()
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._open = 0  # connections open or being opened
        self._closed = False

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        connection = await self._take()
        try:
            yield connection
        except BaseException:
            connection.terminate()  # mid-statement state is not worth repairing
            self._free_slot()
            raise
        self._give_back(connection)

    async def close(self) -> None:
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(RuntimeError("compiled reads closed"))
        while self._free:
            await self._free.popleft().close()

    async def _take(self) -> asyncpg.Connection:
        if self._closed:
            raise RuntimeError("compiled reads closed")
        while self._free:
            connection = self._free.popleft()
            if not connection.is_closed():
                return connection
            self._open -= 1
        if self._open < self._size:
            self._open += 1  # the slot is ours before the first await
            return await self._connect()
        waiter: asyncio.Future[asyncpg.Connection | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            connection = await waiter  # a connection handed over, or None: a free slot
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as we were cancelled
                handed = waiter.result()
                self._give_back(handed) if handed is not None else self._free_slot()
            raise
        return connection if connection is not None else await self._connect()

    async def _connect(self) -> asyncpg.Connection:
        """A new connection in a slot already counted in `_open`."""
        try:
            return await asyncpg.connect(self._dsn, server_settings=self._settings)
        except BaseException:
            self._free_slot()
            raise

    def _give_back(self, connection: asyncpg.Connection) -> None:
        if connection.is_closed() or connection.is_in_transaction():
            connection.terminate()
            self._free_slot()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled waiter has gone
                waiter.set_result(connection)
                return
        self._free.append(connection)

    def _free_slot(self) -> None:
        """A connection is gone: its slot passes to the first waiter, who opens a new one."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._open -= 1

"""A job every server process runs in passes: the notification dispatcher, the recurring
case runner, the SLA breach watcher.

A pass says how long to wait before the next one (0: go on at once, more may be due).
With a `listen_dsn` and a `wake_channel`, a PostgreSQL NOTIFY on the channel cuts the
wait short (from any process); a lost LISTEN connection only falls back to the poll. A
failed pass is logged and tried again after `poll_seconds`: the database may be away for
a moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

log = logging.getLogger(__name__)


class BackgroundLoop:
    task_name: str  # for logs and the asyncio task
    wake_channel: str | None = None

    def __init__(self, *, poll_seconds: float, listen_dsn: str | None = None) -> None:
        self.poll_seconds = poll_seconds
        self.listen_dsn = listen_dsn
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None  # asyncpg connection holding LISTEN

    async def one_pass(self) -> float:
        """Do one pass; the seconds to wait before the next (0: at once)."""
        raise NotImplementedError

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close_listener()

    def nudge(self) -> None:
        """Start the next pass now (in-process; other processes hear the NOTIFY)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._listen()
            self._wake.clear()  # before the pass: a NOTIFY from now on is not lost
            try:
                wait = await self.one_pass()
            except Exception:  # the database may be away for a moment: try again later
                log.exception("%s: pass failed", self.task_name)
                wait = self.poll_seconds
            if wait <= 0:
                await asyncio.sleep(0)  # let requests in, then go on with the backlog
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _listen(self) -> None:
        """(Re)open the LISTEN connection if there is none; failures fall back to polling."""
        if self.listen_dsn is None or self.wake_channel is None:
            return
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self.listen_dsn)
            await self._listener.add_listener(self.wake_channel, lambda *_: self._wake.set())
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning(
                "%s: LISTEN unavailable; polling", self.task_name, extra={"error": repr(exc)}
            )
            await self._close_listener()

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(Exception):
                await listener.close(timeout=2)

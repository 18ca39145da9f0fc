"""The loop every tail runs: wake-ups coalesce, one read serves them all, errors back off."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class Worker:
    """Calls `step()` after one or more `wake()`s; a failing step is retried with backoff
    (the database is the truth: retrying the read is always safe)."""

    name = "tail"

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def step(self) -> None:
        raise NotImplementedError

    async def _run(self) -> None:
        delay = 0.05
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.step()
                delay = 0.05
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live-event read failed; retrying", extra={"tail": self.name})
                self.on_failure()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                self._wake.set()

    def on_failure(self) -> None:
        """Put back whatever the failed step took, so the retry reads it again."""

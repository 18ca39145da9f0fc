"""Backlog reads of many subscribers at once, coalesced into batches, one batch in flight.

A burst that overflows the inboxes of many subscribers makes all of them ask their tail
for a backlog page at the same moment. Read one by one, those reads queue for the
connection pool (and fail there once it is exhausted); read together, they cost one read
and one access check, and subscribers of one permission scope share one View (so their
events render once). Requests that arrive while a batch is being read wait for the next
batch, never join the running one: a subscriber resumes live pushes just before it asks
(subscriber.follow), so only a read that starts after its request sees every row that
was not pushed to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")


class CoalescedReads(Generic[Request, Result]):
    """`await reads(request)`: `read_batch(requests)` returns one result per request, in
    order. A failed batch is read again request by request, so a request that cannot be
    read (a value the database refuses) fails alone; the next batch reads afresh."""

    def __init__(self, read_batch: Callable[[list[Request]], Awaitable[list[Result]]]) -> None:
        self._read_batch = read_batch
        self._waiting: list[tuple[Request, asyncio.Future[Result]]] = []
        self._reader: asyncio.Task[None] | None = None

    async def __call__(self, request: Request) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_batches(), name="coalesced-reads")
        # A cancelled caller cancels only its own future; the batch goes on for the others.
        return await future

    async def _read_batches(self) -> None:
        batch: list[tuple[Request, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                batch = [(r, f) for r, f in self._waiting if not f.done()]
                self._waiting = []
                if not batch:
                    continue
                try:
                    results = await self._read_batch([request for request, _ in batch])
                except Exception as exc:
                    if len(batch) == 1:
                        if not batch[0][1].done():
                            batch[0][1].set_exception(exc)
                    else:  # one bad request must not fail the others: each on its own
                        await self._read_one_by_one(batch)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        except BaseException:  # this reader was cancelled (shutdown): nobody waits forever
            for _, future in batch + self._waiting:
                future.cancel()
            self._waiting = []
            raise
        finally:
            self._reader = None

    async def _read_one_by_one(self, batch: list[tuple[Request, asyncio.Future[Result]]]) -> None:
        for request, future in batch:
            if future.done():
                continue  # its caller was cancelled
            try:
                (result,) = await self._read_batch([request])
            except Exception as exc:
                future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)

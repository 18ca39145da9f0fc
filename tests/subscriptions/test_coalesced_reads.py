"""Coalesced reads on their own: batching, one batch in flight, cancellation, failures.

No database here: the read is a function of the test that records its batches.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from resolvers.subscriptions.coalesced_reads import CoalescedReads


class Reads:
    """A batch read that doubles each request, records its batches and can be held."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_next: Exception | None = None

    async def __call__(self, requests: list[int]) -> list[int]:
        self.batches.append(requests)
        await self.gate.wait()
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        return [2 * r for r in requests]


async def held(reads: Reads, requests: list[int]) -> tuple[CoalescedReads[int, int], list[Any]]:
    """A coalescer whose first batch, `requests`, is being read and held there."""
    reads.gate.clear()
    coalesced = CoalescedReads(reads)
    waiters = [asyncio.ensure_future(coalesced(n)) for n in requests]
    async with asyncio.timeout(1):
        while not reads.batches:
            await asyncio.sleep(0)
    return coalesced, waiters


async def test_concurrent_requests_are_read_as_one_batch():
    reads = Reads()
    coalesced = CoalescedReads(reads)
    results = await asyncio.gather(*(coalesced(n) for n in range(50)))
    assert results == [2 * n for n in range(50)]
    assert reads.batches == [list(range(50))]


async def test_requests_during_a_read_wait_for_the_next_batch():
    reads = Reads()
    coalesced, first = await held(reads, [0, 1, 2])
    later = [asyncio.ensure_future(coalesced(n)) for n in range(3, 6)]
    await asyncio.sleep(0)
    assert reads.batches == [[0, 1, 2]]  # one batch in flight: the others wait
    reads.gate.set()
    assert await asyncio.gather(*first, *later) == [0, 2, 4, 6, 8, 10]
    assert reads.batches == [[0, 1, 2], [3, 4, 5]]


async def test_a_cancelled_waiter_leaves_the_batch_and_the_others_alone():
    reads = Reads()
    coalesced, waiters = await held(reads, [0, 1, 2])
    queued = [asyncio.ensure_future(coalesced(n)) for n in (7, 8)]  # the next batch
    await asyncio.sleep(0)
    waiters[1].cancel()  # while its batch is read
    queued[0].cancel()
    await asyncio.sleep(0)
    reads.gate.set()
    assert await waiters[0] == 0 and await waiters[2] == 4
    assert await queued[1] == 16
    assert waiters[1].cancelled() and queued[0].cancelled()
    assert reads.batches == [[0, 1, 2], [8]]  # a request cancelled before its batch is dropped


async def test_a_failed_read_fails_its_waiter_and_the_next_batch_reads_again():
    reads = Reads()
    reads.fail_next = RuntimeError("connection lost")
    coalesced, failing = await held(reads, [0])
    retried = asyncio.ensure_future(coalesced(5))  # arrives during the failing read
    reads.gate.set()
    with pytest.raises(RuntimeError, match="connection lost"):
        await failing[0]
    assert await retried == 10
    assert await coalesced(6) == 12  # and the reader starts again when idle
    assert reads.batches == [[0], [5], [6]]


async def test_a_failed_batch_is_read_again_one_by_one_so_a_bad_request_fails_alone():
    """One client's credential the database refuses must not fail everyone's sign-in."""
    batches: list[list[int]] = []

    async def refuses_negatives(requests: list[int]) -> list[int]:
        batches.append(requests)
        if any(r < 0 for r in requests):
            raise ValueError("refused by the database")
        return [2 * r for r in requests]

    coalesced = CoalescedReads(refuses_negatives)
    results = await asyncio.gather(
        coalesced(1), coalesced(-1), coalesced(2), return_exceptions=True
    )
    assert results[0] == 2 and results[2] == 4
    assert isinstance(results[1], ValueError)
    assert batches == [[1, -1, 2], [1], [-1], [2]]

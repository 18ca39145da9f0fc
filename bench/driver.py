"""Closed-loop load: `concurrency` clients, each sending one request after the other.

Every client stops starting requests at the deadline, and after `MAX_REQUESTS_PER_CLIENT`
requests whatever the clock says, so a run is bounded in time and in count. Requests that
start during the warm-up are sent but not counted.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cpu import Meter, cores

Op = Callable[[], Awaitable[None]]  # one request; raises on any failure
Pick = Callable[[random.Random], Op]  # chooses the next request of a client
Counter_ = Callable[[], Awaitable[float | None]]  # a total that only grows, or None

MAX_REQUESTS_PER_CLIENT = 2_000_000
REQUEST_TIMEOUT_S = 30.0
MAX_ERROR_KINDS = 20


@dataclass
class Result:
    """What one workload measured: counted requests, their latencies, the failures."""

    name: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    request_ids: dict[str, list[str]] = field(default_factory=dict)  # a few per error kind
    cpu: dict[str, float] = field(default_factory=dict)  # cores used, by meter name
    per_second: dict[str, float] = field(default_factory=dict)  # counters' growth rates

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def count(self, since: float, failure: Exception | None) -> None:
        """One counted request: its latency from `since`, or its failure."""
        if failure is None:
            self.latencies_ms.append((time.perf_counter() - since) * 1000)
        else:
            self.record_error(failure)

    def record_error(self, exc: Exception) -> None:
        self.errors += 1
        kind = _describe(exc)
        if kind in self.error_kinds or len(self.error_kinds) < MAX_ERROR_KINDS:
            self.error_kinds[kind] += 1
            request_id = getattr(exc, "request_id", None)
            ids = self.request_ids.setdefault(kind, [])
            if request_id and len(ids) < 3:
                ids.append(str(request_id))

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rate": round(self.rate, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "errors": self.errors,
            "error_kinds": dict(self.error_kinds.most_common(MAX_ERROR_KINDS)),
            "error_request_ids": self.request_ids,
            "cpu_cores": {name: round(used, 2) for name, used in self.cpu.items()},
            "per_second": {name: round(rate, 1) for name, rate in self.per_second.items()},
        }


async def attempt(op: Op) -> Exception | None:
    """Run one request; its failure, if any, is returned, never raised."""
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            await op()
    except Exception as exc:
        return exc
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]


async def drive(
    name: str,
    pick: Pick,
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    meters: dict[str, Meter] | None = None,
    counters: dict[str, Counter_] | None = None,
    seed: int = 1,
) -> Result:
    """Run `concurrency` clients for `warmup + duration` seconds; count the last `duration`.

    `meters` and `counters` are read when counting starts and at the end, giving
    `Result.cpu` and `Result.per_second`."""
    result = Result(name)
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + duration

    async def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            began = time.perf_counter()
            if began >= deadline:
                return
            failure = await attempt(pick(rng))
            if began >= measure_from:
                result.count(began, failure)

    meters, counters = meters or {}, counters or {}
    before: dict[str, dict[int, float]] = {}
    counted: dict[str, float | None] = {}

    async def read_meters_when_counting_starts() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        before.update({name: meter() for name, meter in meters.items()})
        counted.update({name: await counter() for name, counter in counters.items()})

    marker = asyncio.create_task(read_meters_when_counting_starts())
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    await marker
    result.seconds = max(1e-9, time.perf_counter() - measure_from)
    result.cpu = {n: cores(before[n], m(), result.seconds) for n, m in meters.items()}
    for name, counter in counters.items():
        first, last = counted.get(name), await counter()
        if first is not None and last is not None:
            result.per_second[name] = (last - first) / result.seconds
    return result


async def drive_paced(
    name: str,
    pick: Pick,
    *,
    rate: float,
    max_in_flight: int,
    duration: float,
    warmup: float,
    seed: int = 1,
) -> Result:
    """Start `rate` requests a second, on schedule, whatever the answers' pace (open loop;
    at most `max_in_flight` at once, the rest wait their turn). A latency runs from the
    moment the request was due, so waiting for a turn counts: a slow answer cannot hide
    the requests it held up."""
    result = Result(name)
    rng = random.Random(seed)
    slots = asyncio.Semaphore(max_in_flight)
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + duration
    running: set[asyncio.Task[None]] = set()

    async def one(op: Op, due: float) -> None:
        async with slots:
            failure = await attempt(op)
        if due >= measure_from:
            result.count(due, failure)

    for index in itertools.count():
        due = start + index / rate
        if due >= deadline:
            break
        if due > time.perf_counter():
            await asyncio.sleep(due - time.perf_counter())
        task = asyncio.create_task(one(pick(rng), due))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    result.seconds = duration
    return result


def rotation(items: list[Any]) -> Callable[[], Any]:
    """The items one after the other, shared by all clients, wrapping around."""
    counter = itertools.count()
    return lambda: items[next(counter) % len(items)]


def mixed(weighted: list[tuple[float, Pick]]) -> Pick:
    """A pick that chooses among other picks by weight (the MIXED workload)."""
    weights = [w for w, _ in weighted]
    picks = [p for _, p in weighted]

    def pick(rng: random.Random) -> Op:
        return rng.choices(picks, weights)[0](rng)

    return pick

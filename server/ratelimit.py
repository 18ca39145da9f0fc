"""Points buckets per client: each holds up to `capacity` points and refills at `refill`
points per second; an operation takes its cost out, or is refused with when to retry.

With Redis, one bucket per key is shared by every server process (a Lua script reads,
refills and takes in one atomic step, on Redis's clock). Without Redis, buckets live in
this process. A refused charge takes nothing, so a retry after `retry_after` succeeds.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis

from server.errors import AppError, ErrorCode


@dataclass(frozen=True, slots=True)
class Budget:
    """A bucket after a charge (or a look)."""

    allowed: bool
    capacity: int
    remaining: int  # whole points left
    retry_after: float  # seconds until the refused cost fits; 0 when allowed
    reset_at: float  # unix time when the bucket is full again

    @property
    def retry_after_seconds(self) -> int:
        """For the Retry-After header: whole seconds, at least 1."""
        return max(1, math.ceil(self.retry_after))


class Buckets(Protocol):
    async def charge(self, key: str, cost: int, *, capacity: int, refill: float) -> Budget:
        """Take `cost` points (0 only looks)."""
        ...

    async def close(self) -> None: ...


def _budget(tokens: float, cost: int, capacity: int, refill: float, now: float) -> Budget:
    allowed = tokens >= cost
    left = tokens - cost if allowed else tokens
    wait = 0.0 if allowed else (cost - tokens) / refill
    return Budget(
        allowed=allowed,
        capacity=capacity,
        remaining=int(left),
        retry_after=wait,
        reset_at=now + (capacity - left) / refill,
    )


class MemoryBuckets:
    """Buckets of this process only (no REDIS_URL). Least recently used ones are dropped
    past `max_keys`; a dropped bucket comes back full, which only ever favours a client."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.max_keys = max_keys

    async def charge(self, key: str, cost: int, *, capacity: int, refill: float) -> Budget:
        now = time.time()
        tokens, updated = self._buckets.get(key, (float(capacity), now))
        tokens = min(float(capacity), tokens + max(0.0, now - updated) * refill)
        budget = _budget(tokens, cost, capacity, refill, now)
        self._buckets[key] = (tokens - cost if budget.allowed else tokens, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return budget

    async def close(self) -> None:
        return None


# KEYS[1] bucket; ARGV: cost, capacity, refill per second. Returns
# {allowed, tokens left * 1000, now in ms}. Time comes from Redis, so every process
# agrees on it; the key expires once the bucket would be full anyway.
_CHARGE = """
local cost = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local refill = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * refill)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((capacity - tokens) / refill) + 1)
return {allowed, math.floor(tokens * 1000), math.floor(now * 1000)}
"""


class RedisBuckets:
    """Buckets in Redis, shared by every process that uses the same Redis."""

    def __init__(self, url: str, prefix: str = "casegraph:bucket:") -> None:
        self.redis: Any = aioredis.from_url(url)
        self.prefix = prefix
        self._script = self.redis.register_script(_CHARGE)

    async def charge(self, key: str, cost: int, *, capacity: int, refill: float) -> Budget:
        allowed, milli_tokens, now_ms = await self._script(
            keys=[self.prefix + key], args=[cost, capacity, refill]
        )
        tokens, now = milli_tokens / 1000, now_ms / 1000
        # The script already took the cost when allowed: rebuild the budget from before.
        before = tokens + cost if allowed else tokens
        return _budget(before, cost, capacity, refill, now)

    async def close(self) -> None:
        await self.redis.aclose()


def rate_limited(budget: Budget, what: str) -> AppError:
    """The RATE_LIMITED error for a refused charge; HTTP adds 429 and Retry-After."""
    return AppError(
        ErrorCode.RATE_LIMITED,
        f"{what}; {budget.remaining} points left. Retry in {budget.retry_after_seconds} s.",
        retryAfter=budget.retry_after_seconds,
    )


def make_buckets(redis_url: str | None) -> Buckets:
    return RedisBuckets(redis_url) if redis_url else MemoryBuckets()

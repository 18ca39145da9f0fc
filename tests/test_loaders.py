"""Loaders shared by many fields of one request."""

from __future__ import annotations

import asyncio

from resolvers.loaders import SharedLoader


async def test_cancelling_one_waiter_does_not_cancel_the_others():
    started = asyncio.Event()

    async def batch(keys):
        started.set()
        await asyncio.sleep(0.01)
        return [k * 10 for k in keys]

    loader = SharedLoader(load_fn=batch)
    first = asyncio.ensure_future(loader.load(1))
    second = asyncio.ensure_future(loader.load(1))  # the same key: the same pending load
    await started.wait()
    first.cancel()  # as GraphQL execution does to a sibling of a failed non-null field
    assert await second == 10
    assert await loader.load(1) == 10  # and the cached result stays usable

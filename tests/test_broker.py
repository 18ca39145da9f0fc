"""The broker contract, for the in-process broker and for Redis shared by two 'processes'."""

from __future__ import annotations

import asyncio
import uuid

from server.pubsub.broker import InProcessBroker, RedisBroker, case_channel


async def _receive(subscription, count: int) -> list[dict]:
    received = []
    async for message in subscription:
        received.append(message)
        if len(received) == count:
            break
    return received


async def _exercise(publisher, subscriber) -> None:
    channel = case_channel(int(uuid.uuid4().int % 10**9), "feed")
    subscription = subscriber.subscribe(channel)
    listener = asyncio.ensure_future(_receive(subscription, 3))
    await asyncio.sleep(0.2)  # let the subscription reach the broker
    for n in range(3):
        await publisher.publish(channel, {"id": n, "caseId": 1})
    await publisher.publish(case_channel(999_999_999, "feed"), {"id": 99})  # another channel
    assert await asyncio.wait_for(listener, 5) == [{"id": n, "caseId": 1} for n in range(3)]
    await subscription.aclose()


async def test_in_process_broker():
    broker = InProcessBroker()
    await _exercise(broker, broker)
    assert await broker.ping()


async def test_redis_broker_across_connections(redis_url):
    publisher, subscriber = RedisBroker(redis_url), RedisBroker(redis_url)
    try:
        assert await publisher.ping()
        await _exercise(publisher, subscriber)
    finally:
        await publisher.close()
        await subscriber.close()

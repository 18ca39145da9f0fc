"""Idempotent mutations: a retried `messageSend` with the same Idempotency-Key gets the
first response and the message exists once, even when the duplicates race."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from tests.api.test_mutations import MESSAGE_SEND
from tests.factories import gid
from tests.graphql import error_codes


def send(client, token, case_id, body, key):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    variables = {"input": {"caseId": gid("Case", case_id), "body": body}}
    return client.post(
        "/graphql", json={"query": MESSAGE_SEND, "variables": variables}, headers=headers
    )


async def messages(engine, case_id: int, body: str) -> int:
    async with engine.connect() as conn:
        sql = text("SELECT count(*) FROM messages WHERE case_id = :c AND body = :b")
        return (await conn.execute(sql, {"c": case_id, "b": body})).scalar_one()


async def test_a_retried_mutation_acts_once_and_returns_the_first_result(client, world, engine):
    portal, key = world.portal, uuid.uuid4().hex
    first = await send(client, portal.tokens["staff"], portal.case.id, "We come at nine.", key)
    retry = await send(client, portal.tokens["staff"], portal.case.id, "We come at nine.", key)
    assert first.json()["data"] == retry.json()["data"]
    assert first.json()["data"]["messageSend"]["message"]["body"] == "We come at nine."
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await messages(engine, portal.case.id, "We come at nine.") == 1


async def test_concurrent_duplicates_do_not_both_act(client, world, engine):
    portal, key = world.portal, uuid.uuid4().hex
    responses = await asyncio.gather(
        *(send(client, portal.tokens["staff"], portal.case.id, "Racing.", key) for _ in range(5))
    )
    assert {r.status_code for r in responses} == {200}
    ids = {r.json()["data"]["messageSend"]["message"]["id"] for r in responses}
    assert len(ids) == 1
    assert await messages(engine, portal.case.id, "Racing.") == 1


async def test_the_same_key_for_another_operation_is_a_conflict(client, world, engine):
    portal, key = world.portal, uuid.uuid4().hex
    await send(client, portal.tokens["staff"], portal.case.id, "First.", key)
    other = await send(client, portal.tokens["staff"], portal.case.id, "Second.", key)
    assert error_codes(other.json()) == ["CONFLICT"]
    assert await messages(engine, portal.case.id, "Second.") == 0


async def test_keys_are_per_principal_and_expire(client, world, engine):
    portal, key = world.portal, uuid.uuid4().hex
    await send(client, portal.tokens["staff"], portal.case.id, "Per principal.", key)
    await send(client, portal.tokens["admin"], portal.case.id, "Per principal.", key)
    assert await messages(engine, portal.case.id, "Per principal.") == 2
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = :k"
            ),
            {"k": key},
        )
    await send(client, portal.tokens["staff"], portal.case.id, "Per principal.", key)
    assert await messages(engine, portal.case.id, "Per principal.") == 3


async def test_queries_and_malformed_keys(client, world):
    token = world.portal.tokens["staff"]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "q-1"}
    for _ in range(2):  # queries ignore the key: they change nothing
        read = await client.post("/graphql", json={"query": "{ viewer { role } }"}, headers=headers)
        assert "idempotent-replayed" not in read.headers
    bad = await send(client, token, world.portal.case.id, "x", "has space")
    assert error_codes(bad.json()) == ["BAD_USER_INPUT"]

"""Sharing documents of several cases at once never deadlocks, whatever the order."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.factories import add_cases, gid
from tests.graphql import gql

SHARE = """mutation ($ids: [ID!]!) {
  documentShare(input: {documentIds: $ids, shared: true}) { errors { code } } }"""


async def test_opposite_orders_do_not_deadlock(client_factory, engine, world):
    portal = world.portal
    case_ids = await add_cases(engine, portal, 2)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT min(id) FROM documents WHERE case_id = ANY(:c) GROUP BY case_id ORDER BY 1"
            ),
            {"c": case_ids},
        )
        first, second = (gid("Document", row[0]) for row in rows)
    token = portal.tokens["staff"]
    async with client_factory() as a, client_factory() as b:
        results = await asyncio.gather(
            *[
                gql(client, SHARE, {"ids": ids}, token=token)
                for _ in range(5)
                for client, ids in ((a, [first, second]), (b, [second, first]))
            ]
        )
    assert all("errors" not in r and r["data"]["documentShare"]["errors"] == [] for r in results)

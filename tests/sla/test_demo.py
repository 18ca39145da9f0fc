"""The demo portals come with statuses (one pausing the SLA while waiting for the
customer) and priorities with targets, the demo cases stand in them sensibly, and the
breaches due are already in the feeds (a server's watcher finds none left to add)."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy import text

from server.db.engine import make_engine
from server.db.migrate import upgrade
from server.seed.demo import DEMO_CUSTOMER_TOKENS, DEMO_PASSWORD, seed_demo_if_empty
from server.sla_watcher import SlaWatcher
from tests.graphql import app_client, gql

LOGIN = """mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""
CUSTOMER = """mutation ($t: String!) { customerLogin(accessToken: $t) { token } }"""
CONFIG = """
{ workflowStatuses { name pausesSla isDefault customerLabel }
  priorities { name firstResponseMinutes resolutionMinutes isDefault } }"""
STATES = """
{ cases(first: 100) { totalCount nodes { workflowStatus { name } priority { name } sla { state } } } }"""


class NoBroker:
    async def publish(self, channel: str, message: dict) -> None:
        raise AssertionError("nothing left to publish")


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_demo_has_statuses_priorities_and_sla_states(database_url, settings):
    # Its own database: tests/test_seed.py seeds the session's one first.
    name = f"{urlsplit(database_url).path.lstrip('/')}_sla_{uuid.uuid4().hex[:6]}"
    url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    await _admin(database_url, f'CREATE DATABASE "{name}"')
    try:
        await asyncio.to_thread(upgrade, url)  # Alembic runs its own event loop
        assert await seed_demo_if_empty(url, settings) is True
        engine = make_engine(url, pool_size=2)
        try:
            assert await SlaWatcher(engine, NoBroker()).run_once() == 0
            async with engine.connect() as conn:
                breaches = "SELECT count(*) FROM feed_entries WHERE type = 'sla_breached'"
                assert (await conn.execute(text(breaches))).scalar_one() > 0
        finally:
            await engine.dispose()
        async with app_client(settings, database_url=url) as client:
            await _walk(client)
    finally:
        await _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _walk(client) -> None:
    login = await gql(client, LOGIN, {"e": "admin@nordlys.test", "p": DEMO_PASSWORD})
    token = login["data"]["login"]["token"]
    config = (await gql(client, CONFIG, token=token))["data"]
    statuses = {s["name"]: s for s in config["workflowStatuses"]}
    assert statuses["Waiting for customer"]["pausesSla"] is True
    assert [s["name"] for s in statuses.values() if s["isDefault"]] == ["New"]
    priorities = {p["name"]: p for p in config["priorities"]}
    assert set(priorities) == {"Normal", "High"}
    assert all(p["firstResponseMinutes"] and p["resolutionMinutes"] for p in priorities.values())

    cases = (await gql(client, STATES, token=token))["data"]["cases"]["nodes"]
    assert all(c["workflowStatus"] and c["priority"] and c["sla"] for c in cases)
    states = {c["sla"]["state"] for c in cases}
    assert {"PAUSED", "MET", "BREACHED", "ON_TRACK"} <= states, states

    for link_token, _ in DEMO_CUSTOMER_TOKENS:
        customer = await gql(client, CUSTOMER, {"t": link_token})
        mine = await gql(
            client,
            "{ viewer { case { customerStatusLabel } } }",
            token=customer["data"]["customerLogin"]["token"],
        )
        label = mine["data"]["viewer"]["case"]["customerStatusLabel"]
        assert label is None or label not in statuses  # a label, never an internal name

"""The demo portals come with statuses (one pausing the SLA while waiting for the
customer) and priorities with targets, and the demo cases stand in them sensibly."""

from __future__ import annotations

from server.seed.demo import DEMO_CUSTOMER_TOKENS, DEMO_PASSWORD, seed_demo_if_empty
from tests.graphql import gql

LOGIN = """mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""
CUSTOMER = """mutation ($t: String!) { customerLogin(accessToken: $t) { token } }"""
CONFIG = """
{ workflowStatuses { name pausesSla isDefault customerLabel }
  priorities { name firstResponseMinutes resolutionMinutes isDefault } }"""
STATES = """
{ cases(first: 100) { totalCount nodes { workflowStatus { name } priority { name } sla { state } } } }"""


async def test_demo_has_statuses_priorities_and_sla_states(client, database_url, settings):
    await seed_demo_if_empty(database_url, settings)
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
    assert {"PAUSED", "MET", "BREACHED"} <= states, states

    for link_token, _ in DEMO_CUSTOMER_TOKENS:
        customer = await gql(client, CUSTOMER, {"t": link_token})
        mine = await gql(
            client,
            "{ viewer { case { customerStatusLabel } } }",
            token=customer["data"]["customerLogin"]["token"],
        )
        label = mine["data"]["viewer"]["case"]["customerStatusLabel"]
        assert label is None or label not in statuses  # a label, never an internal name

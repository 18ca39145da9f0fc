"""The dashboard's SLA filters: `slaState` in SQL agrees with Case.sla.state (the pure
function) for cases in every state, `totalCount` counts them, workflow status and
priority filters select by id, customers may not use them, and the statement count of a
list with the new fields does not grow with its length."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.factories import add_cases, build_portal, gid
from tests.graphql import error_codes, gql
from tests.sla.helpers import add_priority, add_status, set_case

CASES = """
query ($filter: CaseFilterInput, $first: Int) {
  cases(filter: $filter, first: $first) {
    totalCount
    nodes { number sla { state } }
  }
}"""
WIDE = """
query ($first: Int) {
  cases(first: $first) {
    nodes {
      number customerStatusLabel
      workflowStatus { name color }
      priority { name firstResponseMinutes }
      sla { state paused firstResponse { state dueAt } resolution { state dueAt } }
    }
  }
}"""

HOUR = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)

# Each case's clock, relative to now; priority: 60 min first response, 600 min resolution.
SHAPES: dict[str, Any] = {
    "on_track": lambda now: {"created_at": now - 10 * MIN},
    "at_risk": lambda now: {"created_at": now - 50 * MIN},  # 83 % of 60 min
    "breached": lambda now: {"created_at": now - 2 * HOUR},
    "breached_then_paused": lambda now: {
        "created_at": now - 3 * HOUR,
        "sla_paused_since": now - HOUR,
    },
    "paused": lambda now: {
        "created_at": now - 3 * HOUR,
        "sla_paused_since": now - 2 * HOUR - 30 * MIN,
    },
    "resumed_on_track": lambda now: {
        "created_at": now - 3 * HOUR,
        "sla_paused_seconds": 3 * 3600 - 600,
    },
    "recorded_breach": lambda now: {
        "created_at": now - 10 * MIN,
        "first_response_at": now - 9 * MIN,
        "first_response_breached_at": now - 9 * MIN,
    },
    "met": lambda now: {
        "created_at": now - 5 * HOUR,
        "first_response_at": now - 5 * HOUR + 5 * MIN,
        "closed_at": now - 4 * HOUR,
        "status": "closed",
    },
}
EXPECTED = {
    "BREACHED": {"breached", "breached_then_paused", "recorded_breach"},
    "AT_RISK": {"at_risk"},
    "PAUSED": {"paused"},
    "ON_TRACK": {"on_track", "resumed_on_track"},
    "MET": {"met"},
}


@pytest.fixture
async def clocks(engine, settings) -> tuple[Any, dict[str, str]]:
    """A portal with one case per shape, plus one case without a priority (no SLA)."""
    portal = await build_portal(engine, settings, "Clocks")
    priority = await add_priority(
        engine,
        portal.insurer.id,
        "Normal",
        first_response_minutes=60,
        resolution_minutes=600,
        at_risk_percent=80,
    )
    ids = await add_cases(engine, portal, len(SHAPES))
    now = dt.datetime.now(dt.UTC)
    numbers: dict[str, str] = {}
    async with engine.connect() as conn:
        from sqlalchemy import text

        rows = (
            await conn.execute(
                text("SELECT id, number FROM cases WHERE id = ANY(:ids)"), {"ids": ids}
            )
        ).all()
    by_id = dict(rows)
    for (name, shape), case_id in zip(SHAPES.items(), ids, strict=True):
        await set_case(engine, case_id, priority_id=priority, **shape(now))
        numbers[by_id[case_id]] = name
    return portal, numbers


@pytest.mark.parametrize("state", list(EXPECTED))
async def test_sla_state_filter_agrees_with_the_clock(client, clocks, state):
    portal, numbers = clocks
    result = await gql(
        client, CASES, {"filter": {"slaState": [state]}, "first": 100}, token=portal.tokens["staff"]
    )
    assert "errors" not in result, result
    cases = result["data"]["cases"]
    found = {numbers.get(n["number"], n["number"]) for n in cases["nodes"]}
    assert found == EXPECTED[state]
    assert cases["totalCount"] == len(EXPECTED[state])
    # The SQL filter and the pure function (Case.sla) say the same.
    assert {n["sla"]["state"] for n in cases["nodes"]} == {state}


async def test_states_combine_and_cases_without_sla_match_none(client, clocks):
    portal, numbers = clocks
    result = await gql(
        client,
        CASES,
        {"filter": {"slaState": ["BREACHED", "AT_RISK"], "status": ["OPEN"]}, "first": 100},
        token=portal.tokens["staff"],
    )
    found = {numbers.get(n["number"], n["number"]) for n in result["data"]["cases"]["nodes"]}
    assert found == EXPECTED["BREACHED"] | EXPECTED["AT_RISK"]
    everything = await gql(
        client,
        CASES,
        {"filter": {"slaState": list(EXPECTED)}, "first": 100},
        token=portal.tokens["staff"],
    )
    # The factory's own three cases have no priority, so no SLA state.
    assert everything["data"]["cases"]["totalCount"] == len(SHAPES)


async def test_filter_by_workflow_status_and_priority(client, world, engine):
    portal = world.portal
    doing = await add_status(engine, portal.insurer.id, "Doing")
    high = await add_priority(engine, portal.insurer.id, "High")
    await set_case(engine, portal.case.id, workflow_status_id=doing)
    await set_case(engine, portal.lonely_case.id, priority_id=high)
    for case_filter, expected in (
        ({"workflowStatusIds": [gid("WorkflowStatus", doing)]}, {portal.case.number}),
        ({"priorityIds": [gid("Priority", high)]}, {portal.lonely_case.number}),
    ):
        result = await gql(
            client, CASES, {"filter": case_filter, "first": 100}, token=portal.tokens["staff"]
        )
        assert {n["number"] for n in result["data"]["cases"]["nodes"]} == expected
        assert result["data"]["cases"]["totalCount"] == 1
    result = await gql(
        client,
        CASES,
        {"filter": {"priorityIds": [gid("Case", 1)]}},
        token=portal.tokens["staff"],
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "case_filter",
    [
        {"slaState": ["BREACHED"]},
        {"workflowStatusIds": ["V29ya2Zsb3dTdGF0dXM6MQ=="]},
        {"priorityIds": ["UHJpb3JpdHk6MQ=="]},
    ],
)
async def test_customers_cannot_use_the_sla_filters(client, world, case_filter):
    result = await gql(
        client, CASES, {"filter": case_filter}, token=world.portal.tokens["customer"]
    )
    assert error_codes(result) == ["FORBIDDEN"]


async def test_statement_count_does_not_grow_with_the_list(
    client, engine, settings, count_statements
):
    portal = await build_portal(engine, settings, "Count")
    status = await add_status(
        engine, portal.insurer.id, "Doing", visible_to_customer=True, customer_label="Busy"
    )
    priority = await add_priority(engine, portal.insurer.id, "Normal", first_response_minutes=60)
    counts = []
    for more in (2, 12):
        for case_id in await add_cases(engine, portal, more):
            await set_case(engine, case_id, workflow_status_id=status, priority_id=priority)
        with count_statements() as counter:
            result = await gql(client, WIDE, {"first": 100}, token=portal.tokens["staff"])
        assert "errors" not in result, result
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


PLAIN = """
query ($filter: CaseFilterInput) { cases(filter: $filter, first: 100) { totalCount nodes { number } } }"""


async def test_a_selection_the_compiled_path_could_answer_still_filters(client, clocks):
    # Only compiled fields selected: the compiled path must decline, not drop the filter.
    portal, numbers = clocks
    result = await gql(
        client, PLAIN, {"filter": {"slaState": ["AT_RISK"]}}, token=portal.tokens["staff"]
    )
    assert "errors" not in result, result
    assert {numbers[n["number"]] for n in result["data"]["cases"]["nodes"]} == {"at_risk"}
    assert result["data"]["cases"]["totalCount"] == 1

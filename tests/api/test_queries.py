"""Reading: connections and cursors, filters and ordering, nodes, viewer, and the
statement count that proves there is no N+1."""

from __future__ import annotations

import pytest

from tests.factories import add_cases, build_portal, gid
from tests.graphql import error_codes, gql

FEED_PAGE = """
query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  case(id: $id) {
    feed(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { payload } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}"""


async def test_feed_pages_newest_first_without_gaps_or_duplicates(client, world, engine):
    portal = world.portal
    [case_id] = await add_cases(engine, portal, 1)
    token = portal.tokens["staff"]
    seen, after = [], None
    while True:
        result = await gql(
            client, FEED_PAGE, {"id": gid("Case", case_id), "first": 4, "after": after}, token=token
        )
        feed = result["data"]["case"]["feed"]
        seen += [edge["node"]["payload"]["n"] for edge in feed["edges"]]
        assert feed["totalCount"] == 6
        if not feed["pageInfo"]["hasNextPage"]:
            break
        after = feed["pageInfo"]["endCursor"]
    assert seen == [5, 4, 3, 2, 1, 0]
    last = await gql(client, FEED_PAGE, {"id": gid("Case", case_id), "last": 2}, token=token)
    feed = last["data"]["case"]["feed"]
    assert [e["node"]["payload"]["n"] for e in feed["edges"]] == [1, 0]
    assert feed["pageInfo"]["hasPreviousPage"] is True
    before = await gql(
        client,
        FEED_PAGE,
        {"id": gid("Case", case_id), "last": 2, "before": feed["pageInfo"]["startCursor"]},
        token=token,
    )
    assert [e["node"]["payload"]["n"] for e in before["data"]["case"]["feed"]["edges"]] == [3, 2]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"last": -1}, "last"),
        ({"first": 1, "last": 1}, "first"),
        ({"first": 1, "after": "garbage"}, "after"),
    ],
)
async def test_bad_page_arguments(client, world, variables, field):
    portal = world.portal
    result = await gql(
        client,
        FEED_PAGE,
        {"id": gid("Case", portal.case.id), **variables},
        token=portal.tokens["staff"],
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["extensions"]["field"] == field


CASES = """
query ($first: Int, $after: String, $last: Int, $before: String, $filter: CaseFilterInput,
       $orderBy: CaseOrder) {
  cases(first: $first, after: $after, last: $last, before: $before, filter: $filter,
        orderBy: $orderBy) {
    totalCount
    nodes { number status damageType }
    pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
  }
}"""


async def test_case_list_walks_every_case_once_in_order(client, engine, settings):
    portal = await build_portal(engine, settings, "Paging")
    await add_cases(engine, portal, 12)
    token = portal.tokens["staff"]
    numbers, after = [], None
    for _ in range(10):
        result = await gql(
            client,
            CASES,
            {"first": 5, "after": after, "orderBy": {"field": "NUMBER", "direction": "ASC"}},
            token=token,
        )
        page = result["data"]["cases"]
        numbers += [n["number"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(numbers) == 15 == page["totalCount"]
    assert numbers == sorted(numbers)
    backwards = await gql(
        client, CASES, {"last": 3, "orderBy": {"field": "NUMBER", "direction": "ASC"}}, token=token
    )
    assert [n["number"] for n in backwards["data"]["cases"]["nodes"]] == numbers[-3:]


async def test_case_filters_combine(client, world):
    portal = world.portal
    token = portal.tokens["staff"]
    fire = await gql(client, CASES, {"filter": {"damageType": ["FIRE"]}}, token=token)
    assert [n["number"] for n in fire["data"]["cases"]["nodes"]] == [portal.lonely_case.number]
    search = await gql(
        client,
        CASES,
        {"filter": {"search": portal.case.claim_number, "status": ["OPEN"]}},
        token=token,
    )
    assert [n["number"] for n in search["data"]["cases"]["nodes"]] == [portal.case.number]
    handler = await gql(
        client,
        CASES,
        {"filter": {"caseHandlerId": gid("User", portal.handler.id), "status": ["CLOSED"]}},
        token=token,
    )
    assert handler["data"]["cases"]["totalCount"] == 0


async def test_cursor_from_another_ordering_is_rejected(client, world):
    token = world.portal.tokens["staff"]
    first = await gql(client, CASES, {"first": 1}, token=token)
    cursor = first["data"]["cases"]["pageInfo"]["endCursor"]
    result = await gql(
        client, CASES, {"first": 1, "after": cursor, "orderBy": {"field": "NUMBER"}}, token=token
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]


async def test_nodes_and_viewer(client, world):
    portal = world.portal
    query = """query ($ids: [ID!]!) {
      viewer { role user { name company { name } office { name } } insurer { name } }
      nodes(ids: $ids) { id ... on Case { number } ... on Task { title } }
    }"""
    ids = [
        gid("Case", portal.case.id),
        gid("Task", portal.ids["inspection"]),
        gid("Case", world.foreign.case.id),
    ]
    result = await gql(client, query, {"ids": ids}, token=portal.tokens["partner"])
    data = result["data"]
    assert data["viewer"]["role"] == "PARTNER"
    assert data["viewer"]["user"]["office"]["name"] == "Bygg Oslo"
    assert data["viewer"]["insurer"]["name"] == portal.insurer.name
    assert data["nodes"][0]["number"] == portal.case.number
    assert data["nodes"][1]["title"] == "Main inspection"
    assert data["nodes"][2] is None


async def test_customer_viewer_is_bound_to_their_case(client, world):
    portal = world.portal
    result = await gql(
        client, "{ viewer { role user { id } case { number } } }", token=portal.tokens["customer"]
    )
    assert result["data"]["viewer"] == {
        "role": "CUSTOMER",
        "user": None,
        "case": {"number": portal.case.number},
    }


W1 = """
query ($first: Int!) {
  cases(first: $first) {
    totalCount
    nodes {
      id number status city budget
      caseHandler { name }
      tasks { id kind title status office { name } responsible { name } }
      documents(first: 10) { nodes { id title fileName } }
      feed(first: 5) { nodes { id type createdAt actor { name } } }
    }
  }
}"""


async def test_case_list_statement_count_does_not_grow_with_cases(
    client, engine, settings, count_statements
):
    portal = await build_portal(engine, settings, "Many")
    await add_cases(engine, portal, 50)
    token = portal.tokens["staff"]
    counts = {}
    for first in (5, 50):
        with count_statements() as counter:
            result = await gql(client, W1, {"first": first}, token=token)
        assert "errors" not in result, result
        assert len(result["data"]["cases"]["nodes"]) == first
        counts[first] = counter.count
    print("statements per request:", counts)
    assert counts[5] == counts[50], counts
    # cases, count, handlers, tasks, offices, users, documents, feed: a handful, not 50×.
    assert counts[50] <= 10, counts


async def test_child_page_info_with_cursors_on_either_side(client, world, engine):
    """first+before and last+after: a cursor on a side proves items on that side."""
    portal = world.portal
    [case_id] = await add_cases(engine, portal, 1)
    token = portal.tokens["staff"]
    first = await gql(client, FEED_PAGE, {"id": gid("Case", case_id), "first": 2}, token=token)
    middle = first["data"]["case"]["feed"]["pageInfo"]["endCursor"]
    before = await gql(
        client, FEED_PAGE, {"id": gid("Case", case_id), "first": 1, "before": middle}, token=token
    )
    assert before["data"]["case"]["feed"]["pageInfo"]["hasNextPage"] is True
    after = await gql(
        client, FEED_PAGE, {"id": gid("Case", case_id), "last": 1, "after": middle}, token=token
    )
    assert after["data"]["case"]["feed"]["pageInfo"]["hasPreviousPage"] is True

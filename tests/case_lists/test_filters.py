"""Case-list filters for dashboards: each returns exactly the expected cases of a seeded
portal (tests/case_lists/seed.py), for the viewer asking; they combine with AND; the
statement count does not grow with the page. Every query here also runs through the
compiled read path and must match (compare_read_paths)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.case_lists.seed import Seeded, seed_dashboard
from tests.factories import add_cases, build_portal, gid
from tests.graphql import error_codes, gql

CASES = """
query ($filter: CaseFilterInput, $orderBy: CaseOrder, $first: Int, $after: String) {
  cases(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    nodes { number status }
    pageInfo { hasNextPage endCursor }
  }
}"""

ALL = ("case", "handled", "lonely", "pm", "budget", "ech_pending", "read_msgs")


@pytest.fixture
async def seeded(engine, settings) -> Seeded:
    return await seed_dashboard(engine, settings, "Dashboard")


def _ids(seeded: Seeded, spec: Any) -> Any:
    """Test tables name people and offices by label; the API takes global ids."""
    portal = seeded.portal
    people = {
        "handler": portal.handler,
        "admin": portal.admin,
        "partner_user": portal.partner_user,
        "other_partner_user": portal.other_partner_user,
        "ech": portal.ech,
    }
    offices = {"office": portal.office, "other_office": portal.other_office}
    if isinstance(spec, list):
        return [_ids(seeded, one) for one in spec]
    if spec in offices:
        return gid("Office", offices[spec].id)
    if spec in people:
        return gid("User", people[spec].id)
    return spec


async def _numbers(client, seeded: Seeded, viewer: str, case_filter: dict[str, Any]) -> set[str]:
    resolved = {key: _ids(seeded, value) for key, value in case_filter.items()}
    result = await gql(
        client, CASES, {"filter": resolved, "first": 100}, token=seeded.portal.tokens[viewer]
    )
    assert "errors" not in result, result
    cases = result["data"]["cases"]
    numbers = [node["number"] for node in cases["nodes"]]
    assert cases["totalCount"] == len(numbers)
    return set(numbers)


@pytest.mark.parametrize(
    ("viewer", "case_filter", "expected"),
    [
        ("staff", {"officeIds": ["office"]}, {"case", "pm", "budget", "ech_pending", "read_msgs"}),
        ("staff", {"officeIds": ["other_office"]}, {"case", "handled", "pm", "read_msgs"}),
        ("staff", {"officeIds": ["office", "other_office"]}, set(ALL) - {"lonely"}),
        ("staff", {"userId": "partner_user"}, {"case", "pm", "read_msgs"}),
        ("staff", {"userId": "ech"}, {"handled", "read_msgs"}),
        ("staff", {"userId": "admin"}, {"pm"}),
        ("staff", {"userId": "handler"}, set(ALL) - {"pm"}),
        ("staff", {"caseHandlerIds": ["admin"]}, {"pm"}),
        ("staff", {"caseHandlerIds": ["admin", "handler"]}, set(ALL)),
        ("staff", {"inspectorIds": ["partner_user"]}, {"case", "read_msgs"}),
        ("staff", {"inspectorIds": ["other_partner_user"]}, set()),
        ("staff", {"projectManagerIds": ["other_partner_user"]}, {"pm"}),
        ("staff", {"projectManagerIds": ["partner_user"]}, set()),
        ("staff", {"hasExternalCaseHandler": True}, {"handled", "ech_pending", "read_msgs"}),
        ("staff", {"hasExternalCaseHandler": False}, {"case", "lonely", "pm", "budget"}),
        ("staff", {"unreadCustomerMessages": True}, {"case"}),
        ("staff", {"unreadCustomerMessages": False}, set(ALL) - {"case"}),
        ("staff", {"customerActivity": True}, {"ech_pending"}),
        ("staff", {"externalCaseHandlerIsMe": True}, set()),
        ("ech", {"externalCaseHandlerIsMe": True}, {"handled", "read_msgs"}),
        ("ech", {"externalCaseHandlerIsMe": False}, {"case", "pm"}),
        ("staff", {"myTasks": True}, set()),
        ("partner", {"myTasks": True}, {"case", "pm"}),
        ("partner", {"myTasks": False}, {"budget", "read_msgs", "ech_pending"}),
        ("other_partner", {"myTasks": True}, {"case", "pm"}),
        ("staff", {"actionRequired": True}, {"pm", "budget", "ech_pending", "read_msgs"}),
        ("staff", {"actionRequired": False}, {"case", "handled", "lonely"}),
        ("admin", {"actionRequired": True}, {"pm", "budget", "ech_pending", "read_msgs"}),
        ("ech", {"actionRequired": True}, {"case", "read_msgs"}),
        ("partner", {"actionRequired": True}, {"pm"}),
        ("integration", {"actionRequired": True}, {"pm", "budget", "ech_pending", "read_msgs"}),
        ("integration", {"myTasks": True}, set()),
        ("integration", {"userId": "partner_user"}, {"case", "pm", "read_msgs"}),
        # Filters combine with AND.
        (
            "staff",
            {"officeIds": ["office"], "status": ["OPEN"], "actionRequired": True},
            {"pm", "ech_pending", "read_msgs"},
        ),
        (
            "staff",
            {
                "hasExternalCaseHandler": True,
                "unreadCustomerMessages": False,
                "damageType": "WATER",
            },
            {"handled", "read_msgs"},
        ),
        (
            "staff",
            {"userId": "partner_user", "inspectorIds": ["partner_user"]},
            {"case", "read_msgs"},
        ),
        ("partner", {"myTasks": True, "actionRequired": True}, {"pm"}),
        ("staff", {"caseHandlerIds": ["admin"], "status": ["CLOSED"]}, set()),
    ],
)
async def test_filter_returns_exactly_the_expected_cases(
    client, seeded, viewer, case_filter, expected
):
    assert await _numbers(client, seeded, viewer, case_filter) == seeded.numbers(*expected)


@pytest.mark.parametrize(
    "case_filter",
    [
        {"caseHandlerId": "handler"},
        {"unreadCustomerMessages": True},
        {"myTasks": True},
        {"inspectorIds": ["partner_user"]},
        {"customerActivity": False},
    ],
)
async def test_customers_cannot_probe_their_case_with_insider_filters(client, seeded, case_filter):
    """Filtering their own case by who handles it would reveal what the page may hide
    (e.g. the case handler when `showCaseHandlerName` is off)."""
    resolved = {key: _ids(seeded, value) for key, value in case_filter.items()}
    token = seeded.portal.tokens["customer"]
    result = await gql(client, CASES, {"filter": resolved, "first": 10}, token=token)
    assert error_codes(result) == ["FORBIDDEN"], result
    allowed = await _numbers(client, seeded, "customer", {"status": ["OPEN", "ON_HOLD"]})
    assert allowed <= seeded.numbers("case")


@pytest.mark.parametrize(
    ("case_filter", "field"),
    [
        ({"officeIds": ["partner_user"]}, "officeIds"),
        ({"userId": "office"}, "userId"),
        ({"inspectorIds": ["garbage"]}, "inspectorIds"),
        ({"caseHandlerIds": ["admin"] * 101}, "caseHandlerIds"),
        ({"projectManagerIds": ["office"]}, "projectManagerIds"),
    ],
)
async def test_bad_filter_ids_are_refused(client, seeded, case_filter, field):
    resolved = {key: _ids(seeded, value) for key, value in case_filter.items()}
    result = await gql(client, CASES, {"filter": resolved}, token=seeded.portal.tokens["staff"])
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["extensions"]["field"] == field


async def test_sort_by_status_follows_the_lifecycle_across_pages(client, seeded):
    token = seeded.portal.tokens["staff"]
    order = {"field": "STATUS", "direction": "ASC"}
    statuses, after = [], None
    for _ in range(10):
        result = await gql(
            client, CASES, {"orderBy": order, "first": 3, "after": after}, token=token
        )
        page = result["data"]["cases"]
        statuses += [node["status"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert statuses == ["OPEN"] * 6 + ["CLOSED"]
    backwards = await gql(
        client, CASES, {"orderBy": {"field": "STATUS", "direction": "DESC"}}, token=token
    )
    assert backwards["data"]["cases"]["nodes"][0]["status"] == "CLOSED"


EVERY_FILTER = """
query ($first: Int!, $filter: CaseFilterInput) {
  cases(first: $first, filter: $filter) {
    totalCount
    nodes { id number status caseHandler { name } tasks { id kind status } }
  }
}"""


async def test_statement_count_is_flat_with_every_filter(
    client, engine, settings, count_statements
):
    portal = await build_portal(engine, settings, "ManyFilters")
    await add_cases(engine, portal, 50)
    case_filter = {
        "officeIds": [gid("Office", portal.office.id)],
        "userId": gid("User", portal.handler.id),
        "caseHandlerIds": [gid("User", portal.handler.id)],
        "status": ["OPEN"],
        "myTasks": False,
        "actionRequired": False,
        "hasExternalCaseHandler": False,
        "externalCaseHandlerIsMe": False,
        "unreadCustomerMessages": False,
    }
    counts = {}
    for first in (5, 50):
        with count_statements() as counter:
            result = await gql(
                client,
                EVERY_FILTER,
                {"first": first, "filter": case_filter},
                token=portal.tokens["staff"],
            )
        assert "errors" not in result, result
        assert len(result["data"]["cases"]["nodes"]) == first
        counts[first] = counter.count
    assert counts[5] == counts[50], counts
    assert counts[50] <= 6, counts

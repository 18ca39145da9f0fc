"""The case statistics report: CSV over HTTP (who may download it, its rows, filters,
streaming in chunks) and the same rows through GraphQL."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import pytest
from sqlalchemy import text

from resolvers.queries.case_statistics import BATCH, COLUMNS
from tests.case_lists.seed import Seeded, seed_dashboard
from tests.factories import add_cases, build_portal
from tests.graphql import error_codes, gql

REPORT = "/reports/case-statistics.csv"
HEADER = [name for name, _ in COLUMNS]

STATISTICS = """
query ($first: Int, $after: String, $filter: CaseStatisticsFilterInput) {
  caseStatistics(first: $first, after: $after, filter: $filter) {
    totalCount
    nodes {
      number claimNumber status damageType createdAt closedAt caseHandlerEmail
      inspectorOffice inspector projectManagerOffice projectManager taskCount
      approvedBudgetTotal submittedBudgetTotal caseBudget externalCaseHandlerOffice
      externalCaseHandlerEmail customerAccessCount
    }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
async def seeded(engine, settings) -> Seeded:
    return await seed_dashboard(engine, settings, "Statistics")


async def _csv(client, token: str | None, **params: Any) -> tuple[int, list[dict[str, str]]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.get(REPORT, params=params, headers=headers)
    if response.status_code != 200:
        return response.status_code, [response.json()]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    reader = csv.reader(io.StringIO(response.text))
    assert next(reader) == HEADER
    return 200, [dict(zip(HEADER, line, strict=True)) for line in reader]


async def test_csv_has_a_row_per_case_with_people_tasks_budgets_and_access(client, seeded):
    status, rows = await _csv(client, seeded.portal.tokens["staff"])
    assert status == 200
    by_label = {seeded.label_of(row["case_number"]): row for row in rows}
    assert set(by_label) == set(seeded.cases)
    assert [row["case_number"] for row in rows] == [
        case.number for case in sorted(seeded.cases.values(), key=lambda c: c.id)
    ]
    portal = seeded.portal
    case = by_label["case"]
    assert case["status"] == "OPEN"
    assert case["damage_type"] == "WATER"
    assert case["case_handler_email"] == portal.handler.email
    assert (case["inspector_office"], case["inspector"]) == ("Bygg Oslo", "Per Partner")
    assert case["task_count"] == "3"
    assert case["customer_access_count"] == "1"
    assert case["case_budget"] == "125000.00"
    assert case["closed_at"] == ""
    assert case["created_at"].endswith("Z")
    pm = by_label["pm"]
    assert (pm["project_manager_office"], pm["project_manager"]) == ("Tørk Bergen", "Olga Other")
    assert pm["case_handler_email"] == portal.admin.email
    handled = by_label["read_msgs"]
    assert handled["external_case_handler_office"] == "Tørk Bergen"
    assert handled["external_case_handler_email"] == portal.ech.email
    assert (handled["submitted_budget_total"], handled["approved_budget_total"]) == (
        "4200.00",
        "0.00",
    )
    pending = by_label["ech_pending"]
    assert pending["external_case_handler_office"] == "Bygg Oslo"
    assert pending["external_case_handler_email"] == ""
    assert by_label["lonely"]["customer_access_count"] == "0"


@pytest.mark.parametrize(
    ("viewer", "status", "code"),
    [
        ("staff", 200, None),
        ("admin", 200, None),
        ("integration", 200, None),
        ("integration_readonly", 403, "FORBIDDEN"),  # cases:read without budgets:read
        ("partner", 403, "FORBIDDEN"),
        ("ech", 403, "FORBIDDEN"),
        ("customer", 403, "FORBIDDEN"),
        (None, 401, "UNAUTHENTICATED"),
        ("not-a-token", 401, "UNAUTHENTICATED"),
    ],
)
async def test_who_may_download_the_csv(client, seeded, viewer, status, code):
    token = seeded.portal.tokens.get(viewer, viewer) if viewer else None
    got, rows = await _csv(client, token)
    assert got == status
    if code:
        assert rows[0]["errors"][0]["extensions"]["code"] == code
    else:
        assert len(rows) == len(seeded.cases)


async def test_csv_never_crosses_portals(client, engine, settings, seeded):
    other = await build_portal(engine, settings, "OtherStatistics")
    _, rows = await _csv(client, other.tokens["staff"])
    assert not {row["case_number"] for row in rows} & seeded.numbers(*seeded.cases)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "closed"}, {"budget"}),
        (
            {"status": "OPEN,closed"},
            {"case", "handled", "lonely", "pm", "budget", "ech_pending", "read_msgs"},
        ),
        ({"createdAfter": "2999-01-01"}, set()),
        ({"createdBefore": "2000-01-01T00:00:00Z"}, set()),
        ({"createdAfter": "2000-01-01", "status": "closed"}, {"budget"}),
    ],
)
async def test_csv_filters(client, seeded, params, expected):
    status, rows = await _csv(client, seeded.portal.tokens["staff"], **params)
    assert status == 200
    assert {row["case_number"] for row in rows} == seeded.numbers(*expected)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "lost"}, "status"), ({"createdAfter": "yesterday"}, "createdAfter")],
)
async def test_csv_bad_filters_are_400_with_the_field(client, seeded, params, field):
    status, body = await _csv(client, seeded.portal.tokens["staff"], **params)
    assert status == 400
    extensions = body[0]["errors"][0]["extensions"]
    assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", field)


def _as_csv_cells(node: dict[str, Any]) -> list[str]:
    """A GraphQL row in the CSV's text form (the scalars already match it)."""
    return ["" if value is None else str(value) for value in node.values()]


async def test_graphql_rows_equal_csv_rows(client, seeded):
    token = seeded.portal.tokens["staff"]
    _, rows = await _csv(client, token)
    nodes, after = [], None
    for _ in range(10):
        result = await gql(client, STATISTICS, {"first": 3, "after": after}, token=token)
        assert "errors" not in result, result
        page = result["data"]["caseStatistics"]
        assert page["totalCount"] == len(seeded.cases)
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [_as_csv_cells(node) for node in nodes] == [list(row.values()) for row in rows]
    closed = await gql(client, STATISTICS, {"filter": {"status": ["CLOSED"]}}, token=token)
    assert [n["number"] for n in closed["data"]["caseStatistics"]["nodes"]] == [
        seeded.cases["budget"].number
    ]


@pytest.mark.parametrize("viewer", ["partner", "ech", "customer"])
async def test_graphql_statistics_are_for_staff(client, seeded, viewer):
    result = await gql(client, STATISTICS, token=seeded.portal.tokens[viewer])
    assert error_codes(result) == ["FORBIDDEN"]


async def _many_cases(engine, portal, count: int) -> None:
    """`count` bare cases in one statement: enough rows to need several batches."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (insurer_id, number, damage_type, street, postal_code, city, "
                "case_handler_id) SELECT :insurer, 'T-B' || n, 'water', 'Bulkveien ' || n, "
                "'0150', 'Oslo', :handler FROM generate_series(1, :count) AS n"
            ),
            {"insurer": portal.insurer.id, "handler": portal.handler.id, "count": count},
        )


async def test_csv_streams_in_chunks(app, engine, settings):
    """Straight through ASGI (httpx's test transport joins the body): the header, then a
    chunk per batch of rows, with no Content-Length."""
    portal = await build_portal(engine, settings, "Streaming")
    await _many_cases(engine, portal, 2 * BATCH + 500)
    messages: list[dict[str, Any]] = []
    requested, done = False, asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays connected until the body is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    token = portal.tokens["staff"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": REPORT,
        "raw_path": REPORT.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", b"Bearer " + token)],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    start = messages[0]
    assert start["status"] == 200
    assert b"content-length" not in dict(start["headers"])
    bodies = [m["body"] for m in messages[1:] if m.get("body")]
    assert len(bodies) >= 4  # header, then 1000 + 1000 + 503 rows
    lines = b"".join(bodies).decode().splitlines()
    assert len(lines) == 1 + 2 * BATCH + 500 + 3


async def test_graphql_statistics_statement_count_is_flat(
    client, engine, settings, count_statements
):
    portal = await build_portal(engine, settings, "ManyStatistics")
    await add_cases(engine, portal, 50)
    counts = {}
    for first in (5, 50):
        with count_statements() as counter:
            result = await gql(client, STATISTICS, {"first": first}, token=portal.tokens["staff"])
        assert "errors" not in result, result
        assert len(result["data"]["caseStatistics"]["nodes"]) == first
        counts[first] = counter.count
    assert counts[5] == counts[50], counts
    assert counts[50] <= 3, counts  # the page and its total (plus the principal check)

"""The customer grants CSV: one row per customer and grant with login statistics
(calendar months in UTC), injection-safe, staff only; every sign-in is recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import text

from resolvers.queries.customer_grants_report import COLUMNS, render, report_select
from tests.customer_access.conftest import CUSTOMER_LOGIN
from tests.customers.conftest import CUSTOMER_CREATE, grant_login, ok, set_customer
from tests.graphql import gql

REPORT = "/reports/customer-grants.csv"
HEADER = [name for name, _ in COLUMNS]
UTC = dt.UTC


async def grant_ids(engine, insurer_id):
    async with engine.connect() as conn:
        customer_grant = await conn.scalar(
            text("SELECT id FROM customer_grants WHERE insurer_id = :i"), {"i": insurer_id}
        )
    return customer_grant


async def add_logins(engine, insurer_id, *, customer_grant=None, case_grant=None, at=()):
    async with engine.begin() as conn:
        for when in at:
            await conn.execute(
                text(
                    "INSERT INTO customer_logins (insurer_id, case_grant_id, customer_grant_id, at)"
                    " VALUES (:i, :case, :customer, :at)"
                ),
                {"i": insurer_id, "case": case_grant, "customer": customer_grant, "at": when},
            )


async def rows_at(engine, insurer_id, now):
    async with engine.connect() as conn:
        rows = (await conn.execute(report_select(insurer_id, now))).all()
    return list(csv.DictReader(io.StringIO(render(rows, header=True))))


async def test_login_statistics_across_a_month_boundary(world, brokered, engine):
    portal = world.portal
    insurer = portal.insurer.id
    customer_grant = await grant_ids(engine, insurer)
    # given logins just before and just after midnight UTC on 1 March, and one in January
    await add_logins(
        engine, insurer, customer_grant=customer_grant,
        at=[
            dt.datetime(2026, 1, 31, 23, 0, tzinfo=UTC),
            dt.datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
            dt.datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC),
            dt.datetime(2026, 3, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),  # 28 Feb 23:00 UTC
        ],
    )  # fmt: skip
    await add_logins(
        engine, insurer, case_grant=portal.ids["grant"],
        at=[dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)],
    )  # fmt: skip
    # when the report is read on 15 March
    rows = await rows_at(engine, insurer, dt.datetime(2026, 3, 15, 12, tzinfo=UTC))
    by = {(r["customer_name"], r["grant_kind"]): r for r in rows}
    a_grant = by[("Kunde A", "customer")]
    assert a_grant["grant_holder"] == "Eva Eiendom" and a_grant["case_number"] == ""
    assert (a_grant["logins_this_month"], a_grant["logins_last_month"], a_grant["total_logins"]) == (
        "1", "2", "4",
    )  # fmt: skip
    assert a_grant["last_login"] == "2026-03-01T00:00:00.000000Z"
    # both customers of the grant show its statistics
    assert by[("Kunde B", "customer")]["total_logins"] == "4"
    # the factory's case grant on A's case is listed under A, with the case number
    case_row = by[("Kunde A", "case")]
    assert (
        case_row["grant_holder"] == "Kari Kunde" and case_row["case_number"] == portal.case.number
    )
    assert (case_row["logins_this_month"], case_row["total_logins"]) == ("1", "1")
    # C has no grant: one row, grant columns empty
    c_row = by[("Kunde C", "")]
    assert c_row["grant_holder"] == "" and c_row["total_logins"] == ""
    assert len(rows) == 4
    # on 1 January, December is last month (year boundary); March is not counted yet
    early = await rows_at(engine, insurer, dt.datetime(2026, 2, 1, 0, 0, tzinfo=UTC))
    a_early = {(r["customer_name"], r["grant_kind"]): r for r in early}[("Kunde A", "customer")]
    assert (a_early["logins_this_month"], a_early["logins_last_month"]) == ("0", "1")


async def test_every_sign_in_is_recorded(client, world, brokered, engine):
    portal = world.portal
    await grant_login(client, brokered.access_token)
    await grant_login(client, brokered.access_token)
    signed_in = await gql(client, CUSTOMER_LOGIN, {"token": portal.ids["link_token"]})
    assert signed_in["data"]["customerLogin"]["token"]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT case_grant_id, customer_grant_id FROM customer_logins"
                    " WHERE insurer_id = :i ORDER BY id"
                ),
                {"i": portal.insurer.id},
            )
        ).all()
        count = await conn.scalar(
            text("SELECT login_count FROM customer_access_grants WHERE id = :g"),
            {"g": portal.ids["grant"]},
        )
    customer_grant = await grant_ids(engine, portal.insurer.id)
    assert [tuple(r) for r in rows] == [
        (None, customer_grant), (None, customer_grant), (portal.ids["grant"], None),
    ]  # fmt: skip
    assert count == 1
    # a failed sign-in records nothing
    await gql(client, CUSTOMER_LOGIN, {"token": "cgc_wrong"})
    await grant_login(client, "cgg_wrong")
    async with engine.connect() as conn:
        total = await conn.scalar(
            text("SELECT count(*) FROM customer_logins WHERE insurer_id = :i"),
            {"i": portal.insurer.id},
        )
    assert total == 3


async def test_the_csv_over_http_is_injection_safe(client, world, brokered):
    portal = world.portal
    staff = portal.tokens["staff"]
    evil = await ok(
        client, CUSTOMER_CREATE,
        {"input": {"name": '=HYPERLINK("http://evil.test","x")', "customerNumber": "+1-2"}},
        staff,
    )  # fmt: skip
    await set_customer(client, staff, portal.lonely_case.id, evil["customer"]["id"])
    await grant_login(client, brokered.access_token)
    response = await client.get(REPORT, headers={"Authorization": f"Bearer {staff}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == HEADER
    body = {row[1]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.test","x")' in body
    assert body['\'=HYPERLINK("http://evil.test","x")'][0] == "'+1-2"
    assert body["Kunde A"][3] in ("customer", "case")
    logged_in = [row for row in rows[1:] if row[3] == "customer"]
    assert {row[10] for row in logged_in} == {"1"} and len(logged_in) == 2
    # nothing of the other portal
    assert not any(row[1].startswith("Sør") for row in rows[1:])


async def test_the_csv_is_for_staff_only(client, world):
    portal = world.portal
    for who in ("partner", "ech", "customer"):
        headers = {"Authorization": f"Bearer {portal.tokens[who]}"}
        response = await client.get(REPORT, headers=headers)
        assert response.status_code == 403, who
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await client.get(REPORT)).status_code == 401

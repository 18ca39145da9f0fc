"""Demo and bulk data load through the real services and are usable as documented."""

from __future__ import annotations

from sqlalchemy import text

from schema.node import decode_global_id
from server.seed.bulk import seed_bulk
from server.seed.demo import DEMO_CUSTOMER_TOKENS, DEMO_LOGINS, DEMO_PASSWORD, seed_demo_if_empty
from server.seed.demo_customers import DEMO_GRANT_TOKEN
from tests.customers.conftest import grant_login, open_case
from tests.graphql import gql

LOGIN = """mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { message } } }"""
CUSTOMER = """mutation ($t: String!) { customerLogin(accessToken: $t) { token } }"""
MY_CASES = "{ cases(first: 100) { totalCount } viewer { role case { number status } } }"


async def test_demo_seed_is_complete_and_logins_work(client, database_url, settings, engine):
    assert await seed_demo_if_empty(database_url, settings) is True
    assert await seed_demo_if_empty(database_url, settings) is False
    for email, _ in DEMO_LOGINS:
        result = await gql(client, LOGIN, {"e": email, "p": DEMO_PASSWORD})
        token = result["data"]["login"]["token"]
        assert token, (email, result)
        if email.startswith(("admin@", "handler")):
            listing = await gql(client, MY_CASES, token=token)
            assert listing["data"]["cases"]["totalCount"] == 26
    for link_token, _ in DEMO_CUSTOMER_TOKENS:
        login = await gql(client, CUSTOMER, {"t": link_token})
        viewer = await gql(client, MY_CASES, token=login["data"]["customerLogin"]["token"])
        assert viewer["data"]["viewer"]["role"] == "CUSTOMER"
        assert viewer["data"]["cases"]["totalCount"] == 1
    async with engine.connect() as conn:
        stages = dict(
            (
                await conn.execute(
                    text(
                        "SELECT status, count(*) FROM cases c JOIN companies i ON i.id = c.insurer_id "
                        "WHERE i.name IN ('Nordlys Forsikring', 'Fjord Insurance') GROUP BY status"
                    )
                )
            ).all()
        )
        assert set(stages) == {"open", "on_hold", "closed"}
        empty_feeds = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM cases c WHERE NOT EXISTS "
                    "(SELECT 1 FROM feed_entries f WHERE f.case_id = c.id) AND c.number NOT LIKE 'T-%'"
                )
            )
        ).scalar_one()
        assert empty_feeds == 0


async def test_bulk_seed_adds_cases_with_children(database_url, engine):
    await seed_bulk(database_url, cases=30)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(DISTINCT c.id) AS cases, "
                    "(SELECT count(*) FROM tasks t WHERE t.insurer_id = i.id) AS tasks, "
                    "(SELECT count(*) FROM feed_entries f WHERE f.insurer_id = i.id) AS feed, "
                    "(SELECT count(*) FROM messages m WHERE m.insurer_id = i.id) AS messages "
                    "FROM companies i JOIN cases c ON c.insurer_id = i.id "
                    "WHERE i.name = 'Bench Insurance' GROUP BY i.id"
                )
            )
        ).one()
    assert (row.cases, row.tasks, row.feed, row.messages) == (30, 150, 750, 300)


# --- customers (issue 7) ---
CUSTOMERS_NOT_INVITED = (
    "{ customers(filter: {invited: false}) { nodes { name cases { totalCount } } } }"
)
CUSTOMERS_PAGE = "{ customerPage { case { number } } }"


async def test_demo_household_grant(client, database_url, settings):
    await seed_demo_if_empty(database_url, settings)  # seeded by the first test already
    signed_in = await grant_login(client, DEMO_GRANT_TOKEN)
    assert signed_in["errors"] == []
    assert {case["customerName"] for case in signed_in["cases"]} == {"Familien Hansen"}
    assert len(signed_in["cases"]) == 2
    _, case_id = decode_global_id(signed_in["cases"][0]["id"])
    opened = await open_case(client, signed_in["sessionToken"], case_id)
    page = await gql(client, CUSTOMERS_PAGE, token=opened["data"]["grantOpenCase"]["token"])
    assert page["data"]["customerPage"]["case"]["number"] == signed_in["cases"][0]["number"]
    admin = await gql(client, LOGIN, {"e": "admin@nordlys.test", "p": DEMO_PASSWORD})
    listed = await gql(client, CUSTOMERS_NOT_INVITED, token=admin["data"]["login"]["token"])
    assert listed["data"]["customers"]["nodes"] == [
        {"name": "Nils Olsen", "cases": {"totalCount": 1}}
    ]

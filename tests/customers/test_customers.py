"""Staff keep customers, link cases to them and list who is not yet invited; nobody else
sees customers; every change is in the event log."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import text

from tests.customers.conftest import (
    CUSTOMER_CREATE,
    GRANT_CREATE,
    GRANT_REVOKE,
    GRANT_UPDATE,
    create_customer,
    ok,
    set_customer,
)
from tests.factories import gid
from tests.graphql import error_codes, gql

CUSTOMERS = """
query ($filter: CustomerFilterInput, $first: Int, $after: String) {
  customers(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      name customerNumber invited
      cases(first: 5) { totalCount nodes { number } }
      grants { name revokedAt customerIds }
    }
  }
}"""
CUSTOMER_UPDATE = """
mutation ($input: CustomerUpdateInput!) {
  customerUpdate(input: $input) {
    customer { name customerNumber email phone } errors { code field message }
  }
}"""
REVOKE_CASE_GRANT = """
mutation ($input: CustomerAccessRevokeInput!) {
  customerAccessRevoke(input: $input) { errors { code } }
}"""


async def names(client, token, **filter_):
    result = await gql(client, CUSTOMERS, {"filter": filter_}, token=token)
    assert "errors" not in result, result
    return sorted(node["name"] for node in result["data"]["customers"]["nodes"])


async def test_customers_list_their_cases_and_grants(client, world, brokered):
    portal = world.portal
    result = await gql(client, CUSTOMERS, {}, token=portal.tokens["staff"])
    nodes = {n["name"]: n for n in result["data"]["customers"]["nodes"]}
    assert result["data"]["customers"]["totalCount"] == 3
    assert nodes["Kunde A"]["cases"] == {"totalCount": 1, "nodes": [{"number": portal.case.number}]}
    assert [g["name"] for g in nodes["Kunde B"]["grants"]] == ["Eva Eiendom"]
    assert nodes["Kunde C"]["grants"] == [] and nodes["Kunde C"]["invited"] is False
    assert await names(client, portal.tokens["staff"], search="unde b") == ["Kunde B"]
    # another portal's staff see none of them
    assert await names(client, world.foreign.tokens["staff"]) == []


async def test_not_yet_invited_edges(client, world, brokered):
    portal = world.portal
    staff = portal.tokens["staff"]
    # a customer without cases at all
    await create_customer(client, staff, "Kunde D", None)
    # A: covered by the grant AND its case has the factory's case grant; B: grant only;
    # C: nothing; D: nothing, no case
    assert await names(client, staff, invited=False) == ["Kunde C", "Kunde D"]
    assert await names(client, staff, invited=True) == ["Kunde A", "Kunde B"]
    # a revoked customer grant counts as not invited; A keeps its case grant
    await ok(client, GRANT_REVOKE, {"id": brokered.grant_id}, staff)
    assert await names(client, staff, invited=False) == ["Kunde B", "Kunde C", "Kunde D"]
    # once the contact's case grant is revoked too, A is not invited either
    variables = {
        "input": {
            "caseId": gid("Case", portal.case.id),
            "contactId": gid("CaseContact", portal.contact.id),
        }
    }
    await ok(client, REVOKE_CASE_GRANT, variables, staff)
    assert await names(client, staff, invited=False) == ["Kunde A", "Kunde B", "Kunde C", "Kunde D"]
    # a case grant on a case the customer no longer owns does not count for them
    await set_customer(client, staff, portal.case.id, None)
    assert await names(client, staff, invited=True) == []


async def test_listing_customers_with_cases_and_grants_is_a_fixed_number_of_statements(
    client, world, brokered, count_statements
):
    staff = world.portal.tokens["staff"]
    with count_statements() as few:
        await gql(client, CUSTOMERS, {"first": 1}, token=staff)
    for n in range(4):
        await create_customer(client, staff, f"Ekstra {n}", None)
    with count_statements() as many:
        result = await gql(client, CUSTOMERS, {"first": 20}, token=staff)
    assert len(result["data"]["customers"]["nodes"]) == 7
    assert many.count == few.count


async def test_paging_customers(client, world, brokered):
    staff = world.portal.tokens["staff"]
    first = await gql(client, CUSTOMERS, {"first": 2}, token=staff)
    page = first["data"]["customers"]
    assert page["pageInfo"]["hasNextPage"] and len(page["nodes"]) == 2
    rest = await gql(
        client, CUSTOMERS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=staff
    )
    assert [n["name"] for n in rest["data"]["customers"]["nodes"]] == ["Kunde C"]
    bad = await gql(client, CUSTOMERS, {"first": 0}, token=staff)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_customer_numbers_are_unique_per_portal(client, world, brokered):
    staff = world.portal.tokens["staff"]
    taken = f"K-A-{world.portal.case.id}"
    result = await gql(
        client, CUSTOMER_CREATE, {"input": {"name": "Dup", "customerNumber": taken}}, token=staff
    )
    [error] = result["data"]["customerCreate"]["errors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", "customerNumber"]
    # the same number in another portal is fine
    foreign = world.foreign.tokens["staff"]
    assert await create_customer(client, foreign, "Dup", taken)
    # bad email, empty name
    for given, field in (({"name": "E", "email": "nope"}, "email"), ({"name": " "}, "name")):
        result = await gql(client, CUSTOMER_CREATE, {"input": given}, token=staff)
        assert result["data"]["customerCreate"]["errors"][0]["field"] == ["input", field]
    # update: renumber to a taken number refused; clearing email works
    variables = {"input": {"id": brokered.customers["B"], "customerNumber": taken}}
    refused = await gql(client, CUSTOMER_UPDATE, variables, token=staff)
    assert refused["data"]["customerUpdate"]["errors"][0]["field"] == ["input", "customerNumber"]
    variables = {"input": {"id": brokered.customers["B"], "email": None, "phone": "+47 900 00 001"}}
    updated = await ok(client, CUSTOMER_UPDATE, variables, staff)
    assert updated["customer"]["phone"] == "+47 900 00 001" and updated["customer"]["email"] is None


async def test_customers_and_grants_are_for_staff_only(client, world, brokered):
    portal = world.portal
    create = {"input": {"name": "Nope"}}
    grant = {"input": {"name": "Nope", "customerIds": [brokered.customers["C"]]}}
    for who in ("partner", "ech", "customer"):
        token = portal.tokens[who]
        assert error_codes(await gql(client, CUSTOMERS, {}, token=token)) == ["FORBIDDEN"]
        assert error_codes(await gql(client, CUSTOMER_CREATE, create, token=token)) == ["FORBIDDEN"]
        assert error_codes(await gql(client, GRANT_CREATE, grant, token=token)) == ["FORBIDDEN"]
        revoke = await gql(client, GRANT_REVOKE, {"id": brokered.grant_id}, token=token)
        assert error_codes(revoke) == ["FORBIDDEN"]
    # another portal's staff cannot touch this portal's grant or customers
    foreign = world.foreign.tokens["staff"]
    assert error_codes(
        await gql(client, GRANT_REVOKE, {"id": brokered.grant_id}, token=foreign)
    ) == ["NOT_FOUND"]
    update = {"input": {"id": brokered.customers["A"], "name": "Hijack"}}
    assert error_codes(await gql(client, CUSTOMER_UPDATE, update, token=foreign)) == ["NOT_FOUND"]


async def test_changes_are_event_logged_without_secrets(client, world, brokered, engine):
    portal = world.portal
    staff = portal.tokens["staff"]
    variables = {"input": {"id": brokered.grant_id, "addCustomerIds": [brokered.customers["C"]]}}
    await ok(client, GRANT_UPDATE, variables, staff)
    await ok(client, GRANT_REVOKE, {"id": brokered.grant_id}, staff)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT actor_user_id, action, subject_type, subject_id, before, after"
                    " FROM event_log WHERE insurer_id = :i ORDER BY id"
                ),
                {"i": portal.insurer.id},
            )
        ).all()
        token_hash = await conn.scalar(
            text("SELECT token_hash FROM customer_grants WHERE insurer_id = :i"),
            {"i": portal.insurer.id},
        )
    actions = [row.action for row in rows]
    assert actions == ["customer.create", "case.setCustomer"] * 3 + [
        "customerGrant.create", "customerGrant.update", "customerGrant.revoke",
    ]  # fmt: skip
    assert {row.actor_user_id for row in rows} == {portal.handler.id}
    create, update, revoke = rows[-3:]
    assert create.after["name"] == "Eva Eiendom" and len(create.after["customerIds"]) == 2
    assert len(update.before["customerIds"]) == 2 and len(update.after["customerIds"]) == 3
    assert revoke.before == {"revokedAt": None} and revoke.after["revokedAt"]
    logged = json.dumps([[row.before, row.after] for row in rows])
    assert brokered.access_token not in logged and token_hash not in logged


CASE_CUSTOMER = "query ($id: ID!) { case(id: $id) { number customer { name customerNumber } } }"
CASES_CUSTOMERS = "{ cases(first: 50) { nodes { number customer { name } } } }"


async def test_a_cases_customer_is_shown_to_staff_only(client, world, brokered, count_statements):
    portal = world.portal
    variables = {"id": gid("Case", portal.case.id)}
    staff = await gql(client, CASE_CUSTOMER, variables, token=portal.tokens["staff"])
    assert staff["data"]["case"]["customer"]["name"] == "Kunde A"
    for who in ("customer", "ech"):
        denied = await gql(
            client, CASE_CUSTOMER, {"id": gid("Case", portal.case.id)}, token=portal.tokens[who]
        )
        assert error_codes(denied) == ["FORBIDDEN"], who
        assert denied["data"]["case"]["customer"] is None
    # the whole case list's customers in one statement more, not one per case
    with count_statements() as counted:
        listed = await gql(client, CASES_CUSTOMERS, token=portal.tokens["staff"])
    customers = {n["number"]: n["customer"] for n in listed["data"]["cases"]["nodes"]}
    assert customers[portal.handled_case.number] == {"name": "Kunde B"}
    assert len([s for s in counted.statements if "FROM customers" in s]) == 1


SEARCH = "query ($s: String) { customers(filter: {search: $s}) { totalCount } }"


async def test_a_search_the_database_cannot_hold_is_bad_user_input(client, world):
    staff = world.portal.tokens["staff"]
    for term in ("a\u0000b", "a\ud800b"):  # NUL; a lone surrogate (JSON's "\ud800")
        # given a search term PostgreSQL text cannot hold
        body = json.dumps({"query": SEARCH, "variables": {"s": term}})

        # when staff list customers with it
        response = await client.post(
            "/graphql",
            content=body,
            headers={"Authorization": f"Bearer {staff}", "content-type": "application/json"},
        )

        # then the answer is BAD_USER_INPUT, not an internal error
        assert response.status_code == 200, response.text
        assert error_codes(response.json()) == ["BAD_USER_INPUT"], response.text


async def waiting_on_a_lock(engine, timeout: float = 10.0) -> None:
    """Until another connection waits for a row or index lock (the request under test)."""
    async with engine.connect() as conn:
        for _ in range(int(timeout / 0.05)):
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the request never waited for the concurrent insert")


async def test_a_number_taken_by_a_concurrent_request_is_bad_user_input(client, world, engine):
    portal = world.portal
    staff = portal.tokens["staff"]
    variables = {"input": {"name": "Racer", "customerNumber": "K-RACE"}}
    async with engine.connect() as other:
        # given another transaction that has just created a customer with the number
        await other.execute(
            text("INSERT INTO customers (insurer_id, name, customer_number) VALUES (:i, 'X', :n)"),
            {"i": portal.insurer.id, "n": "K-RACE"},
        )
        # when staff create one with the same number before it commits
        request = asyncio.create_task(gql(client, CUSTOMER_CREATE, variables, token=staff))
        await waiting_on_a_lock(engine)
        await other.commit()
        result = await request

    # then the unique index's refusal is the usual BAD_USER_INPUT, nothing half-written
    assert "errors" not in result, result
    [error] = result["data"]["customerCreate"]["errors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", "customerNumber"]
    async with engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM customers WHERE insurer_id = :i AND customer_number = :n"),
            {"i": portal.insurer.id, "n": "K-RACE"},
        )
    assert count == 1

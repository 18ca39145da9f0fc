"""Customers tests: a portal whose three cases belong to three customers, two of them
covered by one customer grant, built through the API as staff would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.factories import gid
from tests.graphql import gql

CUSTOMER_CREATE = """
mutation ($input: CustomerCreateInput!) {
  customerCreate(input: $input) {
    customer { id name customerNumber email phone invited }
    errors { code field message }
  }
}"""
CASE_SET_CUSTOMER = """
mutation ($caseId: ID!, $customerId: ID) {
  caseSetCustomer(caseId: $caseId, customerId: $customerId) {
    case { id } errors { code field message }
  }
}"""
GRANT_CREATE = """
mutation ($input: CustomerGrantCreateInput!) {
  customerGrantCreate(input: $input) {
    accessToken linkSent grant { id name customerIds revokedAt } errors { code field message }
  }
}"""
GRANT_UPDATE = """
mutation ($input: CustomerGrantUpdateInput!) {
  customerGrantUpdate(input: $input) {
    grant { id customerIds } errors { code field message }
  }
}"""
GRANT_REVOKE = """
mutation ($id: ID!) {
  customerGrantRevoke(id: $id) { grant { id revokedAt } errors { code field message } }
}"""
GRANT_LOGIN = """
mutation ($token: String!, $code: String) {
  customerGrantLogin(accessToken: $token, code: $code) {
    sessionToken expiresAt codeRequired helpText
    cases { id number city status customerName }
    errors { code message }
  }
}"""
GRANT_CASES = """
query ($session: String!) { grantCases(sessionToken: $session) { id number customerName } }
"""
OPEN_CASE = """
mutation ($session: String!, $caseId: ID!) {
  grantOpenCase(sessionToken: $session, caseId: $caseId) { token expiresAt }
}"""
CUSTOMER_PAGE = "{ customerPage { case { number } } viewer { role case { id number } } }"


@dataclass
class Brokered:
    """Customers A (case), B (handled_case), C (lonely_case); grant over A and B."""

    portal: Any
    customers: dict[str, str] = field(default_factory=dict)  # label -> global id
    grant_id: str = ""
    access_token: str = ""


async def ok(client: Any, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    result = await gql(client, query, variables, token=token)
    assert "errors" not in result, result
    [payload] = result["data"].values()
    assert payload.get("errors", []) == [], payload
    return payload


async def create_customer(client: Any, token: str, name: str, number: str | None) -> str:
    variables = {"input": {"name": name, "customerNumber": number, "email": None}}
    payload = await ok(client, CUSTOMER_CREATE, variables, token)
    return payload["customer"]["id"]


async def set_customer(client: Any, token: str, case_id: int, customer: str | None) -> None:
    variables = {"caseId": gid("Case", case_id), "customerId": customer}
    await ok(client, CASE_SET_CUSTOMER, variables, token)


async def grant_login(client: Any, token: str) -> dict[str, Any]:
    result = await gql(client, GRANT_LOGIN, {"token": token})
    assert "errors" not in result, result
    return result["data"]["customerGrantLogin"]


async def open_case(client: Any, session: str, case_id: int) -> dict[str, Any]:
    return await gql(client, OPEN_CASE, {"session": session, "caseId": gid("Case", case_id)})


@pytest.fixture
async def brokered(client: Any, world: Any) -> Brokered:
    portal = world.portal
    staff = portal.tokens["staff"]
    setup = Brokered(portal)
    for label, case in (("A", portal.case), ("B", portal.handled_case), ("C", portal.lonely_case)):
        number = f"K-{label}-{case.id}"
        setup.customers[label] = await create_customer(client, staff, f"Kunde {label}", number)
        await set_customer(client, staff, case.id, setup.customers[label])
    variables = {
        "input": {
            "name": "Eva Eiendom",
            "email": "eva@example.test",
            "phone": "+47 911 22 333",
            "customerIds": [setup.customers["A"], setup.customers["B"]],
        }
    }
    payload = await ok(client, GRANT_CREATE, variables, staff)
    setup.grant_id = payload["grant"]["id"]
    setup.access_token = payload["accessToken"]
    return setup

"""Case types: a type defined through the API by the portal's admin, and helpers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graphql import gql

CASE_TYPE_CREATE = """
mutation ($input: CaseTypeCreateInput!) {
  caseTypeCreate(input: $input) {
    caseType { id name publicId fields { key kind options required visibleToCustomer } }
    errors { code field message }
  }
}"""

CASE_CREATE = """
mutation ($input: CaseCreateInput!) {
  caseCreate(input: $input) {
    case { id number customFields { key label kind value } }
    errors { code field message }
  }
}"""

FIELDS = [
    {
        "key": "leakSource",
        "label": "Leak source",
        "kind": "CHOICE",
        "options": ["Pipe", "Roof"],
        "required": True,
        "visibleToCustomer": True,
    },
    {"key": "meterReading", "label": "Meter reading", "kind": "NUMBER"},
    {"key": "noticedOn", "label": "Noticed on", "kind": "DATE"},
    {"key": "secretNote", "label": "Adjuster note", "kind": "TEXT"},
]


def type_input(**overrides: Any) -> dict[str, Any]:
    return {"name": "Water damage", "fields": FIELDS, **overrides}


def case_input(type_id: str | None, custom_fields: list[dict[str, Any]] | None, **kw: Any) -> Any:
    given = {
        "damageType": "WATER",
        "street": "Storgata 1",
        "postalCode": "0155",
        "city": "Oslo",
        "contacts": [{"role": "POLICYHOLDER", "name": "Kari Nordmann", "email": "k@example.no"}],
        **kw,
    }
    if type_id is not None:
        given["caseTypeId"] = type_id
    if custom_fields is not None:
        given["customFields"] = custom_fields
    return given


@pytest.fixture
def define_type(client: Any, world: Any) -> Any:
    """Define a case type as the portal's admin; returns the created caseType."""

    async def define(portal: Any = None, **overrides: Any) -> dict[str, Any]:
        portal = portal or world.portal
        result = await gql(
            client,
            CASE_TYPE_CREATE,
            {"input": type_input(**overrides)},
            token=portal.tokens["admin"],
        )
        payload = result["data"]["caseTypeCreate"]
        assert payload["errors"] == [], payload
        return payload["caseType"]  # type: ignore[no-any-return]

    return define


@pytest.fixture
def open_case(client: Any, world: Any) -> Any:
    """Open a case as staff; returns the payload (case and errors)."""

    async def open_(type_id: str | None, values: Any, who: str = "staff", **kw: Any) -> Any:
        result = await gql(
            client,
            CASE_CREATE,
            {"input": case_input(type_id, values, **kw)},
            token=world.portal.tokens[who],
        )
        assert "errors" not in result, result
        return result["data"]["caseCreate"]

    return open_

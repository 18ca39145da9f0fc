"""Input the database cannot hold, or arithmetic cannot bear, is BAD_USER_INPUT naming
what was wrong, never an internal error: numbers with huge exponents, and text with a
lone surrogate (valid JSON, "\\ud800", but no UTF-8 form)."""

from __future__ import annotations

import json

import pytest

from tests.casetypes.conftest import CASE_CREATE, case_input
from tests.graphql import error_codes

VALID = {"key": "leakSource", "value": "Pipe"}
LONE = "x\ud800y"
CASES = "query ($filter: CaseFilterInput) { cases(filter: $filter) { totalCount } }"


async def post(client, token, query, variables):
    """As a client sends it: JSON with escapes (json.dumps writes "\\ud800" for a lone
    surrogate, as a JavaScript client would)."""
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("number", ["1e9999999999", "-1E+9999999999", "1e15"])
async def test_a_number_with_a_huge_exponent_is_refused(client, world, define_type, number):
    # given a type with a NUMBER field
    case_type = await define_type(name="Meters")

    # when a case is opened with a number far beyond its range
    variables = {
        "input": case_input(case_type["id"], [VALID, {"key": "meterReading", "value": number}])
    }
    result = await post(client, world.portal.tokens["staff"], CASE_CREATE, variables)

    # then it is BAD_USER_INPUT naming the field
    assert "errors" not in result, result
    payload = result["data"]["caseCreate"]
    assert payload["case"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("BAD_USER_INPUT", ["input", "customFields", "meterReading"])
    ]


async def test_tiny_and_zero_exponents_are_numbers(client, world, define_type):
    case_type = await define_type(name="Meters")
    values = [VALID, {"key": "meterReading", "value": "0e9999999999"}]
    result = await post(
        client, world.portal.tokens["staff"], CASE_CREATE,
        {"input": case_input(case_type["id"], values)},
    )  # fmt: skip
    stored = {f["key"]: f["value"] for f in result["data"]["caseCreate"]["case"]["customFields"]}
    assert stored["meterReading"] == "0"


async def test_filtering_by_a_number_with_a_huge_exponent_matches_nothing(client, world):
    # given a custom field filter whose value reads as an enormous number
    variables = {"filter": {"customFields": [{"key": "meterReading", "equals": "1e9999999999"}]}}

    # when staff list cases with it
    result = await post(client, world.portal.tokens["staff"], CASES, variables)

    # then the list is simply empty (it is compared as text only)
    assert "errors" not in result, result
    assert result["data"]["cases"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ([VALID, {"key": "secretNote", "value": LONE}], ["customFields", "secretNote"]),  # TEXT
        ([{"key": "leakSource", "value": LONE}], ["customFields", "leakSource"]),  # CHOICE
        ([VALID, {"key": "note\ud800", "value": "x"}], ["customFields"]),  # the key itself
    ],
)
async def test_custom_field_text_with_a_lone_surrogate_is_refused(
    client, world, define_type, values, field
):
    case_type = await define_type(name="Surrogates")

    result = await post(
        client, world.portal.tokens["staff"], CASE_CREATE,
        {"input": case_input(case_type["id"], values)},
    )  # fmt: skip

    assert "errors" not in result, result
    payload = result["data"]["caseCreate"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("BAD_USER_INPUT", ["input", *field])
    ]


async def test_any_checked_text_with_a_lone_surrogate_is_refused(client, world):
    # given a case whose description holds a lone surrogate
    variables = {"input": case_input(None, None, description=LONE)}

    # when staff open it
    result = await post(client, world.portal.tokens["staff"], CASE_CREATE, variables)

    # then the shared text check refuses it, naming the field
    assert "errors" not in result, result
    assert [(e["code"], e["field"]) for e in result["data"]["caseCreate"]["errors"]] == [
        ("BAD_USER_INPUT", ["input", "description"])
    ]


@pytest.mark.parametrize(
    "case_filter",
    [
        {"customFields": [{"key": "secretNote", "equals": LONE}]},
        {"customFields": [{"key": "note\ud800", "equals": "x"}]},
        {"search": LONE},
    ],
)
async def test_filters_with_a_lone_surrogate_are_bad_user_input(client, world, case_filter):
    result = await post(client, world.portal.tokens["staff"], CASES, {"filter": case_filter})

    assert error_codes(result) == ["BAD_USER_INPUT"], result

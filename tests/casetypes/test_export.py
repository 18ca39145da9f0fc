"""`GET /reports/cases.csv?caseType=`: a type's cases with one column per custom field."""

from __future__ import annotations

import csv
import io

import pytest

from tests.factories import gid


async def _get(client, token, case_type=None):
    params = {"caseType": case_type} if case_type is not None else {}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.get("/reports/cases.csv", params=params, headers=headers)


async def test_staff_export_a_types_cases_with_their_fields(client, world, define_type, open_case):
    case_type = await define_type()
    other = await define_type(name="Other")
    first = await open_case(case_type["id"], [
        {"key": "leakSource", "value": "Pipe"}, {"key": "meterReading", "value": "12.5"},
        {"key": "secretNote", "value": "=cmd|' /C calc'!A0"},
    ])  # fmt: skip
    second = await open_case(case_type["id"], [{"key": "leakSource", "value": "Roof"}])
    await open_case(other["id"], [{"key": "leakSource", "value": "Pipe"}])

    response = await _get(client, world.portal.tokens["staff"], case_type["id"])

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    header, *cases = rows
    assert header[:3] == ["number", "claimNumber", "status"]
    assert header[-4:] == ["Leak source", "Meter reading", "Noticed on", "Adjuster note"]
    assert [row[0] for row in cases] == [first["case"]["number"], second["case"]["number"]]
    assert cases[0][-4:] == ["Pipe", "12.5", "", "'=cmd|' /C calc'!A0"]  # no formula runs
    assert cases[1][-4:] == ["Roof", "", "", ""]
    assert cases[0][header.index("origin")] == "STAFF"


@pytest.mark.parametrize(
    ("who", "status"),
    [("partner", 403), ("customer", 403), ("ech", 403), (None, 401)],
)
async def test_only_the_insurer_exports(client, world, define_type, who, status):
    case_type = await define_type()
    token = world.portal.tokens[who] if who else None

    response = await _get(client, token, case_type["id"])

    assert response.status_code == status


async def test_bad_and_foreign_types(client, world, define_type):
    foreign = await define_type(world.foreign, name="Theirs")
    token = world.portal.tokens["staff"]

    missing = await _get(client, token)
    malformed = await _get(client, token, gid("Case", world.portal.case.id))
    theirs = await _get(client, token, foreign["id"])

    assert missing.status_code == 400
    assert malformed.status_code == 400
    assert theirs.status_code == 404
    assert theirs.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"

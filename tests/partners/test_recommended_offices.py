"""recommendedOffices: the portal's offices offering a service and taking new tasks,
nearest to the damage first, with distances; who may ask."""

from __future__ import annotations

import pytest

from tests.factories import gid
from tests.graphql import error_codes, gql
from tests.partners.helpers import OSLO, add_office, grant_ech_rights, haversine_km, place_case

RECOMMENDED = """
query ($caseId: ID!, $service: String!, $first: Int) {
  recommendedOffices(caseId: $caseId, service: $service, first: $first) {
    distanceKm office { name services availableForNewTasks latitude longitude }
  }
}"""

LILLESTROM, DRAMMEN, BERGEN = (59.9560, 11.0500), (59.7441, 10.2045), (60.3913, 5.3221)


@pytest.fixture
async def offices(engine, world):
    """Around the world's two repair offices (no coordinates): three with coordinates,
    one not taking tasks, one without the service."""
    portal = world.portal
    await add_office(engine, portal, "Bergen Bygg", services=["repair"], latitude=BERGEN[0],
                     longitude=BERGEN[1])  # fmt: skip
    await add_office(engine, portal, "Drammen Bygg", services=["repair", "drying"],
                     latitude=DRAMMEN[0], longitude=DRAMMEN[1])  # fmt: skip
    await add_office(engine, portal, "Lillestrøm Bygg", services=["drying", "repair"],
                     latitude=LILLESTROM[0], longitude=LILLESTROM[1])  # fmt: skip
    await add_office(engine, portal, "Sentrum Bygg (full)", services=["repair"],
                     latitude=59.913, longitude=10.74, available_for_new_tasks=False)  # fmt: skip
    await add_office(engine, portal, "Ski Maling", services=["painting"], latitude=59.72,
                     longitude=10.83)  # fmt: skip
    await place_case(engine, portal.case.id, OSLO)
    return portal


async def recommend(client, portal, role="staff", service="repair", first=None, case=None):
    variables = {"caseId": gid("Case", (case or portal.case).id), "service": service}
    if first is not None:
        variables["first"] = first
    return await gql(client, RECOMMENDED, variables, token=portal.tokens[role])


async def test_nearest_first_with_distances_and_uncoordinated_last(client, offices):
    result = await recommend(client, offices)
    rows = result["data"]["recommendedOffices"]
    assert [r["office"]["name"] for r in rows] == [
        "Lillestrøm Bygg",
        "Drammen Bygg",
        "Bergen Bygg",
        "Bygg Oslo",  # no coordinates: last, by name
        "Tørk Bergen",
    ]
    expected = [haversine_km(OSLO, p) for p in (LILLESTROM, DRAMMEN, BERGEN)] + [None, None]
    for row, distance in zip(rows, expected, strict=True):
        if distance is None:
            assert row["distanceKm"] is None
        else:
            assert row["distanceKm"] == pytest.approx(distance, abs=0.01)
    assert rows[0]["distanceKm"] == pytest.approx(17.3, abs=0.5)  # a sanity anchor
    assert all(r["office"]["availableForNewTasks"] for r in rows)


@pytest.mark.parametrize(
    ("service", "first", "names"),
    [
        ("drying", None, ["Lillestrøm Bygg", "Drammen Bygg"]),
        ("DRYING ", None, ["Lillestrøm Bygg", "Drammen Bygg"]),  # trimmed, any case
        ("painting", None, ["Ski Maling"]),
        ("roofing", None, []),
        ("repair", 2, ["Lillestrøm Bygg", "Drammen Bygg"]),
        ("main_inspection", None, ["Bygg Oslo"]),
    ],
)
async def test_service_filter_availability_and_first(client, offices, service, first, names):
    result = await recommend(client, offices, service=service, first=first)
    assert [r["office"]["name"] for r in result["data"]["recommendedOffices"]] == names


async def test_case_without_coordinates_lists_by_name_without_distance(client, offices, engine):
    await place_case(engine, offices.case.id, None)
    rows = (await recommend(client, offices))["data"]["recommendedOffices"]
    names = [r["office"]["name"] for r in rows]
    assert names == sorted(names)
    assert {r["distanceKm"] for r in rows} == {None}


@pytest.mark.parametrize(
    ("service", "first", "code"),
    [
        (" ", None, "BAD_USER_INPUT"),
        ("repair", 0, "BAD_USER_INPUT"),
        ("repair", 101, "BAD_USER_INPUT"),
    ],
)
async def test_bad_arguments(client, offices, service, first, code):
    result = await recommend(client, offices, service=service, first=first)
    assert error_codes(result) == [code]


@pytest.mark.parametrize(
    ("role", "rights", "case", "outcome"),
    [
        ("staff", [], "case", "ok"),
        ("admin", [], "case", "ok"),
        ("integration", [], "case", "ok"),
        ("integration_readonly", [], "case", "FORBIDDEN"),
        ("partner", ["assign_tasks"], "case", "FORBIDDEN"),  # sees the case, not its handler
        ("ech", ["assign_tasks"], "handled_case", "ok"),
        ("ech", ["manage_tasks"], "handled_case", "FORBIDDEN"),
        ("ech", ["assign_tasks"], "case", "FORBIDDEN"),  # sees it through its office only
        ("customer", [], "case", "FORBIDDEN"),
        ("partner", ["assign_tasks"], "lonely_case", "NOT_FOUND"),
    ],
)
async def test_who_may_ask(client, offices, engine, role, rights, case, outcome):
    await grant_ech_rights(engine, offices, *rights)
    result = await recommend(client, offices, role=role, case=getattr(offices, case))
    if outcome == "ok":
        assert "errors" not in result, result
        assert result["data"]["recommendedOffices"]
    else:
        assert error_codes(result) == [outcome]


async def test_another_portals_case_is_not_found(client, world, offices):
    result = await recommend(client, world.foreign, case=offices.case)
    assert error_codes(result) == ["NOT_FOUND"]

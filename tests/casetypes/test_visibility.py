"""Who reads case types and custom values: a hidden field never reaches a customer,
whatever they ask; lists filter by type and values in SQL, without a query per case."""

from __future__ import annotations

import pytest

from tests.factories import gid
from tests.graphql import error_codes, gql

SET_TYPE = """
mutation ($input: CaseUpdateInput!) { caseUpdate(input: $input) { errors { field message } } }"""

HIDDEN_VALUE = "hidden-adjuster-remark-4711"

CUSTOMER_READS = [
    "query ($id: ID!) { case(id: $id) { customFields { key label value } } }",
    "query ($id: ID!) { case(id: $id) { caseType { name fields { key label } } } }",
    "{ viewer { case { customFields { key value } caseType { fields { key } } } } }",
    "{ customerPage { case { customFields { key value } } } }",
    "{ caseTypes(includeInactive: true) { name fields { key label } } }",
    "query ($id: ID!) { cases(filter: {caseTypeId: $id}) { nodes { customFields { key value } } } }",
]

CASES = """
query ($filter: CaseFilterInput, $first: Int) {
  cases(filter: $filter, first: $first) {
    totalCount
    nodes { number customFields { key value } caseType { name fields { key } } }
  }
}"""


@pytest.fixture
async def typed_case(client, world, define_type):
    """The factory's case (the customer's) with a type and a hidden field's value."""
    portal = world.portal
    case_type = await define_type(customerReporting=True)
    values = [
        {"key": "leakSource", "value": "Pipe"},
        {"key": "secretNote", "value": HIDDEN_VALUE},
    ]
    result = await gql(
        client, SET_TYPE,
        {"input": {"caseId": gid("Case", portal.case.id), "caseTypeId": case_type["id"],
                   "customFields": values}},
        token=portal.tokens["staff"],
    )  # fmt: skip
    assert result["data"]["caseUpdate"]["errors"] == []
    return case_type


@pytest.mark.parametrize("query", CUSTOMER_READS)
async def test_a_customer_never_reads_a_hidden_field(client, world, typed_case, query):
    portal = world.portal
    variables = {"id": gid("Case", portal.case.id)} if "$id" in query else {}
    if "caseTypeId" in query:
        variables = {"id": typed_case["id"]}

    result = await gql(client, query, variables, token=portal.tokens["customer"])

    assert "errors" not in result, result
    text = str(result)
    assert HIDDEN_VALUE not in text and "secretNote" not in text and "meterReading" not in text
    assert "leakSource" in text


async def test_what_a_customer_cannot_ask_for(client, world, typed_case):
    portal = world.portal
    token = portal.tokens["customer"]

    by_node = await gql(
        client, "query ($id: ID!) { node(id: $id) { id } }", {"id": typed_case["id"]}, token=token
    )
    templates = await gql(
        client, "{ viewer { case { caseType { taskTemplates { title } } } } }", token=token
    )
    public_id = await gql(client, "{ caseTypes { publicId } }", token=token)
    by_value = await gql(
        client, CASES, {"filter": {"customFields": [{"key": "secretNote", "equals": HIDDEN_VALUE}]}},
        token=token,
    )  # fmt: skip
    deadline = await gql(client, "{ viewer { case { deadline } } }", token=token)

    assert error_codes(by_node) == ["NOT_FOUND"]
    assert error_codes(templates) == ["FORBIDDEN"]
    assert error_codes(public_id) == ["FORBIDDEN"]
    assert error_codes(by_value) == ["FORBIDDEN"]  # matching would reveal the value
    assert error_codes(deadline) == ["FORBIDDEN"]


async def test_staff_and_partners_read_every_field(client, world, typed_case):
    portal = world.portal
    query = "query ($id: ID!) { case(id: $id) { customFields { key value } } }"

    for who in ("staff", "partner", "integration"):
        result = await gql(
            client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens[who]
        )
        values = {f["key"]: f["value"] for f in result["data"]["case"]["customFields"]}
        assert values["secretNote"] == HIDDEN_VALUE, who


async def test_who_lists_which_case_types(client, world, define_type, typed_case):
    await define_type(name="Fire")  # no case of it
    await define_type(name="Storm (self-service)", customerReporting=True)
    await define_type(world.foreign, name="Foreign")
    portal = world.portal
    query = "{ caseTypes { name } }"

    names = {}
    for who in ("admin", "staff", "partner", "customer"):
        result = await gql(client, query, token=portal.tokens[who])
        names[who] = [t["name"] for t in result["data"]["caseTypes"]]
    result = await gql(client, query, token=world.foreign.tokens["partner"])
    names["foreign_partner"] = [t["name"] for t in result["data"]["caseTypes"]]
    public_id = await gql(client, "{ caseTypes { publicId } }", token=portal.tokens["partner"])

    assert names["admin"] == names["staff"] == ["Fire", "Storm (self-service)", "Water damage"]
    assert names["partner"] == ["Water damage"]  # the type of the case their office works on
    assert names["foreign_partner"] == []  # their portal's type has no case they see
    assert names["customer"] == ["Storm (self-service)", "Water damage"]
    assert error_codes(public_id) == ["FORBIDDEN"]


async def test_lists_filter_by_type_and_values(client, world, define_type, open_case):
    case_type = await define_type()
    other_type = await define_type(
        name="Other", fields=[{"key": "meterReading", "label": "M", "kind": "NUMBER"}]
    )
    pipe = [{"key": "leakSource", "value": "Pipe"}, {"key": "meterReading", "value": "12"}]
    roof = [{"key": "leakSource", "value": "Roof"}, {"key": "meterReading", "value": "12.5"}]
    for values in (pipe, pipe, roof):
        assert (await open_case(case_type["id"], values))["errors"] == []
    assert (await open_case(other_type["id"], [{"key": "meterReading", "value": "12"}]))[
        "errors"
    ] == []
    token = world.portal.tokens["staff"]

    async def count(case_filter):
        result = await gql(client, CASES, {"filter": case_filter}, token=token)
        assert "errors" not in result, result
        return result["data"]["cases"]["totalCount"]

    assert await count({"caseTypeId": case_type["id"]}) == 3
    assert await count({"caseTypeId": other_type["id"]}) == 1
    assert await count({"customFields": [{"key": "leakSource", "equals": "Pipe"}]}) == 2
    assert await count({"customFields": [{"key": "meterReading", "equals": "12.0"}]}) == 3
    assert await count({"customFields": [{"key": "meterReading", "equals": "12.50"}]}) == 1
    assert await count({"caseTypeId": case_type["id"], "customFields": [
        {"key": "leakSource", "equals": "Pipe"}, {"key": "meterReading", "equals": "12"}]}) == 2  # fmt: skip
    assert await count({"customFields": [{"key": "leakSource", "equals": "Tap"}]}) == 0
    assert await count({"customFields": [{"key": "meterReading", "equals": "1e999999"}]}) == 0
    too_many = [{"key": "k", "equals": str(i)} for i in range(21)]
    result = await gql(client, CASES, {"filter": {"customFields": too_many}}, token=token)
    assert error_codes(result) == ["BAD_USER_INPUT"]
    nul = await gql(
        client, CASES, {"filter": {"customFields": [{"key": "k", "equals": "\x00"}]}}, token=token
    )
    assert error_codes(nul) == ["BAD_USER_INPUT"]


async def test_typed_case_lists_take_no_statement_per_case(
    client, world, define_type, open_case, count_statements
):
    case_type = await define_type()
    other_type = await define_type(name="Other")
    values = [{"key": "leakSource", "value": "Pipe"}]
    for index in range(6):
        chosen = case_type if index % 2 else other_type
        assert (await open_case(chosen["id"], values))["errors"] == []
    case_filter = {"customFields": [{"key": "leakSource", "equals": "Pipe"}]}

    counts = {}
    for first in (2, 6):
        with count_statements() as counter:
            result = await gql(
                client,
                CASES,
                {"filter": case_filter, "first": first},
                token=world.portal.tokens["staff"],
            )
        assert "errors" not in result, result
        assert len(result["data"]["cases"]["nodes"]) == first
        counts[first] = counter.count

    assert counts[2] == counts[6], counts


async def test_case_types_are_nodes_within_reach(client, world, define_type, typed_case):
    fire = await define_type(name="Fire")
    query = "query ($id: ID!) { node(id: $id) { ... on CaseType { name } } }"

    def fetch(who, type_id):
        return gql(client, query, {"id": type_id}, token=world.portal.tokens[who])

    staff = await fetch("staff", fire["id"])
    partner_own = await fetch("partner", typed_case["id"])
    partner_other = await fetch("partner", fire["id"])
    foreign = await gql(client, query, {"id": fire["id"]}, token=world.foreign.tokens["staff"])

    assert staff["data"]["node"] == {"name": "Fire"}
    assert partner_own["data"]["node"] == {"name": "Water damage"}
    assert error_codes(partner_other) == ["NOT_FOUND"]
    assert error_codes(foreign) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("reporting", "seen"),
    [
        ({}, False),  # internal (e.g. fraud triage): null for the customer, by design
        ({"customerReporting": True}, True),
        ({"publicReporting": True}, True),
        ({"customerReporting": True, "deactivate": True}, True),  # inactive, still theirs
    ],
)
async def test_a_customer_sees_their_cases_type_only_when_open_to_reporting(
    client, world, define_type, reporting, seen
):
    portal = world.portal
    # given the customer's case set to a type, internal or open to reporting
    deactivate = reporting.pop("deactivate", False)
    case_type = await define_type(name="Suspected fraud - SIU", fields=[], **reporting)
    result = await gql(
        client, SET_TYPE,
        {"input": {"caseId": gid("Case", portal.case.id), "caseTypeId": case_type["id"]}},
        token=portal.tokens["staff"],
    )  # fmt: skip
    assert result["data"]["caseUpdate"]["errors"] == []
    if deactivate:
        update = """mutation ($input: CaseTypeUpdateInput!) {
          caseTypeUpdate(input: $input) { errors { message } } }"""
        variables = {"input": {"caseTypeId": case_type["id"], "active": False}}
        done = await gql(client, update, variables, token=portal.tokens["admin"])
        assert done["data"]["caseTypeUpdate"]["errors"] == []
    customer = portal.tokens["customer"]

    # when the customer reads their case's type, every way they can
    own = await gql(client, "{ viewer { case { caseType { name } } } }", token=customer)
    listed = await gql(client, "{ caseTypes(includeInactive: true) { name } }", token=customer)
    node = await gql(
        client, "query ($id: ID!) { node(id: $id) { ... on CaseType { name } } }",
        {"id": case_type["id"]}, token=customer,
    )  # fmt: skip

    # then they see it only when the type is open to customer or public reporting
    expected = {"name": "Suspected fraud - SIU"} if seen else None
    assert own["data"]["viewer"]["case"]["caseType"] == expected
    assert (expected in listed["data"]["caseTypes"]) is seen
    assert error_codes(node) == ["NOT_FOUND"]  # customers fetch no case type by id at all
    # while staff always see it
    staff = await gql(
        client, "query ($id: ID!) { case(id: $id) { caseType { name } } }",
        {"id": gid("Case", portal.case.id)}, token=portal.tokens["staff"],
    )  # fmt: skip
    assert staff["data"]["case"]["caseType"] == {"name": "Suspected fraud - SIU"}

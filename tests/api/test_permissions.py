"""Permissions as tables: role × object × field, and row scopes per role.

`world.portal` (see tests/factories.py): `case` has the main inspection at the partner's
office and a repair at the other partner's office (which is also the external case
handler's office); `handled_case` has Erik as external case handler; `lonely_case` has
no partner involvement. `customer` holds a grant on `case`.
"""

from __future__ import annotations

import pytest

from tests.factories import gid
from tests.graphql import error_codes, gql

ROLES = [
    "admin",
    "staff",
    "partner",
    "other_partner",
    "ech",
    "customer",
    "integration",
    "integration_readonly",
    "partner_integration",
]

CASE_FIELD = """
query ($id: ID!) { case(id: $id) { id %s } }
"""

OK, FORBIDDEN = "ok", "FORBIDDEN"

# field selection on `case` → expected outcome per role
CASE_FIELD_TABLE = {
    "budget": {
        "admin": OK,
        "staff": OK,
        "partner": FORBIDDEN,
        "other_partner": FORBIDDEN,
        "ech": FORBIDDEN,
        "customer": FORBIDDEN,
        "integration": OK,
        "integration_readonly": FORBIDDEN,
        "partner_integration": FORBIDDEN,
    },
    "messages(first: 5) { totalCount }": {
        "admin": OK,
        "staff": OK,
        "partner": FORBIDDEN,
        "other_partner": FORBIDDEN,
        "ech": FORBIDDEN,
        "customer": OK,
        "integration": OK,
        "integration_readonly": FORBIDDEN,
        "partner_integration": FORBIDDEN,
    },
    "comments(first: 5) { totalCount }": {
        "admin": OK,
        "staff": OK,
        "partner": OK,
        "other_partner": OK,
        "ech": OK,
        "customer": FORBIDDEN,
        "integration": OK,
        "integration_readonly": FORBIDDEN,
        "partner_integration": OK,
    },
    "statusReason": {role: FORBIDDEN if role == "customer" else OK for role in ROLES},
    "compensationDecision": {role: FORBIDDEN if role == "customer" else OK for role in ROLES},
    "contacts { phone }": {role: FORBIDDEN if role == "customer" else OK for role in ROLES},
    "caseHandler { phone email }": {
        role: FORBIDDEN if role == "customer" else OK for role in ROLES
    },
    "number status city tasks { title } contacts { name } caseHandler { name }": {
        role: OK for role in ROLES
    },
}


@pytest.mark.parametrize(
    ("selection", "role", "expected"),
    [(sel, role, exp) for sel, row in CASE_FIELD_TABLE.items() for role, exp in row.items()],
)
async def test_case_field_rules(client, world, selection, role, expected):
    portal = world.portal
    result = await gql(
        client,
        CASE_FIELD % selection,
        {"id": gid("Case", portal.case.id)},
        token=portal.tokens[role],
    )
    if expected == OK:
        assert "errors" not in result, result
    else:
        assert set(error_codes(result)) == {expected}, result
        message = result["errors"][0]["message"]
        assert "Not allowed to read this field" in message


async def test_external_case_handler_reads_chat_and_budget_of_their_case(client, world):
    portal = world.portal
    query = CASE_FIELD % "budget messages(first: 5) { totalCount }"
    result = await gql(
        client, query, {"id": gid("Case", portal.handled_case.id)}, token=portal.tokens["ech"]
    )
    assert "errors" not in result, result
    # ...a colleague in the same office does not even see the case once a handler is named.
    result = await gql(
        client,
        query,
        {"id": gid("Case", portal.handled_case.id)},
        token=portal.tokens["other_partner"],
    )
    assert error_codes(result) == ["NOT_FOUND"]


TASK_BUDGET = """
query ($id: ID!) { node(id: $id) { ... on Task { title budgetEstimate } } }
"""

# (task, role) → outcome: the office holding a task sees its estimate, others do not.
TASK_BUDGET_TABLE = [
    ("inspection", "staff", OK),
    ("inspection", "partner", OK),
    ("inspection", "other_partner", FORBIDDEN),
    ("repair", "partner", FORBIDDEN),
    ("repair", "other_partner", OK),
    ("repair", "integration", OK),
    ("repair", "integration_readonly", FORBIDDEN),
    ("repair", "customer", FORBIDDEN),
]


@pytest.mark.parametrize(("task", "role", "expected"), TASK_BUDGET_TABLE)
async def test_task_budget_rule(client, world, task, role, expected):
    portal = world.portal
    result = await gql(
        client, TASK_BUDGET, {"id": gid("Task", portal.ids[task])}, token=portal.tokens[role]
    )
    if expected == OK:
        assert "errors" not in result, result
        assert result["data"]["node"]["budgetEstimate"] is not None
    else:
        assert error_codes(result) == [expected], result


CASES = "{ cases(first: 100) { totalCount nodes { number } } }"

# role → which of (case, handled_case, lonely_case) the role sees in its case list
ROW_SCOPE_TABLE = {
    "admin": {"case", "handled_case", "lonely_case"},
    "staff": {"case", "handled_case", "lonely_case"},
    "partner": {"case"},
    "other_partner": {"case"},  # same office as the handler, but not the handler
    "ech": {"case", "handled_case"},
    "customer": {"case"},
    "integration": {"case", "handled_case", "lonely_case"},
    "partner_integration": {"case"},
}


@pytest.mark.parametrize(("role", "visible"), ROW_SCOPE_TABLE.items())
async def test_case_list_row_scope(client, world, role, visible):
    portal = world.portal
    result = await gql(client, CASES, token=portal.tokens[role])
    assert "errors" not in result, result
    numbers = {n["number"] for n in result["data"]["cases"]["nodes"]}
    expected = {getattr(portal, name).number for name in visible}
    assert numbers == expected
    assert result["data"]["cases"]["totalCount"] == len(expected)


@pytest.mark.parametrize(("role", "visible"), ROW_SCOPE_TABLE.items())
async def test_case_by_id_follows_the_same_scope(client, world, role, visible):
    portal = world.portal
    for name in ("case", "handled_case", "lonely_case"):
        case_id = gid("Case", getattr(portal, name).id)
        result = await gql(
            client,
            "query ($id: ID!) { case(id: $id) { number } }",
            {"id": case_id},
            token=portal.tokens[role],
        )
        if name in visible:
            assert "errors" not in result, (name, result)
        else:
            assert error_codes(result) == ["NOT_FOUND"], (name, result)


DOCUMENTS = """
query ($id: ID!) { case(id: $id) { documents(first: 10) { totalCount nodes { title } } } }
"""

DOCUMENT_TABLE = {
    "staff": {"Photos", "Inspection report", "Drying log"},
    "partner": {"Photos", "Inspection report"},
    "other_partner": {"Photos", "Drying log"},
    "customer": {"Photos"},
}


@pytest.mark.parametrize(("role", "titles"), DOCUMENT_TABLE.items())
async def test_document_scope(client, world, role, titles):
    portal = world.portal
    result = await gql(
        client, DOCUMENTS, {"id": gid("Case", portal.case.id)}, token=portal.tokens[role]
    )
    documents = result["data"]["case"]["documents"]
    assert {n["title"] for n in documents["nodes"]} == titles
    assert documents["totalCount"] == len(titles)


async def test_customer_feed_shows_only_customer_facing_events(client, world):
    portal = world.portal
    query = (
        """query ($id: ID!) { case(id: $id) { feed(first: 20) { totalCount nodes { type } } } }"""
    )
    staff = await gql(
        client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens["staff"]
    )
    customer = await gql(
        client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens["customer"]
    )
    assert staff["data"]["case"]["feed"]["totalCount"] == 3
    assert [n["type"] for n in customer["data"]["case"]["feed"]["nodes"]] == ["INSPECTOR_ASSIGNED"]
    assert customer["data"]["case"]["feed"]["totalCount"] == 1


async def test_customer_cannot_read_feed_payload(client, world):
    portal = world.portal
    query = """query ($id: ID!) { case(id: $id) { feed(first: 5) { nodes { payload } } } }"""
    result = await gql(
        client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens["customer"]
    )
    assert set(error_codes(result)) == {"FORBIDDEN"}


NODE = "query ($id: ID!) { node(id: $id) { id } }"


@pytest.mark.parametrize("role", ROLES)
async def test_nothing_crosses_insurers(client, world, role):
    """Every object of the other insurer is NOT_FOUND, exactly like a missing id."""
    foreign = world.foreign
    targets = [
        ("Case", foreign.case.id),
        ("Case", foreign.handled_case.id),
        ("Task", foreign.ids["inspection"]),
        ("Document", foreign.ids["docs"][0]),
        ("User", foreign.handler.id),
        ("Office", foreign.office.id),
        ("Company", foreign.partner.id),
        ("CaseContact", foreign.contact.id),
        ("Case", 10**12),
    ]
    for type_name, row_id in targets:
        result = await gql(
            client, NODE, {"id": gid(type_name, row_id)}, token=world.portal.tokens[role]
        )
        assert error_codes(result) == ["NOT_FOUND"], (type_name, result)
        assert result["errors"][0]["message"] == "No object with that id."
    listing = await gql(client, CASES, token=world.portal.tokens[role])
    foreign_numbers = {foreign.case.number, foreign.handled_case.number, foreign.lonely_case.number}
    assert not foreign_numbers & {n["number"] for n in listing["data"]["cases"]["nodes"]}


async def test_customer_cannot_fetch_people_by_id(client, world):
    portal = world.portal
    for type_name, row_id in (
        ("User", portal.handler.id),
        ("Office", portal.office.id),
        ("Comment", 1),
    ):
        result = await gql(
            client, NODE, {"id": gid(type_name, row_id)}, token=portal.tokens["customer"]
        )
        assert error_codes(result) == ["NOT_FOUND"]


async def test_schema_shows_field_rules_in_sdl_and_introspection(client, world):
    from schema.root import build_schema

    sdl = str(build_schema())
    assert "@visibleTo(roles: [STAFF, EXTERNAL_CASE_HANDLER, CUSTOMER, INTEGRATION]" in sdl
    query = """{ __type(name: "Case") { fields { name description } } }"""
    result = await gql(client, query, token=world.portal.tokens["partner"])
    fields = {f["name"]: f["description"] for f in result["data"]["__type"]["fields"]}
    assert "Visible to:" in fields["budget"]
    assert "Visible to:" in fields["comments"]
    directives = await gql(
        client,
        "{ __schema { directives { name args { name } } } }",
        token=world.portal.tokens["partner"],
    )
    names = {d["name"] for d in directives["data"]["__schema"]["directives"]}
    assert "visibleTo" in names

"""Fuzzing the whole schema: hypothesis writes random operations — any root field of
Query or Mutation, random (often wrong) arguments, nested selections, aliases, fragments —
and sends them as principals of every kind and anonymously. Whatever it sends, the
server answers with a GraphQL response (never a 500), every error carries a documented
code and a request id, nothing unexpected fails (INTERNAL), and no stack trace leaks.
"""

from __future__ import annotations

import json

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema.root import build_schema
from server.errors import ErrorCode
from tests.factories import gid

SCHEMA = build_schema()._schema
CODES = {code.value for code in ErrorCode}
ROLES = ["anonymous", "staff", "partner", "customer", "integration", "admin"]
CASES_RUN: list[int] = [0]


def _unwrap(type_):
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


@st.composite
def value(draw, type_, ids, depth=0):
    """A literal for `type_`: usually of the right shape, sometimes not."""
    if draw(st.integers(0, 29)) == 0:  # now and then, something of the wrong type
        return draw(st.sampled_from(['"x"', "-1", "true", "null", "[]", "{}", "1.5"]))
    if isinstance(type_, GraphQLNonNull):
        return draw(value(type_.of_type, ids, depth))
    if isinstance(type_, GraphQLList):
        items = draw(st.lists(value(type_.of_type, ids, depth + 1), max_size=3))
        return "[" + ", ".join(items) + "]"
    if isinstance(type_, GraphQLEnumType):
        return draw(st.sampled_from(sorted(type_.values)))
    if isinstance(type_, GraphQLInputObjectType):
        fields = sorted(type_.fields.items())
        chosen = [
            (name, field)
            for name, field in fields
            if isinstance(field.type, GraphQLNonNull) or (depth < 2 and draw(st.booleans()))
        ]
        inner = ", ".join(f"{n}: {draw(value(f.type, ids, depth + 1))}" for n, f in chosen)
        return "{" + inner + "}"
    assert isinstance(type_, GraphQLScalarType)
    name = type_.name
    if name == "Int":
        return str(draw(st.one_of(st.integers(-3, 120), st.integers(-(2**31), 2**31 - 1))))
    if name == "Float":
        return repr(draw(st.floats(-1e6, 1e6, allow_nan=False)))
    if name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    if name == "ID":
        return json.dumps(draw(st.one_of(st.sampled_from(ids), st.text(max_size=12))))
    if name == "DateTime":
        return json.dumps(draw(st.sampled_from(["2026-01-01T10:00:00Z", "yesterday", ""])))
    return json.dumps(draw(st.text(max_size=30)))


@st.composite
def selection(draw, type_, ids, depth):
    if isinstance(type_, GraphQLUnionType | GraphQLInterfaceType):
        possible = sorted(SCHEMA.get_possible_types(type_), key=lambda t: t.name)
        target = draw(st.sampled_from(possible))
        shared = "__typename"
        if isinstance(type_, GraphQLInterfaceType):
            shared = " ".join(sorted(type_.fields))
        return f"{shared} ... on {target.name} {{ {draw(selection(target, ids, depth))} }}"
    assert isinstance(type_, GraphQLObjectType)
    names = draw(
        st.lists(st.sampled_from(sorted(type_.fields)), min_size=1, max_size=5, unique=True)
    )
    parts = []
    for n, name in enumerate(names):
        field = type_.fields[name]
        target = _unwrap(field.type)
        composite = isinstance(target, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        if composite and depth == 0:
            continue
        args = [
            f"{arg_name}: {draw(value(arg.type, ids))}"
            for arg_name, arg in sorted(field.args.items())
            if isinstance(arg.type, GraphQLNonNull) or draw(st.booleans())
        ]
        alias = f"f{n}: " if draw(st.integers(0, 9)) == 0 else ""  # aliases are limited
        text = f"{alias}{name}" + (f"({', '.join(args)})" if args else "")
        if composite:
            text += " { " + draw(selection(target, ids, depth - 1)) + " }"
        parts.append(text)
    return " ".join(parts) or "__typename"


@st.composite
def operation(draw, ids):
    kind = draw(st.sampled_from(["query", "query", "query", "mutation"]))
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    return f"{kind} Fuzz {{ {draw(selection(root, ids, 3))} }}"


@pytest.fixture(scope="module")
async def fuzz_world(engine, settings):
    from tests.factories import build_world

    return await build_world(engine, settings)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_random_operations_never_break_the_server(client_factory, fuzz_world, data):
    portal = fuzz_world.portal
    ids = [
        gid("Case", portal.case.id),
        gid("Task", portal.ids["repair"]),
        gid("Document", portal.ids["docs"][0]),
        gid("User", portal.handler.id),
        gid("Office", portal.office.id),
        gid("Case", fuzz_world.foreign.case.id),
    ]
    query = data.draw(operation(ids), label="operation")
    role = data.draw(st.sampled_from(ROLES), label="role")
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {portal.tokens[role]}"}
    async with client_factory() as http:
        response = await http.post("/graphql", json={"query": query}, headers=headers)
    CASES_RUN[0] += 1
    assert response.status_code in (200, 400, 429), (query, response.text)
    body = response.json()
    assert "Traceback" not in response.text and 'File "' not in response.text
    for error in body.get("errors", []):
        code = error["extensions"]["code"]
        assert code in CODES and error["extensions"]["requestId"], error
        assert code != "INTERNAL", (query, role, error)


def test_the_fuzz_ran_its_cases():
    """Runs after the fuzz test (file order): how many operations it sent."""
    print(f"fuzz: {CASES_RUN[0]} random operations")
    assert CASES_RUN[0] >= 300

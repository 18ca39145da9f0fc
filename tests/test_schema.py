"""The schema is the manual: it is printed in the repo and every part is described."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from schema.root import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_graphql_is_current():
    printed = str(build_schema()) + "\n"
    assert SCHEMA_FILE.read_text() == printed, (
        "schema.graphql is stale: run `casegraph schema export -o schema.graphql`"
    )


def test_every_type_field_and_argument_is_described():
    schema = build_schema()._schema
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
        if isinstance(type_, GraphQLEnumType) and name not in _ENUMS_FROM_DATABASE:
            for value_name, value in type_.values.items():
                if not value.description:
                    missing.append(f"{name}.{value_name}")
    assert missing == []


# Enums generated from stored value sets: their values are self-explanatory words and the
# enum's description says what they mean as a whole.
_ENUMS_FROM_DATABASE = {
    "DamageType",
    "CaseStatus",
    "CompensationDecision",
    "ContactRole",
    "TaskKind",
    "TaskStatus",
    "DocumentType",
    "MessageDirection",
    "FeedEventType",
    "UserKind",
    "CompanyKind",
    "ViewerRole",
    "CaseOrderField",
    "OrderDirection",
    "ApiScope",
    "CustomFieldKind",  # casetypes
    "CaseOrigin",  # casetypes
}

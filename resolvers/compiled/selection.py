"""From a validated GraphQL operation to a plain tree of selected fields.

The compiled read path handles a known subset of the schema; anything outside it raises
`NotCompilable`, and the request takes the ordinary resolver path instead. That keeps
the compiled path small: it must be exact where it answers, not complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.execution.values import get_argument_values


class NotCompilable(Exception):
    """This request takes the resolver path (the reason is for debugging)."""


@dataclass(slots=True)
class Sel:
    """One selected field: its response key, field name, coerced arguments, children."""

    key: str
    name: str
    args: dict[str, Any]
    children: list[Sel] = field(default_factory=list)
    # (field definition, field node): what it takes to coerce the arguments again.
    site: tuple[Any, FieldNode] | None = None

    def child(self, name: str) -> list[Sel]:
        return [c for c in self.children if c.name == name]


# Which interfaces each compilable object type implements, for fragment conditions.
INTERFACES = {"Node"}


def collect(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    type_name: str,
    fragments: dict[str, FragmentDefinitionNode],
    variables: Any,
) -> list[Sel]:
    """The fields selected on an object of `type_name`, with fragments applied."""
    graphql_type = schema.type_map[type_name]
    fields: list[Sel] = []
    seen: set[str] = set()
    for node in _flatten(selection_set, type_name, fragments):
        if node.directives:
            raise NotCompilable("directives")  # @include/@skip: rare, left to resolvers
        key = node.alias.value if node.alias else node.name.value
        if key in seen:
            raise NotCompilable("merged fields")  # the same key twice needs field merging
        seen.add(key)
        name = node.name.value
        if name == "__typename":
            fields.append(Sel(key, name, {}))
            continue
        field_def = graphql_type.fields.get(name)  # type: ignore[union-attr]
        if field_def is None:
            raise NotCompilable(f"unknown field {type_name}.{name}")
        args = get_argument_values(field_def, node, variables) if field_def.args else {}
        sel = Sel(key, name, args, site=(field_def, node) if field_def.args else None)
        if node.selection_set is not None:
            # Collected once the field's type is known (see `children_of`).
            sel.children = _Pending(node.selection_set)  # type: ignore[assignment]
        fields.append(sel)
    return fields


@dataclass(slots=True)
class _Pending:
    selection_set: SelectionSetNode


def children_of(
    sel: Sel,
    type_name: str,
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    variables: Any,
) -> list[Sel]:
    """The selection under `sel`, as fields of `type_name` (collected on first use)."""
    pending = sel.children
    if isinstance(pending, _Pending):
        sel.children = collect(schema, pending.selection_set, type_name, fragments, variables)
    return sel.children


def _flatten(
    selection_set: SelectionSetNode,
    type_name: str,
    fragments: dict[str, FragmentDefinitionNode],
) -> list[FieldNode]:
    found: list[FieldNode] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            found.append(node)
            continue
        if node.directives:
            raise NotCompilable("directives on a fragment")
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else type_name
            inner = node.selection_set
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments[node.name.value]
            condition, inner = fragment.type_condition.name.value, fragment.selection_set
        else:  # pragma: no cover - graphql-core has no other selection kinds
            raise NotCompilable("unknown selection")
        if condition == type_name or condition in INTERFACES:
            found.extend(_flatten(inner, type_name, fragments))
        # A fragment on another concrete type selects nothing here.
    return found


def operation_of(document: Any, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise NotCompilable("operation name needed")
        return operations[0]
    for operation in operations:
        if operation.name and operation.name.value == operation_name:
            return operation
    raise NotCompilable("no such operation")


def fragments_of(document: Any) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

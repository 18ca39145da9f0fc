"""What an operation costs, in points: estimated from the document before it runs, and
counted from the response after.

The estimate counts the objects the response can hold, the way GitHub and Shopify do:
every field of an object type is one object per instance, scalars are free. A connection's
`nodes`/`edges` hold `first` (or `last`) items, 20 when neither is given; `nodes(ids:)`
holds one per id; other lists (a case's tasks, a message's attachments) are estimated at
10. Each mutation field adds 10 (writes are dear). Introspection is free.

The actual cost counts the objects in the response's `data` (plus 10 per mutation field).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    is_list_type,
)
from graphql.utilities import get_operation_ast

from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE

MAX_COST = 5000  # per operation; more is refused before execution (COST_LIMIT)
LIST_ESTIMATE = 10
MUTATION_COST = 10
_PAGE_FIELDS = frozenset({"nodes", "edges"})


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
) -> int:
    return _operation_cost(schema, operation, fragments, variables)[0]


def _operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
) -> tuple[int, tuple[str, ...]]:
    """The estimate, and the variables it read (in the order it read them)."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0, ()
    # A variable left out takes its default: `($n: Int = 50)` pages 50, not 20.
    given = {**_defaults(operation), **(variables or {})}
    estimator = _Estimator(schema, fragments, given)
    cost = estimator.selections(operation.selection_set, root, page=None)
    if operation.operation is OperationType.MUTATION:
        cost += MUTATION_COST * _root_field_count(operation.selection_set, fragments)
    return cost, tuple(estimator.read)


class CostEstimates:
    """Estimates of operations already seen, so a repeated operation is not walked again.

    An estimate reads variables only where they size a page (`first`, `last`) or a list of
    ids (`nodes(ids:)`), and uses only what `_Estimator` makes of them (a page size, a
    list's length, or "not a size"); so an operation's estimates are kept by those
    variables' sizes: `query($id: ID!)` has one estimate whatever the id, a page of `$n`
    one per size. Which variables are read can depend on their values (`last` is read
    only when `first` is not a size): an estimate that read others is not kept.
    """

    def __init__(self, schema: GraphQLSchema, size: int = 1000, per_operation: int = 64) -> None:
        self.schema = schema
        self.size = size
        self.per_operation = per_operation
        self._operations: OrderedDict[tuple[int, str | None], _Estimates] = OrderedDict()

    def estimate(
        self, document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
    ) -> int:
        """Points the operation can cost at most; 0 when the operation is not in the document.
        `document` must not change after it is first given (parsed documents are cached and
        shared, and are keyed here by identity)."""
        key = (id(document), operation_name)
        entry = self._operations.get(key)
        if entry is not None:
            self._operations.move_to_end(key)
        if entry is None or entry.document is not document:
            operation = get_operation_ast(document, operation_name)
            if operation is None:
                return 0
            entry = _Estimates(document, operation, _fragments(document), _defaults(operation))
            self._operations[key] = entry
            if len(self._operations) > self.size:
                self._operations.popitem(last=False)
        if entry.reads is not None:
            cost = entry.costs.get(entry.key(variables, entry.reads))
            if cost is not None:
                return cost
        cost, reads = _operation_cost(self.schema, entry.operation, entry.fragments, variables)
        if entry.reads is None:
            entry.reads = reads
        if reads == entry.reads and len(entry.costs) < self.per_operation:
            entry.costs[entry.key(variables, reads)] = cost
        return cost


@dataclass(slots=True)
class _Estimates:
    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    defaults: dict[str, Any]
    reads: tuple[str, ...] | None = None  # the variables the estimate reads
    costs: dict[tuple[Any, ...], int] = field(default_factory=dict)  # by their sizes

    def key(self, variables: dict[str, Any] | None, reads: tuple[str, ...]) -> tuple[Any, ...]:
        given, defaults = variables or {}, self.defaults
        return tuple(_size_of(given.get(n, defaults.get(n))) for n in reads)


def _size_of(value: Any) -> tuple[Any, ...]:
    """All that `_Estimator` makes of a variable's value: small, whatever the value."""
    if value is None:
        return ("none",)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return ("size", max(0, min(value, MAX_PAGE)))
    if isinstance(value, list):
        return ("list", min(len(value), MAX_PAGE))
    return ("other",)  # NaN, infinities, strings, objects: the largest page, a list of one


def actual_cost(data: Any, operation_type: OperationType | None, root_fields: int) -> int:
    """Objects in the response data (the root `data` object itself is free)."""
    count = _objects(data) - (1 if isinstance(data, dict) else 0)
    if operation_type is OperationType.MUTATION:
        count += MUTATION_COST * root_fields
    return count


def actual_cost_of_json(body: bytes, operation_type: OperationType | None, root_fields: int) -> int:
    """`actual_cost` of a response body `{"data": ...}` that is still JSON text, without
    decoding it: decoding and walking a 60 KB page costs ~0.7 ms of Python per request."""
    # Less the response object and the root `data` object, which is free (null: nothing).
    count = max(_objects_in_json(body) - 2, 0)
    if operation_type is OperationType.MUTATION:
        count += MUTATION_COST * root_fields
    return count


_NOT_BRACE_OR_QUOTE = bytes(b for b in range(256) if b not in b'{"')


def _objects_in_json(body: bytes) -> int:
    """The `{` that open objects: those outside strings. Only C-level bytes operations.

    Escaped backslashes go first, so every `\\"` left is an escaped quote inside a string;
    once those are gone too, the remaining quotes alternate opening and closing strings.
    Of the skeleton of quotes and braces, adjacent quote pairs can go (that keeps every
    other character's side of the quotes), which leaves only braces unless a string holds
    one: then the quotes left alternate again and say which braces are inside."""
    plain = body.replace(b"\\\\", b"").replace(b'\\"', b"") if b"\\" in body else body
    skeleton = plain.translate(None, _NOT_BRACE_OR_QUOTE).replace(b'""', b"")
    if b'"' not in skeleton:
        return len(skeleton)
    return b"".join(skeleton.split(b'"')[::2]).count(b"{")


def _defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        value = definition.default_value
        if isinstance(value, IntValueNode):
            defaults[definition.variable.name.value] = int(value.value)
        elif isinstance(value, ListValueNode):
            defaults[definition.variable.name.value] = list(value.values)
    return defaults


def _objects(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_objects(item) for item in value.values())
    if isinstance(value, list):
        return sum(_objects(item) for item in value)
    return 0


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _root_field_count(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += not selection.name.value.startswith("__")
        elif isinstance(selection, InlineFragmentNode):
            count += _root_field_count(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            count += _root_field_count(fragments[selection.name.value].selection_set, fragments)
    return count


class _Estimator:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.read: dict[str, None] = {}  # the variables read, in order (a set that keeps it)

    def selections(self, selection_set: SelectionSetNode, parent: Any, page: int | None) -> int:
        """Cost of one instance of `parent` with this selection; `page` is the page size
        when `parent` is a connection."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, target or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(fragment.selection_set, target or parent, page)
        return total

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        definition = parent.fields.get(name)
        if definition is None or node.selection_set is None:
            return 0
        target = get_named_type(definition.type)
        if not is_composite_type(target):
            return 0
        inner_page = self._page_size(node) if "first" in definition.args else None
        instances = self._instances(node, definition, page)
        return instances * (1 + self.selections(node.selection_set, target, inner_page))

    def _instances(self, node: FieldNode, definition: Any, page: int | None) -> int:
        if page is not None and node.name.value in _PAGE_FIELDS:
            return page
        if "ids" in definition.args:
            return min(self._list_length(node, "ids"), MAX_PAGE)
        type_ = definition.type
        unwrapped = getattr(type_, "of_type", type_) if not is_list_type(type_) else type_
        return LIST_ESTIMATE if is_list_type(unwrapped) else 1

    def _page_size(self, node: FieldNode) -> int:
        given = False
        for name in ("first", "last"):
            value = self._argument(node, name)
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # graphql-core coerces 100.0 to the Int 100
            if isinstance(value, int) and not isinstance(value, bool):
                return max(0, min(value, MAX_PAGE))
            given = given or value is not None
        # A size the estimate cannot read counts as the largest page, never as a default.
        return MAX_PAGE if given else DEFAULT_PAGE

    def _list_length(self, node: FieldNode, name: str) -> int:
        value = self._argument(node, name)
        return len(value) if isinstance(value, list) else 1

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                self.read[value.name.value] = None
                return self.variables.get(value.name.value)
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, ListValueNode):
                return list(value.values)
        return None

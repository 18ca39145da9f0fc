"""Render a live event once per (selection, permission scope), not once per socket.

Every socket of a subscription executes its selection set for every event. When many
sockets share the same operation (document text, operation name, variables) and their
principals share a render scope (`permissions.sharing.render_scope_key`: staff of one
portal and level; otherwise the sharing key), those executions are identical: they run
over the same row with principals and loaders that see the same. So the subscription
resolvers tag each payload with its view and event, and this executor keeps the first
result in `View.renders` (one dict per render scope and batch, dropped with the batch)
for the other sockets. An operation that selects a field whose answer depends on the
person (`PERSONAL_FIELDS`, e.g. `viewerCan`) is keyed by the person too. Results never
cross scopes, errors included: a FORBIDDEN field is shared only with sockets that would
have got it anyway.

Each socket still gets its own ExecutionResult (same `data` and error objects): error
formatting and extensions stay per socket (request ids differ).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.executor import CollectedErrors
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from permissions.principal import Principal
from permissions.sharing import PERSONAL_FIELDS, sharing_key
from resolvers.subscriptions.subscriber import Delivery

RENDER_TAG = "_casegraph_render"
MAX_RENDERS = 4096  # per scope and batch; past it sockets render on their own
T = TypeVar("T")

# A stored render: a finished result, or a future while the first socket renders it
# (resolved with None when that render failed: waiters then render on their own).
Render = ExecutionResult | asyncio.Future[ExecutionResult | None]


@dataclass(frozen=True, slots=True)
class RenderTag:
    renders: dict[Hashable, Any]  # View.renders: the scope's renders of this batch
    event: Hashable  # (kind, position): which event this payload is


def tagged(payload: T, delivery: Delivery) -> T:
    """Mark a subscription payload as `delivery`'s event, rendered for its scope."""
    tag = RenderTag(delivery.view.renders, (delivery.kind, delivery.position))
    object.__setattr__(payload, RENDER_TAG, tag)
    return payload


def operation_key(
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    fragments: dict[str, FragmentDefinitionNode],
    principal: Principal | None,
) -> Hashable | None:
    """(document text, operation name, coerced variables, person); None: do not share.
    The person (the principal's sharing key) is part of it only when the operation selects
    a field whose answer depends on who asks (permissions.sharing.PERSONAL_FIELDS): the
    others are shared by everyone of the render scope."""
    if operation.operation is not OperationType.SUBSCRIPTION or operation.loc is None:
        return None
    frozen = _freeze(variables)
    if frozen is _UNSHAREABLE:
        return None
    name = operation.name.value if operation.name else None
    # graphql-core's executor holds FragmentDetails (with the definition), resolve info
    # the definitions themselves.
    definitions = {n: getattr(f, "definition", f) for n, f in fragments.items()}
    try:
        personal = _selects_personal(operation.selection_set, definitions, set())
    except Exception:  # fail closed: a document this cannot read renders per person
        personal = True
    person = sharing_key(principal) if personal and principal is not None else None
    return (operation.loc.source.body, name, frozen, person)


def _selects_personal(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visited: set[str],
) -> bool:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            if selection.name.value in PERSONAL_FIELDS:
                return True
            inner = selection.selection_set
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visited or name not in fragments:
                continue
            visited.add(name)
            inner = fragments[name].selection_set
        else:
            inner = selection.selection_set  # an inline fragment
        if _selects_personal(inner, fragments, visited):
            return True
    return False


def render_key(event: Hashable, op_key: Hashable) -> Hashable:
    """Where a scope's render of `event` for one operation is kept in `View.renders`."""
    return (event, op_key)


class SharedRenderExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor; tagged subscription events reuse their scope's render."""

    _operation_key: Hashable | None = None
    _operation_key_done = False

    def build_per_event_executor(self, payload: Any) -> Any:
        tag: RenderTag | None = getattr(payload, RENDER_TAG, None)
        key = self._render_key(tag) if tag is not None else None
        if tag is not None and key is not None:
            entry = tag.renders.get(key)
            if isinstance(entry, ExecutionResult):  # already rendered: no executor needed
                return _Replay(entry)
        # What `copy(self)` does (graphql-core's own version), minus copy's generic path.
        executor = object.__new__(type(self))
        executor.__dict__.update(self.__dict__)
        executor.root_value = payload
        executor.collected_errors = CollectedErrors()
        executor._render = (tag, key)
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        tag, key = self.__dict__.get("_render", (None, None))
        if tag is None or key is None:
            return super().execute_operation(serially)
        renders = tag.renders
        entry: Render | None = renders.get(key)
        if isinstance(entry, ExecutionResult):
            return _copy(entry)
        if entry is not None:
            return self._await_render(entry, serially)
        if len(renders) >= MAX_RENDERS:
            return super().execute_operation(serially)
        result = super().execute_operation(serially)
        if not self.is_awaitable(result):  # rendered synchronously (no async resolver)
            if not isinstance(result, ExecutionResult):
                return result  # incremental delivery: not shared
            renders[key] = result
            return _copy(result)
        future: asyncio.Future[ExecutionResult | None] = asyncio.get_running_loop().create_future()
        renders[key] = future
        return self._first_render(result, renders, key, future)

    def _render_key(self, tag: RenderTag) -> Hashable | None:
        """(event, operation key); None: do not share."""
        if not self._operation_key_done:  # the same for every event of the subscription
            principal = getattr(self.context_value, "principal", None)
            self._operation_key = operation_key(
                self.operation, self.variable_values.coerced, self.fragments, principal
            )
            self._operation_key_done = True
        op_key = self._operation_key
        return None if op_key is None else render_key(tag.event, op_key)

    async def _first_render(
        self,
        pending: Any,
        renders: dict[Hashable, Any],
        key: Hashable,
        future: asyncio.Future[ExecutionResult | None],
    ) -> ExecutionResult:
        result: Any = None
        try:
            result = await pending
        finally:
            if not isinstance(result, ExecutionResult):
                # Cancelled (socket gone), failed or incremental: waiters render themselves.
                if renders.get(key) is future:
                    del renders[key]
                future.set_result(None)
        if not isinstance(result, ExecutionResult):
            return result  # type: ignore[no-any-return]
        renders[key] = result
        future.set_result(result)
        return _copy(result)

    async def _await_render(
        self, future: asyncio.Future[ExecutionResult | None], serially: bool | None
    ) -> ExecutionResult:
        # shield: a waiter's own cancellation must not cancel the shared render.
        shared = await asyncio.shield(future)
        if shared is not None:
            return _copy(shared)
        result = super().execute_operation(serially)
        return await result if self.is_awaitable(result) else result  # type: ignore[no-any-return]


class _Replay:
    """Stands in for a per-event executor when the event's render is already done."""

    __slots__ = ("result",)

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return _copy(self.result)


def _copy(result: ExecutionResult) -> ExecutionResult:
    """A result of this socket's own (strawberry sets errors/extensions on its copy)."""
    errors = list(result.errors) if result.errors else None
    return ExecutionResult(result.data, errors)


_UNSHAREABLE = object()


def _freeze(value: Any) -> Any:
    """Variables as a hashable value, types included (1 and True differ); _UNSHAREABLE
    when some value cannot be compared safely."""
    if isinstance(value, dict):
        items = []
        for name, item in sorted(value.items()):
            frozen = _freeze(item)
            if frozen is _UNSHAREABLE:
                return _UNSHAREABLE
            items.append((name, frozen))
        return ("dict", tuple(items))
    if isinstance(value, list | tuple):
        frozen_items = tuple(_freeze(item) for item in value)
        return _UNSHAREABLE if _UNSHAREABLE in frozen_items else ("list", frozen_items)
    if value is None or isinstance(value, str | int | float | bool | enum.Enum):
        return (type(value), value)
    return _UNSHAREABLE

"""Runs queries through the compiled path: plans cached per document, operation and
principal shape; one SQL statement per root field; the JSON bytes passed on untouched.

`execute` returns the response body, or None when the request must take the resolver
path: anything outside the compiled subset, invalid input (the resolver path words the
errors), a NOT_FOUND root, or a field rule that says no for some row.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from graphql import (
    GraphQLSchema,
    ListValueNode,
    ObjectValueNode,
    OperationType,
    VariableNode,
    parse,
    validate,
)
from graphql.execution.values import get_argument_values, get_variable_values

from permissions.principal import Principal, Role
from resolvers.compiled import sql
from resolvers.compiled.builder import DENIED, Normalizer
from resolvers.compiled.connections import Connections
from resolvers.compiled.roots import NON_NULL_ROOTS, ROOTS
from resolvers.compiled.selection import NotCompilable, Sel, collect, fragments_of, operation_of
from resolvers.compiled.types import TypeCompiler
from server.errors import AppError

log = logging.getLogger(__name__)
_DENIED_BYTES = DENIED.encode()


@dataclass
class Statement:
    """The SQL of one root field and how to bind its parameters."""

    key: str  # the response key
    root: str  # the root field's name
    text: str
    params: sql.Params


@dataclass
class Plan:
    statements: list[Statement]


@dataclass
class Site:
    """A field with arguments, as the builder meets it, and how its arguments become
    parameter values and a plan shape."""

    field_def: Any
    node: Any
    normalize: Normalizer
    # Arguments without variables are the same every time: normalized once, then kept.
    constant: bool = False
    normalized: tuple[list[Any], tuple[Any, ...]] | None = None

    def __post_init__(self) -> None:
        self.constant = not any(_has_variable(a.value) for a in self.node.arguments or ())

    def arguments(self, coerced: Any) -> tuple[list[Any], tuple[Any, ...]]:
        if self.normalized is not None:
            return self.normalized
        normalized = self.normalize(get_argument_values(self.field_def, self.node, coerced))
        if self.constant:
            self.normalized = normalized
        return normalized


def _has_variable(value: Any) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(f.value) for f in value.fields)
    return False


@dataclass
class Analysis:
    """What is known about one (document, operation): parsed once, planned per shape."""

    operation: Any = None
    fragments: dict[str, Any] = field(default_factory=dict)
    compilable: bool = True
    # Fields with arguments, in the order the builder meets them.
    sites: list[Site] | None = None
    plans: dict[Any, Plan | None] = field(default_factory=dict)
    # Principal shapes that could not compile before the sites were known.
    failed: set[Any] = field(default_factory=set)


class CompiledReads:
    def __init__(self, schema: GraphQLSchema, pool: Connections, cache_size: int = 500) -> None:
        self.schema = schema
        self.pool = pool
        self.cache_size = cache_size
        self._analyses: OrderedDict[tuple[str, str | None], Analysis] = OrderedDict()

    @classmethod
    async def open(cls, schema: GraphQLSchema, database_url: str, *, size: int) -> CompiledReads:
        """With asyncpg connections of its own (resolvers/compiled/connections.py): a
        checkout costs a fraction of the ORM pool's, and this path needs nothing else."""
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        dsn = dsn.replace("postgres://", "postgresql://", 1)
        # Generic plans: the statements are prepared once per connection and their
        # parameters are ids and page sizes, so re-planning each execution buys nothing.
        # UTC: DateTime values are formatted by to_char in the session's time zone.
        settings = {"plan_cache_mode": "force_generic_plan", "timezone": "UTC"}
        return cls(schema, Connections(dsn, size, settings))

    async def close(self) -> None:
        await self.pool.close()

    def _analysis(self, query: str, operation_name: str | None) -> Analysis:
        key = (query, operation_name)
        analysis = self._analyses.get(key)
        if analysis is not None:
            self._analyses.move_to_end(key)
            return analysis
        analysis = Analysis()
        try:
            document = parse(query)
            if validate(self.schema, document):
                raise NotCompilable("invalid document")
            analysis.operation = operation_of(document, operation_name)
            if analysis.operation.operation is not OperationType.QUERY:
                raise NotCompilable("not a query")
            analysis.fragments = fragments_of(document)
        except (NotCompilable, Exception):  # parse errors too: the resolver path reports them
            analysis.compilable = False
        self._analyses[key] = analysis
        if len(self._analyses) > self.cache_size:
            self._analyses.popitem(last=False)
        return analysis

    async def execute(
        self,
        *,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        principal: Principal,
        guard: bool = False,
    ) -> bytes | None:
        """The response body, or None for the resolver path. With `guard`, the principal
        came from a token's hint and each statement verifies it in the database first.

        Customers always take the resolver path: what they see follows the customer-page
        configuration at the case's milestone, which only the resolver path knows."""
        if principal.role is Role.CUSTOMER:
            return None
        analysis = self._analysis(query, operation_name)
        if not analysis.compilable:
            return None
        coerced = get_variable_values(
            self.schema, analysis.operation.variable_definitions or [], variables or {}
        )
        if isinstance(coerced, list):
            return None  # variable errors: worded by the resolver path
        try:
            plan, values = self._plan(analysis, principal, coerced, guard)
        except (NotCompilable, AppError):
            return None
        if plan is None:
            return None
        return await self._run(plan, principal, values)

    def _plan(
        self, analysis: Analysis, principal: Principal, coerced: Any, guard: bool
    ) -> tuple[Plan | None, list[Any]]:
        values: list[Any] = []
        principal_shape = sql.principal_shape(principal)
        if principal_shape in analysis.failed:
            return None, values
        if analysis.sites is not None:
            shape: list[Any] = []
            for site in analysis.sites:
                found, part = site.arguments(coerced)
                values.extend(found)
                shape.append(part)
            key = (principal_shape, guard, tuple(shape))
            if key in analysis.plans:
                return analysis.plans[key], values
        return self._build(analysis, principal, coerced, guard)

    def _build(
        self, analysis: Analysis, principal: Principal, coerced: Any, guard: bool
    ) -> tuple[Plan | None, list[Any]]:
        values: list[Any] = []
        shape: list[Any] = []
        sites: list[Site] = []

        def arguments(sel: Sel, normalize: Normalizer) -> tuple[list[int], tuple[Any, ...]]:
            assert sel.site is not None
            found, part = normalize(sel.args)
            start = len(values)
            values.extend(found)
            shape.append(part)
            sites.append(Site(*sel.site, normalize))
            return list(range(start, start + len(found))), part

        builder = TypeCompiler(
            principal=principal,
            schema=self.schema,
            fragments=analysis.fragments,
            variables=coerced,
            arguments=arguments,
        )
        statements: list[Statement] = []
        try:
            roots = collect(
                self.schema, analysis.operation.selection_set, "Query", analysis.fragments, coerced
            )
            for sel in roots:
                root = ROOTS.get(sel.name)
                if root is None:
                    raise NotCompilable(f"root field {sel.name}")
                builder.params = sql.Params()  # each statement numbers its own parameters
                text = root(builder, sel)
                if guard:
                    check = sql.principal_guard(builder.params, principal)
                    text = f"SELECT CASE WHEN {check} THEN ({text}) ELSE '\"{DENIED}\"' END"
                statements.append(Statement(sel.key, sel.name, text, builder.params))
            plan: Plan | None = Plan(statements)
        except NotCompilable as exc:
            log.debug("resolver path: %s", exc)
            plan = None
        if analysis.sites is None:
            if plan is None:
                analysis.failed.add(sql.principal_shape(principal))
                return None, values
            analysis.sites = sites
        analysis.plans[(sql.principal_shape(principal), guard, tuple(shape))] = plan
        return plan, values

    async def _run(self, plan: Plan, principal: Principal, values: list[Any]) -> bytes | None:
        parts: list[bytes] = []
        async with self.pool.acquire() as connection:
            for statement in plan.statements:
                args = statement.params.bind(principal, values)
                try:
                    result = await connection.fetchval(statement.text, *args)
                except asyncpg.DataError:
                    return None  # a value PostgreSQL refuses: the resolver path words it
                key = statement.key
                if result is None:
                    if statement.root in NON_NULL_ROOTS:
                        return None  # NOT_FOUND: the resolver path words it
                    result = "null"
                encoded = result.encode()
                if _DENIED_BYTES in encoded:
                    return None  # a field rule said no for some row: exact errors there
                parts.append(b'"' + key.encode() + b'":' + encoded)
        return b'{"data":{' + b",".join(parts) + b"}}"

"""The machinery that compiles a selection into one SQL statement building the JSON
(the types themselves are in resolvers/compiled/types.py).

Each object is a json_build_object over its selected fields; lists and connections are
correlated subqueries with json_agg. Row scopes come from permissions.scopes (rendered
once per plan with the principal's ids as parameters), so the two read paths share one
source of truth for who sees which rows. Field rules that depend on the row render a
denial marker instead of the value; the caller then answers through the resolver path,
which produces the exact FORBIDDEN errors.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from permissions.principal import Principal, Role, Scope
from permissions.rules import can_read_comments, can_read_internal
from resolvers.compiled import sql
from resolvers.compiled.selection import NotCompilable, Sel, children_of
from resolvers.pagination import PageArgs

# A value no stored text can contain by chance: its presence means "a rule said no".
DENIED = f"cg-denied-{secrets.token_hex(8)}"
_DENIED_JSON = f"'\"{DENIED}\"'::json"

Normalizer = Callable[[dict[str, Any]], tuple[list[Any], tuple[Any, ...]]]


class Builder:
    """Builds the SQL for one operation and one principal shape.

    `arguments` is called for every field with arguments, in traversal order; it returns
    the parameter indexes of that field's normalized values and its shape.
    """

    def __init__(
        self,
        *,
        principal: Principal,
        schema: Any,
        fragments: dict[str, Any],
        variables: Any,
        arguments: Callable[[Sel, Normalizer], tuple[list[int], tuple[Any, ...]]],
    ) -> None:
        self.principal = principal
        self.symbolic = sql.symbolic(principal)
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.arguments = arguments
        self.params = sql.Params()

    # -- plumbing ----------------------------------------------------------------------

    def children(self, sel: Sel, type_name: str) -> list[Sel]:
        return children_of(sel, type_name, self.schema, self.fragments, self.variables)

    def scope(self, table: Any, condition: Any) -> str:
        return sql.condition(self.params, table, condition)

    def value(self, index: int) -> str:
        return self.params.value(index)

    def guarded(self, allowed: str, value_sql: str) -> str:
        """`value_sql` where the rule holds; the denial marker where it does not."""
        if allowed == "true":
            return value_sql
        if allowed == "false":
            raise NotCompilable("a field rule denies this field for the principal")
        return f"CASE WHEN {allowed} THEN to_json({value_sql}) ELSE {_DENIED_JSON} END"

    def obj(self, type_name: str, sel: Sel, fields: dict[str, Callable[[Sel], str]]) -> str:
        pairs: list[tuple[str, str]] = []
        for child in self.children(sel, type_name):
            if child.name == "__typename":
                pairs.append((child.key, f"'{type_name}'"))
                continue
            compile_field = fields.get(child.name)
            if compile_field is None:
                raise NotCompilable(f"{type_name}.{child.name} is not compiled")
            pairs.append((child.key, compile_field(child)))
        return sql.json_object(pairs)

    def one(self, type_name: str, sel: Sel, table: str, where: str, fields: Any) -> str:
        return f"(SELECT {self.obj(type_name, sel, fields)} FROM {table} WHERE {where})"

    # -- rules with a row-dependent answer -------------------------------------------

    def _handler_of_case(self) -> str:
        p = self.principal
        if p.role is not Role.PARTNER or p.user_id is None:
            return "false"
        user_id = self.params.ref(sql.Slot("principal", "user_id"))
        return f"cases.external_case_handler_id = {user_id}"

    def case_budget_rule(self) -> str:
        p = self.principal
        if p.acts_as_insurer:
            return "true" if p.has_scope(Scope.BUDGETS_READ) else "false"
        return self._handler_of_case()

    def task_budget_rule(self) -> str:
        case_rule = self.case_budget_rule()
        p = self.principal
        if case_rule == "true" or p.role is not Role.PARTNER or p.office_id is None:
            return case_rule
        office = f"tasks.office_id = {self.params.ref(sql.Slot('principal', 'office_id'))}"
        return office if case_rule == "false" else f"({case_rule} OR {office})"

    def messages_rule(self) -> str:
        p = self.principal
        if p.acts_as_insurer:
            return "true" if p.has_scope(Scope.MESSAGES_READ) else "false"
        if p.role is Role.CUSTOMER:  # their chat follows the page configuration
            raise NotCompilable("customers take the resolver path")
        return self._handler_of_case()

    def internal_rule(self) -> str:
        return "true" if can_read_internal(self.principal) else "false"

    def comments_rule(self) -> str:
        return "true" if can_read_comments(self.principal) else "false"

    # -- lists and connections ---------------------------------------------------------

    def list_of(self, obj_sql: str, table: str, where: str, order: str) -> str:
        return (
            f"(SELECT coalesce(json_agg({obj_sql} ORDER BY {order}), '[]'::json) "
            f"FROM {table} WHERE {where})"
        )

    def connection(
        self, sel: Sel, node_type: str, table: str, where: str, node: Callable[[Sel], str]
    ) -> str:
        """A child connection, newest first by id, as resolvers.pagination pages it."""
        indexes, shape = self.arguments(sel, normalize_page)
        from_end, has_after, has_before = shape
        limit = self.value(indexes[0])
        conditions = [where]
        # Parameters are numbered on first use: every one must appear in the statement.
        if has_after:
            conditions.append(f"{table}.id < {self.value(indexes[1])}")
        if has_before:
            conditions.append(f"{table}.id > {self.value(indexes[2])}")
        direction = "ASC" if from_end else "DESC"
        children = self.children(sel, f"{node_type}Connection")
        if any(child.name == "pageInfo" for child in children):
            # One row past the page tells whether there is more; _rn marks the page's rows.
            rank = f", row_number() OVER (ORDER BY {table}.id {direction}) AS _rn"
            fetch = f"{limit} + 1"
            in_page = f"{table}._rn <= {limit}"
        else:
            rank, fetch, in_page = "", limit, "true"  # the page alone: no window, no extra row
        page = (
            f"(SELECT {table}.*{rank} FROM {table} WHERE {' AND '.join(conditions)} "
            f"ORDER BY {table}.id {direction} LIMIT {fetch}) AS {table}"
        )
        more = f"count(*) > {limit}"
        parts: list[tuple[str, str]] = []
        for child in children:
            if child.name == "totalCount":
                parts.append((child.key, f"(SELECT count(*) FROM {table} WHERE {where})"))
                continue
            if child.name == "__typename":
                parts.append((child.key, f"'{node_type}Connection'"))
                continue
            if child.name == "pageInfo":
                info = {
                    "hasNextPage": "false" if from_end else more,
                    "hasPreviousPage": more if from_end else "false",
                    "startCursor": sql.cursor(
                        f"(max({table}.id) FILTER (WHERE {in_page}))", of_id=True
                    ),
                    "endCursor": sql.cursor(
                        f"(min({table}.id) FILTER (WHERE {in_page}))", of_id=True
                    ),
                }
                # A cursor given on one side proves there are items on that side.
                if has_before:
                    info["hasNextPage"] = "true"
                if has_after:
                    info["hasPreviousPage"] = "true"
                parts.append((child.key, self._page_info(child, f"{node_type}Connection", info)))
                continue
            if child.name == "nodes":
                item = node(child)
            elif child.name == "edges":
                item = self._edge(child, node_type, sql.cursor(f"{table}.id", of_id=True), node)
            else:
                raise NotCompilable(f"connection field {child.name}")
            aggregate = f"json_agg({item} ORDER BY {table}.id DESC) FILTER (WHERE {in_page})"
            parts.append((child.key, f"coalesce({aggregate}, '[]'::json)"))
        # HAVING makes it one aggregate row, even for an empty page or no per-row fields.
        return f"(SELECT {sql.json_object(parts)} FROM {page} HAVING true)"

    def _edge(self, sel: Sel, node_type: str, cursor_sql: str, node: Callable[[Sel], str]) -> str:
        pairs: list[tuple[str, str]] = []
        for child in self.children(sel, f"{node_type}Edge"):
            if child.name == "cursor":
                pairs.append((child.key, cursor_sql))
            elif child.name == "node":
                pairs.append((child.key, node(child)))
            elif child.name == "__typename":
                pairs.append((child.key, f"'{node_type}Edge'"))
            else:
                raise NotCompilable(f"edge field {child.name}")
        return sql.json_object(pairs)

    def _page_info(self, sel: Sel, type_name: str, info: dict[str, str]) -> str:
        pairs: list[tuple[str, str]] = []
        for child in self.children(sel, "PageInfo"):
            if child.name == "__typename":
                pairs.append((child.key, "'PageInfo'"))
            else:
                pairs.append((child.key, info[child.name]))
        return sql.json_object(pairs)


def normalize_page(args: dict[str, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    """Connection arguments as (limit, after id, before id) and the plan shape."""
    first, last = args.get("first"), args.get("last")
    page = PageArgs.parse(first, args.get("after"), last, args.get("before"))
    values = [page.limit, page.after_id, page.before_id]
    return values, (page.from_end, page.after_id is not None, page.before_id is not None)

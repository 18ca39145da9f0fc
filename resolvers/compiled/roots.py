"""The root fields the compiled path answers: `case(id)`, `node(id)` and
`cases(filter, orderBy, first/after/last/before)`; each becomes one SQL statement."""

from __future__ import annotations

from typing import Any

from permissions import scopes
from permissions.principal import Role
from resolvers.compiled import sql
from resolvers.compiled.selection import NotCompilable, Sel
from resolvers.compiled.types import TypeCompiler as Builder
from resolvers.global_ids import decode_global_id, decode_typed_id
from resolvers.nodes import CUSTOMER_TYPES
from resolvers.pagination import PageArgs
from resolvers.queries.case_list import (
    STATUS_RANK,
    CaseFilter,
    CaseOrderField,
    decode_case_cursor,
    decode_ids,
    search_pattern,
    viewer_flags,
)
from server.db.models import Case, Document, FeedEntry


def normalize_case_id(args: dict[str, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    return [decode_typed_id(args["id"], "Case", "id")], ()


def normalize_node_id(args: dict[str, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    """A node id: its row id is a value, its type part of the plan's shape."""
    type_name, row_id = decode_global_id(args["id"], "id")
    if type_name not in NODE_TABLES:
        raise NotCompilable(f"node of type {type_name}")  # NOT_FOUND, worded by resolvers
    return [row_id], (type_name,)


def one_case(builder: Builder, sel: Sel) -> str:
    """A single case by id, within the principal's scope; no row means NOT_FOUND."""
    (index,), _ = builder.arguments(sel, normalize_case_id)
    return one_case_by_index(builder, sel, index)


# Objects that live in a case: their table, reached through the case's row scope.
NODE_TABLES = {
    "Case": "cases",
    "Task": "tasks",
    "Document": "documents",
    "FeedEntry": "feed_entries",
    "Message": "messages",
    "Comment": "comments",
    "CaseContact": "case_contacts",
    "User": "users",
    "Office": "offices",
    "Company": "companies",
}


def one_node(builder: Builder, sel: Sel) -> str:
    """Any object by global id, with the scopes and rules of resolvers.nodes.load_row: a
    row the principal may not reach is no row (NOT_FOUND through the resolver path)."""
    (index,), (type_name,) = builder.arguments(sel, normalize_node_id)
    if type_name == "Case":
        return one_case_by_index(builder, sel, index)
    if builder.principal.role is Role.CUSTOMER and type_name not in CUSTOMER_TYPES:
        raise NotCompilable("customers reach people and companies only through their case")
    row_id = builder.value(index)
    if type_name in ("User", "Office", "Company"):
        compile_object = {
            "User": builder.user,
            "Office": builder.office,
            "Company": builder.company,
        }
        return f"SELECT ({compile_object[type_name](sel, row_id)})::text"
    table = NODE_TABLES[type_name]
    conditions = [
        f"{table}.id = {row_id}",
        builder.scope(Case.__table__, scopes.visible_cases(builder.symbolic)),
    ]
    if type_name == "Document":
        conditions.append(
            builder.scope(Document.__table__, scopes.visible_documents(builder.symbolic))
        )
    elif type_name == "FeedEntry":
        conditions.append(builder.scope(FeedEntry.__table__, scopes.visible_feed(builder.symbolic)))
    elif type_name == "Message":
        conditions.append(builder.messages_rule())
    elif type_name == "Comment":
        conditions.append(builder.comments_rule())
    compile_object = {
        "Task": builder.task,
        "Document": builder.document,
        "FeedEntry": builder.feed_entry,
        "Message": builder.message,
        "Comment": builder.comment,
        "CaseContact": builder.contact,
    }[type_name]
    where = " AND ".join(f"({c})" for c in conditions)
    return (
        f"SELECT ({compile_object(sel)})::text FROM {table} "
        f"JOIN cases ON cases.id = {table}.case_id WHERE {where}"
    )


def one_case_by_index(builder: Builder, sel: Sel, index: int) -> str:
    # As text: the bytes go to the client as they are, never decoded in Python.
    scope = builder.scope(Case.__table__, scopes.visible_cases(builder.symbolic))
    where = f"cases.id = {builder.value(index)} AND ({scope})"
    return f"SELECT ({builder.case(sel)})::text FROM cases WHERE {where}"


_FILTER_KEYS = (
    "status",
    "damageType",
    "caseHandlerId",
    "search",
    "createdAfter",
    "createdBefore",
    "customerActivity",
    "officeIds",
    "caseHandlerIds",
    "inspectorIds",
    "projectManagerIds",
    "userId",
)
# Filters that depend on the viewer: rendered from resolvers.queries.case_list's own
# conditions, so they are part of the plan's shape, not parameter values.
_FLAG_KEYS = (
    "myTasks",
    "actionRequired",
    "hasExternalCaseHandler",
    "externalCaseHandlerIsMe",
    "unreadCustomerMessages",
)
# Filters only the resolver path answers (resolvers.queries.case_list); issue 7.
# Case-list filters of configurable casework (issue 7): the resolver path answers them.
_RESOLVER_ONLY_FILTERS = (
    "slaState",
    "workflowStatusIds",
    "priorityIds",
    "caseTypeId",
    "customFields",
)
# Where the cursor values start among a case list's parameters (after limit and filters).
_CURSOR_AT = 1 + len(_FILTER_KEYS)


def normalize_cases(args: dict[str, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    """The case list's arguments as parameter values and the plan shape, with the same
    validation (and errors, through the resolver path) as resolvers.queries.case_list."""
    page = PageArgs.parse(args.get("first"), None, args.get("last"), None)
    order = args.get("orderBy") or {}
    field = order.get("field", CaseOrderField.CREATED_AT)
    descending = getattr(order.get("direction"), "value", "desc") == "desc"
    filters = args.get("filter") or {}
    if any(filters.get(name) for name in _RESOLVER_ONLY_FILTERS):
        raise NotCompilable("filter answered by the resolver path")
    handler = filters.get("caseHandlerId")
    user = filters.get("userId")
    search = (filters.get("search") or "").strip()
    values: list[Any] = [
        page.limit,
        [s.value for s in filters.get("status") or ()],
        [d.value for d in filters.get("damageType") or ()],
        decode_typed_id(handler, "User", "caseHandlerId") if handler else None,
        search_pattern(search) if search else None,
        filters.get("createdAfter"),
        filters.get("createdBefore"),
        filters.get("customerActivity"),
        list(decode_ids(filters.get("officeIds"), "Office", "officeIds")),
        list(decode_ids(filters.get("caseHandlerIds"), "User", "caseHandlerIds")),
        list(decode_ids(filters.get("inspectorIds"), "User", "inspectorIds")),
        list(decode_ids(filters.get("projectManagerIds"), "User", "projectManagerIds")),
        decode_typed_id(user, "User", "userId") if user else None,
    ]
    present = tuple(bool(v) if isinstance(v, list) else v is not None for v in values[1:])
    flags = tuple(filters.get(name) for name in _FLAG_KEYS)
    cursors = []
    for name in ("after", "before"):
        cursor = args.get(name)
        key = decode_case_cursor(cursor, field, name) if cursor else None
        cursors.append(key is not None)
        values.extend(key if key is not None else [None] * (3 if field.value == "number" else 2))
    if len(_FILTER_KEYS) != len(present):  # pragma: no cover - keeps the two lists in step
        raise NotCompilable("filter keys out of step")
    return values, (page.from_end, field, descending, present, flags, tuple(cursors))


def _flag_conditions(builder: Builder, flags: tuple[bool | None, ...]) -> list[str]:
    """The viewer's dashboard flags, as case_list.viewer_flags builds them."""
    given = CaseFilter(**dict(zip(_FLAG_FIELDS, flags, strict=True)))
    return [
        f"{'' if wanted else 'NOT '}({builder.scope(Case.__table__, condition)})"
        for condition, wanted in viewer_flags(given, builder.symbolic)
    ]


_FLAG_FIELDS = (
    "my_tasks",
    "action_required",
    "has_external_case_handler",
    "external_case_handler_is_me",
    "unread_customer_messages",
)


def _responsible_sql(kind: str, ids: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM tasks WHERE tasks.case_id = cases.id AND tasks.kind = '{kind}' "
        f"AND tasks.responsible_id = ANY({ids}))"
    )


def _status_rank_sql() -> str:
    """As case_list.status_rank: the lifecycle position of the status."""
    whens = " ".join(f"WHEN '{s.value}' THEN {r}" for s, r in STATUS_RANK.items() if r)
    return f"(CASE cases.status {whens} ELSE 0 END)"


def case_list(builder: Builder, sel: Sel) -> str:
    indexes, shape = builder.arguments(sel, normalize_cases)
    from_end, field, descending, present, flags, (has_after, has_before) = shape
    # Numbered on first use: every parameter of a statement must appear in it.
    v = _LazyParams(builder, indexes)
    limit = v[0]
    scope = builder.scope(Case.__table__, scopes.visible_cases(builder.symbolic))
    where = [f"({scope})"]
    filters = [
        lambda: f"cases.status = ANY({v[1]})",
        lambda: f"cases.damage_type = ANY({v[2]})",
        lambda: f"cases.case_handler_id = {v[3]}",
        lambda: (
            "(cases.number ILIKE {p} OR cases.claim_number ILIKE {p} "
            "OR cases.street ILIKE {p} OR cases.city ILIKE {p})".format(p=v[4])
        ),
        lambda: f"cases.created_at >= {v[5]}",
        lambda: f"cases.created_at < {v[6]}",
        lambda: f"(cases.customer_activity_at IS NOT NULL) = {v[7]}",
        lambda: (
            f"(EXISTS (SELECT 1 FROM tasks WHERE tasks.case_id = cases.id AND tasks.office_id "
            f"= ANY({v[8]})) OR cases.external_case_handler_office_id = ANY({v[8]}))"
        ),
        lambda: f"cases.case_handler_id = ANY({v[9]})",
        lambda: _responsible_sql("main_inspection", v[10]),
        lambda: _responsible_sql("project_management", v[11]),
        lambda: (
            f"(cases.case_handler_id = {v[12]} OR cases.external_case_handler_id = {v[12]} OR "
            f"EXISTS (SELECT 1 FROM tasks WHERE tasks.case_id = cases.id "
            f"AND tasks.responsible_id = {v[12]}))"
        ),
    ]
    if not builder.principal.acts_as_insurer and any(present[9:12]):
        # Person filters over tasks follow the viewer's offices (case_list); not compiled.
        raise NotCompilable("person filters for partners")
    where += [condition() for condition, given in zip(filters, present, strict=True) if given]
    where += _flag_conditions(builder, flags)
    count_where = " AND ".join(where)
    key_columns = _key_columns(field)
    width = len(key_columns)
    key = f"({', '.join(key_columns)})"
    if has_after:
        after_values = ", ".join(v[_CURSOR_AT + i] for i in range(width))
        where.append(f"{key} {'<' if descending else '>'} ({after_values})")
    if has_before:
        before_values = ", ".join(v[_CURSOR_AT + width + i] for i in range(width))
        where.append(f"{key} {'>' if descending else '<'} ({before_values})")
    walk = "DESC" if descending != from_end else "ASC"
    ordering = ", ".join(f"{column} {walk}" for column in key_columns)
    page = (
        f"(SELECT cases.*, row_number() OVER (ORDER BY {ordering}) AS _rn FROM cases "
        f"WHERE {' AND '.join(where)} ORDER BY {ordering} LIMIT {limit} + 1) AS cases"
    )
    connection = _connection(
        builder, sel, page, field, from_end, limit, count_where, (has_after, has_before)
    )
    # HAVING makes it one aggregate row, even for an empty page or no per-row fields.
    return f"SELECT ({connection})::text FROM {page} HAVING true"


def _key_columns(field: CaseOrderField) -> list[str]:
    """As case_list._sort_key."""
    if field is CaseOrderField.NUMBER:
        return ["length(cases.number)", "cases.number", "cases.id"]
    if field is CaseOrderField.STATUS:
        return [_status_rank_sql(), "cases.id"]
    return [f"cases.{field.value}", "cases.id"]


class _LazyParams:
    def __init__(self, builder: Builder, indexes: list[int]) -> None:
        self.builder, self.indexes = builder, indexes

    def __getitem__(self, position: int) -> str:
        return self.builder.value(self.indexes[position])


def _cursor_sql(field: CaseOrderField) -> str:
    """As resolvers.queries.case_list._cursor: '<field>|<value>|<id>'."""
    if field is CaseOrderField.NUMBER:
        value = "cases.number"
    elif field is CaseOrderField.STATUS:
        value = f"{_status_rank_sql()}::text"
    else:
        value = f"(extract(epoch FROM cases.{field.value}) * 1000000)::bigint::text"
    return sql.cursor(f"'{field.value}|' || {value} || '|' || cases.id")


def _connection(
    builder: Builder,
    sel: Sel,
    page: str,
    field: CaseOrderField,
    from_end: bool,
    limit: str,
    count_where: str,
    given: tuple[bool, bool],
) -> str:
    has_after, has_before = given
    in_page = f"cases._rn <= {limit}"
    display = "cases._rn DESC" if from_end else "cases._rn"
    cursor = _cursor_sql(field)
    cursors = f"(array_agg({cursor} ORDER BY {display}) FILTER (WHERE {in_page}))"
    more = f"count(*) > {limit}"
    info = {
        "hasNextPage": "true" if has_before else ("false" if from_end else more),
        "hasPreviousPage": "true" if has_after else (more if from_end else "false"),
        "startCursor": f"{cursors}[1]",
        "endCursor": f"{cursors}[array_length({cursors}, 1)]",
        "__typename": "'PageInfo'",
    }
    parts: list[tuple[str, str]] = []
    for child in builder.children(sel, "CaseConnection"):
        if child.name == "totalCount":
            parts.append((child.key, f"(SELECT count(*) FROM cases WHERE {count_where})"))
        elif child.name == "__typename":
            parts.append((child.key, "'CaseConnection'"))
        elif child.name == "pageInfo":
            pairs = [(c.key, info[c.name]) for c in builder.children(child, "PageInfo")]
            parts.append((child.key, sql.json_object(pairs)))
        elif child.name in ("nodes", "edges"):
            item = builder.case(child) if child.name == "nodes" else _edge(builder, child, cursor)
            aggregate = f"json_agg({item} ORDER BY {display}) FILTER (WHERE {in_page})"
            parts.append((child.key, f"coalesce({aggregate}, '[]'::json)"))
        else:
            raise NotCompilable(f"connection field {child.name}")
    return sql.json_object(parts)


def _edge(builder: Builder, sel: Sel, cursor: str) -> str:
    pairs: list[tuple[str, str]] = []
    for child in builder.children(sel, "CaseEdge"):
        if child.name == "cursor":
            pairs.append((child.key, cursor))
        elif child.name == "node":
            pairs.append((child.key, builder.case(child)))
        elif child.name == "__typename":
            pairs.append((child.key, "'CaseEdge'"))
        else:
            raise NotCompilable(f"edge field {child.name}")
    return sql.json_object(pairs)


ROOTS = {
    "case": one_case,
    "node": one_node,
    "cases": case_list,
}

# Root fields whose null answer is an error (NOT_FOUND) the resolver path must produce.
NON_NULL_ROOTS = frozenset({"case", "node"})

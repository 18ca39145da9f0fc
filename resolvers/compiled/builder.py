"""Compiles a selection on the main types into one SQL statement that builds the JSON.

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

from permissions import scopes
from permissions.principal import Principal, Role, Scope
from permissions.rules import can_read_comments, can_read_internal
from resolvers.compiled import sql
from resolvers.compiled.selection import NotCompilable, Sel, children_of
from resolvers.pagination import PageArgs
from server.db.models import Case, Company, Document, FeedEntry, Office, User

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
        if p.role is Role.CUSTOMER:
            return f"cases.id = {self.params.ref(sql.Slot('principal', 'case_id'))}"
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
        page = (
            f"(SELECT {table}.*, row_number() OVER (ORDER BY {table}.id {direction}) AS _rn "
            f"FROM {table} WHERE {' AND '.join(conditions)} "
            f"ORDER BY {table}.id {direction} LIMIT {limit} + 1) AS {table}"
        )
        in_page = f"{table}._rn <= {limit}"
        more = f"count(*) > {limit}"
        parts: list[tuple[str, str]] = []
        for child in self.children(sel, f"{node_type}Connection"):
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
                    "startCursor": sql.cursor(f"(max({table}.id) FILTER (WHERE {in_page}))"),
                    "endCursor": sql.cursor(f"(min({table}.id) FILTER (WHERE {in_page}))"),
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
                item = self._edge(child, node_type, sql.cursor(f"{table}.id"), node)
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

    # -- the types ---------------------------------------------------------------------

    def case(self, sel: Sel) -> str:
        """A Case object over the row source named `cases`."""
        rules_internal = self.internal_rule
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("Case", "cases.id"),
            "number": lambda s: "cases.number",
            "claimNumber": lambda s: "cases.claim_number",
            "damageType": lambda s: sql.enum("cases.damage_type"),
            "description": lambda s: "cases.description",
            "street": lambda s: "cases.street",
            "postalCode": lambda s: "cases.postal_code",
            "city": lambda s: "cases.city",
            "damageDate": lambda s: "cases.damage_date",
            "status": lambda s: sql.enum("cases.status"),
            "statusReason": lambda s: self.guarded(rules_internal(), "cases.status_reason"),
            "compensationDecision": lambda s: self.guarded(
                rules_internal(), sql.enum("cases.compensation_decision")
            ),
            "budget": lambda s: self.guarded(self.case_budget_rule(), sql.money("cases.budget")),
            "createdAt": lambda s: sql.datetime("cases.created_at"),
            "updatedAt": lambda s: sql.datetime("cases.updated_at"),
            "closedAt": lambda s: sql.datetime("cases.closed_at"),
            "caseHandler": lambda s: self.user(s, "cases.case_handler_id"),
            "externalCaseHandler": lambda s: self.user(s, "cases.external_case_handler_id"),
            "externalCaseHandlerOffice": lambda s: self.office(
                s, "cases.external_case_handler_office_id"
            ),
            "contacts": lambda s: self.list_of(
                self.contact(s),
                "case_contacts",
                "case_contacts.case_id = cases.id",
                "case_contacts.id",
            ),
            "tasks": lambda s: self.list_of(
                self.task(s), "tasks", "tasks.case_id = cases.id", "tasks.id"
            ),
            "documents": lambda s: self.connection(
                s, "Document", "documents", self._documents_where(), self.document
            ),
            "feed": lambda s: self.connection(
                s, "FeedEntry", "feed_entries", self._feed_where(), self.feed_entry
            ),
            "messages": lambda s: self.guarded(
                self.messages_rule(),
                self.connection(
                    s, "Message", "messages", "messages.case_id = cases.id", self.message
                ),
            ),
            "unreadMessageCount": lambda s: self.guarded(
                self.messages_rule(),
                "(SELECT count(*) FROM messages WHERE messages.case_id = cases.id "
                "AND messages.read_at IS NULL AND messages.direction = 'from_customer')",
            ),
            "comments": lambda s: self.guarded(
                self.comments_rule(),
                self.connection(
                    s, "Comment", "comments", "comments.case_id = cases.id", self.comment
                ),
            ),
        }
        return self.obj("Case", sel, fields)

    def _documents_where(self) -> str:
        scope = self.scope(Document.__table__, scopes.visible_documents(self.symbolic))
        return f"documents.case_id = cases.id AND ({scope})"

    def _feed_where(self) -> str:
        scope = self.scope(FeedEntry.__table__, scopes.visible_feed(self.symbolic))
        return f"feed_entries.case_id = cases.id AND ({scope})"

    def task(self, sel: Sel) -> str:
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("Task", "tasks.id"),
            "kind": lambda s: sql.enum("tasks.kind"),
            "title": lambda s: "tasks.title",
            "description": lambda s: "tasks.description",
            "status": lambda s: sql.enum("tasks.status"),
            "scheduledStart": lambda s: sql.datetime("tasks.scheduled_start"),
            "scheduledEnd": lambda s: sql.datetime("tasks.scheduled_end"),
            "customerMeetingAt": lambda s: sql.datetime("tasks.customer_meeting_at"),
            "budgetEstimate": lambda s: self.guarded(
                self.task_budget_rule(), sql.money("tasks.budget_estimate")
            ),
            "createdAt": lambda s: sql.datetime("tasks.created_at"),
            "office": lambda s: self.office(s, "tasks.office_id"),
            "responsible": lambda s: self.user(s, "tasks.responsible_id"),
        }
        return self.obj("Task", sel, fields)

    def document(self, sel: Sel) -> str:
        gid = sql.global_id("Document", "documents.id")
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: gid,
            "type": lambda s: sql.enum("documents.type"),
            "title": lambda s: "documents.title",
            "fileName": lambda s: "documents.file_name",
            "contentType": lambda s: "documents.content_type",
            "sizeBytes": lambda s: "documents.size_bytes",
            "sha256": lambda s: "documents.sha256",
            "sharedWithCustomer": lambda s: "documents.shared_with_customer",
            "createdAt": lambda s: sql.datetime("documents.created_at"),
            "downloadUrl": lambda s: f"'/documents/' || {gid}",
            "uploadedBy": lambda s: self.user(s, "documents.uploaded_by_user_id"),
        }
        return self.obj("Document", sel, fields)

    def feed_entry(self, sel: Sel) -> str:
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("FeedEntry", "feed_entries.id"),
            "type": lambda s: sql.enum("feed_entries.type"),
            "createdAt": lambda s: sql.datetime("feed_entries.created_at"),
            "payload": lambda s: self.guarded(self.internal_rule(), "feed_entries.payload"),
            "cursor": lambda s: sql.cursor("feed_entries.id"),
            "actor": lambda s: self.user(s, "feed_entries.actor_user_id"),
        }
        return self.obj("FeedEntry", sel, fields)

    def message(self, sel: Sel) -> str:
        contact = sql.global_id("CaseContact", "messages.author_contact_id")
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("Message", "messages.id"),
            "direction": lambda s: sql.enum("messages.direction"),
            "body": lambda s: "messages.body",
            "createdAt": lambda s: sql.datetime("messages.created_at"),
            "readAt": lambda s: sql.datetime("messages.read_at"),
            "isRead": lambda s: "(messages.read_at IS NOT NULL)",
            "authorUser": lambda s: self.user(s, "messages.author_user_id"),
            "authorContactId": lambda s: (
                f"CASE WHEN messages.author_contact_id IS NULL THEN NULL ELSE {contact} END"
            ),
            "attachments": lambda s: self._attachments(s),
        }
        return self.obj("Message", sel, fields)

    def _attachments(self, sel: Sel) -> str:
        scope = self.scope(Document.__table__, scopes.visible_documents(self.symbolic))
        visible = self.scope(Case.__table__, scopes.visible_cases(self.symbolic))
        where = (
            f"documents.id = ANY(messages.attachment_ids) AND ({scope}) AND documents.case_id IN "
            f"(SELECT cases.id FROM cases WHERE {visible})"
        )
        order = "array_position(messages.attachment_ids, documents.id)"
        return self.list_of(self.document(sel), "documents", where, order)

    def comment(self, sel: Sel) -> str:
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("Comment", "comments.id"),
            "body": lambda s: "comments.body",
            "createdAt": lambda s: sql.datetime("comments.created_at"),
            "author": lambda s: self.user(s, "comments.author_user_id"),
        }
        return self.obj("Comment", sel, fields)

    def user(self, sel: Sel, id_sql: str) -> str:
        internal = self.internal_rule
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("User", "users.id"),
            "name": lambda s: "users.name",
            "kind": lambda s: sql.enum("users.kind"),
            "email": lambda s: self.guarded(internal(), "users.email"),
            "phone": lambda s: self.guarded(internal(), "users.phone"),
            "authorityLevel": lambda s: self.guarded(
                internal(), "CASE WHEN users.kind = 'staff' THEN users.authority_level ELSE 0 END"
            ),
            "externalCaseHandlerEligible": lambda s: self.guarded(
                internal(), "users.external_case_handler_eligible"
            ),
            "budgetApprovalLimit": lambda s: self.guarded(
                internal(), sql.money("users.budget_approval_limit")
            ),
            "company": lambda s: self.company(s, "users.company_id"),
            "office": lambda s: self.office(s, "users.office_id"),
        }
        scope = self.scope(User.__table__, scopes.visible_users(self.symbolic))
        return self.one("User", sel, "users", f"users.id = {id_sql} AND ({scope})", fields)

    def office(self, sel: Sel, id_sql: str) -> str:
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("Office", "offices.id"),
            "name": lambda s: "offices.name",
            "street": lambda s: "offices.street",
            "postalCode": lambda s: "offices.postal_code",
            "city": lambda s: "offices.city",
            "services": lambda s: "to_json(offices.services)",
            "availableForNewTasks": lambda s: "offices.available_for_new_tasks",
            "company": lambda s: self.company(s, "offices.company_id"),
        }
        portal = self.scope(Office.__table__, Office.insurer_id == self.symbolic.insurer_id)
        return self.one("Office", sel, "offices", f"offices.id = {id_sql} AND ({portal})", fields)

    def company(self, sel: Sel, id_sql: str) -> str:
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("Company", "companies.id"),
            "name": lambda s: "companies.name",
            "kind": lambda s: sql.enum("companies.kind"),
            "orgNumber": lambda s: "companies.org_number",
        }
        insurer = self.symbolic.insurer_id
        portal = self.scope(
            Company.__table__, (Company.id == insurer) | (Company.insurer_id == insurer)
        )
        return self.one(
            "Company", sel, "companies", f"companies.id = {id_sql} AND ({portal})", fields
        )

    def contact(self, sel: Sel) -> str:
        internal = self.internal_rule
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("CaseContact", "case_contacts.id"),
            "role": lambda s: sql.enum("case_contacts.role"),
            "name": lambda s: "case_contacts.name",
            "email": lambda s: self.guarded(internal(), "case_contacts.email"),
            "phone": lambda s: self.guarded(internal(), "case_contacts.phone"),
        }
        return self.obj("CaseContact", sel, fields)


def normalize_page(args: dict[str, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    """Connection arguments as (limit, after id, before id) and the plan shape."""
    first, last = args.get("first"), args.get("last")
    page = PageArgs.parse(first, args.get("after"), last, args.get("before"))
    values = [page.limit, page.after_id, page.before_id]
    return values, (page.from_end, page.after_id is not None, page.before_id is not None)

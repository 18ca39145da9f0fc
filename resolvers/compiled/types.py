"""The compiled form of each object type: which SQL answers which field.

Each method returns a json_build_object over the selected fields of one row of its table,
which the enclosing statement names after the table (`cases`, `tasks`, `documents`, …).
"""

from __future__ import annotations

from collections.abc import Callable

from permissions import scopes
from permissions.principal import Role
from resolvers.compiled import sql
from resolvers.compiled.builder import Builder
from resolvers.compiled.selection import Sel
from server.db.models import Case, Company, Document, FeedEntry, Office, User


class TypeCompiler(Builder):
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
            "latitude": lambda s: self.guarded(rules_internal(), "cases.latitude"),
            "longitude": lambda s: self.guarded(rules_internal(), "cases.longitude"),
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
            "customerActivityAt": lambda s: self.guarded(
                self.messages_rule(), sql.datetime("cases.customer_activity_at")
            ),
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
            "description": lambda s: self.guarded(self.task_detail_rule(), "tasks.description"),
            "status": lambda s: sql.enum("tasks.status"),
            "scheduledStart": lambda s: sql.datetime("tasks.scheduled_start"),
            "scheduledEnd": lambda s: sql.datetime("tasks.scheduled_end"),
            "customerMeetingAt": lambda s: sql.datetime("tasks.customer_meeting_at"),
            "budgetEstimate": lambda s: self.guarded(
                self.task_budget_rule(), sql.money("tasks.budget_estimate")
            ),
            "createdAt": lambda s: sql.datetime("tasks.created_at"),
            "office": lambda s: self.office(s, "tasks.office_id"),
            "responsible": lambda s: self.guarded(
                self.task_detail_rule(), self.user(s, "tasks.responsible_id")
            ),
        }
        return self.obj("Task", sel, fields)

    def task_detail_rule(self) -> str:
        """As field_rules.OWN_TASK_DETAIL: partners see the detail of their own offices'
        tasks, and of every task as the case's external case handler."""
        p = self.principal
        if p.role is Role.PARTNER:
            handler = self._handler_of_case()
            if p.office_id is None:
                return handler
            office = f"tasks.office_id = {self.params.ref(sql.Slot('principal', 'office_id'))}"
            return f"({office} OR {handler})"
        if p.role is Role.INTEGRATION and p.partner_integration:
            company = self.params.ref(sql.Slot("principal", "company_id"))
            return (
                f"tasks.office_id IN (SELECT offices.id FROM offices "
                f"WHERE offices.company_id = {company})"
            )
        return "true"

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
            # Customers never take this path; for everyone else details are the payload.
            "details": lambda s: "feed_entries.payload",
            "cursor": lambda s: sql.cursor("feed_entries.id", of_id=True),
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
            "sender": lambda s: self._message_sender(s),
        }
        return self.obj("Message", sel, fields)

    def _message_sender(self, sel: Sel) -> str:
        """As schema.types.work.Message.sender: unscoped, since the message is in reach."""
        user = "(SELECT users.name FROM users WHERE users.id = messages.author_user_id)"
        contact = "(SELECT case_contacts.{} FROM case_contacts WHERE case_contacts.id = " + (
            "messages.author_contact_id)"
        )
        email = f"nullif({contact.format('email')}, '')"
        name = f"coalesce({contact.format('name')}, {user})"
        fields: dict[str, Callable[[Sel], str]] = {
            "isCustomer": lambda s: "(messages.author_contact_id IS NOT NULL)",
            "name": lambda s: name,
            "email": lambda s: email,
            "displayName": lambda s: f"coalesce({email}, {name})",
        }
        return self.obj("MessageSender", sel, fields)

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
            # mentions: edit/delete state (parent, mentions and revisions are resolver-only)
            "editedAt": lambda s: sql.datetime("comments.edited_at"),
            "deletedAt": lambda s: sql.datetime("comments.deleted_at"),
            "isDeleted": lambda s: "(comments.deleted_at IS NOT NULL)",
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
            "latitude": lambda s: "offices.latitude",
            "longitude": lambda s: "offices.longitude",
            "services": lambda s: "to_json(offices.services)",
            "availableForNewTasks": lambda s: "offices.available_for_new_tasks",
            "categories": lambda s: self.guarded(
                "true" if self.principal.acts_as_insurer else "false",  # partners: resolvers
                self._office_categories(s),
            ),
            "company": lambda s: self.company(s, "offices.company_id"),
        }
        portal = self.scope(Office.__table__, Office.insurer_id == self.symbolic.insurer_id)
        return self.one("Office", sel, "offices", f"offices.id = {id_sql} AND ({portal})", fields)

    def _office_categories(self, sel: Sel) -> str:
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("OfficeCategory", "office_categories.id"),
            "name": lambda s: "office_categories.name",
            "description": lambda s: "office_categories.description",
            "createdAt": lambda s: sql.datetime("office_categories.created_at"),
        }
        where = (
            "office_categories.id IN (SELECT office_category_links.category_id FROM "
            "office_category_links WHERE office_category_links.office_id = offices.id)"
        )
        order = "office_categories.name, office_categories.id"
        return self.list_of(
            self.obj("OfficeCategory", sel, fields), "office_categories", where, order
        )

    def company(self, sel: Sel, id_sql: str) -> str:
        fields: dict[str, Callable[[Sel], str]] = {
            "id": lambda s: sql.global_id("Company", "companies.id"),
            "name": lambda s: "companies.name",
            "kind": lambda s: sql.enum("companies.kind"),
            "orgNumber": lambda s: "companies.org_number",
            "logoUrl": lambda s: "companies.logo_url",
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

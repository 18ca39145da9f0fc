"""Per-request dataloaders: one SQL statement per batch, whatever the number of parents.

Each batch borrows its own pooled connection, so loaders that fire in the same tick run
concurrently. Loaders that fetch rows a principal reaches by id apply its row scope.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from permissions import scopes
from permissions.case_types import visible_case_types
from permissions.principal import Principal, Role
from resolvers.pagination import Page, PageArgs, pages_by_parent
from resolvers.services import customer_page, offices
from server.db.casework import (
    CasePriority,
    CaseType,
    CaseTypeField,
    CaseTypeTaskTemplate,
    CaseWorkflowStatus,
    CommentRevision,
)
from server.db.models import (
    Budget,
    Case,
    CaseContact,
    Comment,
    Company,
    Document,
    FeedEntry,
    Message,
    Office,
    Task,
    User,
)

PageKey = tuple[int, PageArgs]


class SharedLoader(DataLoader[Any, Any]):
    """A DataLoader whose callers cannot cancel each other.

    Strawberry hands every caller of a key the same future; when GraphQL execution
    cancels one waiting resolver (a sibling field failed), asyncio would cancel that
    shared future and every other field waiting on it would fail with CancelledError.
    Each caller gets a shield of its own instead.
    """

    def load(self, key: Any) -> Any:
        return asyncio.shield(super().load(key))


class Loaders:
    """All loaders of one request (or one subscription event), created lazily."""

    def __init__(self, engine: AsyncEngine, principal: Principal | None) -> None:
        self.engine = engine
        self.principal = principal
        self._made: dict[str, DataLoader[Any, Any]] = {}

    def _loader(self, name: str, make_batch: Callable[[], Any]) -> DataLoader[Any, Any]:
        """The request's loader called `name`; `make_batch` builds its batch function once."""
        loader = self._made.get(name)
        if loader is None:
            loader = self._made[name] = SharedLoader(load_fn=make_batch())
        return loader

    async def _rows(self, stmt: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    def _portal(self, model: Any) -> ColumnElement[bool]:
        return model.insurer_id == self._who().insurer_id

    # -- by id ---------------------------------------------------------------------

    def _by_id(
        self, name: str, model: Any, scope: Callable[[], ColumnElement[bool]]
    ) -> DataLoader[int, Any]:
        """A loader by primary key within `scope` (built once, when the loader is first used)."""

        def make_batch() -> Any:
            condition = scope()

            async def batch(ids: Sequence[int]) -> list[Any]:
                stmt = select(*model.__table__.c).where(model.id.in_(ids), condition)
                found = {row.id: row for row in await self._rows(stmt)}
                return [found.get(i) for i in ids]

            return batch

        return self._loader(name, make_batch)

    @property
    def case_by_id(self) -> DataLoader[int, Any]:
        return self._by_id("case", Case, lambda: scopes.visible_cases(self._who()))

    @property
    def task_by_id(self) -> DataLoader[int, Any]:
        return self._by_id(
            "task",
            Task,
            lambda: self._in_visible_case(Task) & scopes.visible_tasks(self._who()),
        )

    @property
    def document_by_id(self) -> DataLoader[int, Any]:
        return self._by_id(
            "document",
            Document,
            lambda: self._in_visible_case(Document) & scopes.visible_documents(self._who()),
        )

    def _who(self) -> Principal:
        assert self.principal is not None, "loaders that apply a scope need a principal"
        return self.principal

    def _in_visible_case(self, model: Any) -> ColumnElement[bool]:
        return model.case_id.in_(select(Case.id).where(scopes.visible_cases(self._who())))

    @property
    def feed_entry_by_id(self) -> DataLoader[int, Any]:
        return self._by_id(
            "feed_entry",
            FeedEntry,
            lambda: self._in_visible_case(FeedEntry) & scopes.visible_feed(self._who()),
        )

    @property
    def message_by_id(self) -> DataLoader[int, Any]:
        """Messages in visible cases; the chat rule is checked against the case by the caller."""
        return self._by_id("message", Message, lambda: self._in_visible_case(Message))

    @property
    def page_state_by_case(self) -> DataLoader[int, Any]:
        """The customer-page state (settings, milestones) of cases the caller already has."""

        async def batch(ids: Sequence[int]) -> list[Any]:
            async with self.engine.connect() as conn:
                found = await customer_page.page_states(conn, list(ids))
            return [found.get(i) for i in ids]

        return self._loader("page_state", lambda: batch)

    @property
    def message_sender_by_id(self) -> DataLoader[int, Any]:
        """Who wrote each message, by message id: a row of `user_name`, `contact_name` and
        `contact_email` (the author's side is the non-null one). Not scoped: the caller
        has the message already, and whoever reads a message sees who sent it."""

        async def batch(ids: Sequence[int]) -> list[Any]:
            stmt = (
                select(
                    Message.id,
                    User.name.label("user_name"),
                    CaseContact.name.label("contact_name"),
                    CaseContact.email.label("contact_email"),
                )
                .outerjoin(User, User.id == Message.author_user_id)
                .outerjoin(CaseContact, CaseContact.id == Message.author_contact_id)
                .where(Message.id.in_(ids))
            )
            found = {row.id: row for row in await self._rows(stmt)}
            return [found.get(i) for i in ids]

        return self._loader("message_sender", lambda: batch)

    @property
    def comment_by_id(self) -> DataLoader[int, Any]:
        return self._by_id("comment", Comment, lambda: self._in_visible_case(Comment))

    @property
    def contact_by_id(self) -> DataLoader[int, Any]:
        return self._by_id("contact", CaseContact, lambda: self._in_visible_case(CaseContact))

    @property
    def user_by_id(self) -> DataLoader[int, Any]:
        return self._by_id("user", User, lambda: scopes.visible_users(self._who()))

    @property
    def office_by_id(self) -> DataLoader[int, Any]:
        return self._by_id("office", Office, lambda: self._portal(Office))

    @property
    def company_by_id(self) -> DataLoader[int, Any]:
        insurer_id = self._who().insurer_id
        return self._by_id(
            "company",
            Company,
            lambda: (Company.id == insurer_id) | (Company.insurer_id == insurer_id),
        )

    # -- children of a case ----------------------------------------------------------

    def _children(self, name: str, model: Any, order: Any) -> DataLoader[int, list[Any]]:
        async def batch(case_ids: Sequence[int]) -> list[list[Any]]:
            stmt = select(*model.__table__.c).where(model.case_id.in_(case_ids)).order_by(order)
            grouped: dict[int, list[Any]] = defaultdict(list)
            for row in await self._rows(stmt):
                grouped[row.case_id].append(row)
            return [grouped.get(i, []) for i in case_ids]

        return self._loader(name, lambda: batch)

    @property
    def tasks_by_case(self) -> DataLoader[int, list[Any]]:
        return self._children("tasks", Task, Task.id)

    @property
    def contacts_by_case(self) -> DataLoader[int, list[Any]]:
        return self._children("contacts", CaseContact, CaseContact.id)

    def _pages(
        self, name: str, model: Any, scope: Callable[[], ColumnElement[bool] | None]
    ) -> DataLoader[PageKey, Page]:
        """One page per (case, page arguments), one statement per distinct arguments."""

        async def batch(keys: Sequence[PageKey]) -> list[Page]:
            where = scope()
            by_args: dict[PageArgs, list[int]] = defaultdict(list)
            for case_id, args in keys:
                by_args[args].append(case_id)
            results: dict[PageKey, Page] = {}
            async with self.engine.connect() as conn:
                for args, case_ids in by_args.items():
                    pages = await pages_by_parent(
                        conn,
                        list(model.__table__.c),
                        model.id,
                        model.case_id,
                        case_ids,
                        args,
                        where,
                    )
                    results.update({(case_id, args): page for case_id, page in pages.items()})
            return [results[key] for key in keys]

        return self._loader(name, lambda: batch)

    def _counts(
        self, name: str, model: Any, scope: Callable[[], ColumnElement[bool] | None]
    ) -> DataLoader[int, int]:
        async def batch(case_ids: Sequence[int]) -> list[int]:
            where = scope()
            stmt = select(model.case_id, func.count()).where(model.case_id.in_(case_ids))
            if where is not None:
                stmt = stmt.where(where)
            counts = dict(await self._rows(stmt.group_by(model.case_id)))
            return [counts.get(i, 0) for i in case_ids]

        return self._loader(name, lambda: batch)

    def _document_scope(self) -> ColumnElement[bool]:
        return scopes.visible_documents(self._who())

    def _feed_scope(self) -> ColumnElement[bool]:
        return scopes.visible_feed(self._who())

    @property
    def documents_page(self) -> DataLoader[PageKey, Page]:
        return self._pages("documents", Document, self._document_scope)

    @property
    def documents_count(self) -> DataLoader[int, int]:
        return self._counts("documents#", Document, self._document_scope)

    @property
    def feed_page(self) -> DataLoader[PageKey, Page]:
        return self._pages("feed", FeedEntry, self._feed_scope)

    @property
    def feed_count(self) -> DataLoader[int, int]:
        return self._counts("feed#", FeedEntry, self._feed_scope)

    @property
    def messages_page(self) -> DataLoader[PageKey, Page]:
        return self._pages("messages", Message, lambda: None)

    @property
    def messages_count(self) -> DataLoader[int, int]:
        return self._counts("messages#", Message, lambda: None)

    @property
    def unread_messages_count(self) -> DataLoader[int, int]:
        """Messages the viewer's side has not read: a customer counts those sent to them,
        everyone else the customer's."""

        def unread() -> ColumnElement[bool]:
            from_customer = self._who().role is not Role.CUSTOMER
            incoming = "from_customer" if from_customer else "to_customer"
            return Message.read_at.is_(None) & (Message.direction == incoming)

        return self._counts("unread#", Message, unread)

    @property
    def comments_page(self) -> DataLoader[PageKey, Page]:
        return self._pages("comments", Comment, lambda: None)

    @property
    def comments_count(self) -> DataLoader[int, int]:
        return self._counts("comments#", Comment, lambda: None)

    # --- mentions: comment history ---

    @property
    def revisions_by_comment(self) -> DataLoader[int, list[Any]]:
        """Earlier bodies of each comment, oldest first (the caller has the comment)."""

        async def batch(comment_ids: Sequence[int]) -> list[list[Any]]:
            stmt = (
                select(*CommentRevision.__table__.c)
                .where(CommentRevision.comment_id.in_(comment_ids))
                .order_by(CommentRevision.id)
            )
            grouped: dict[int, list[Any]] = defaultdict(list)
            for row in await self._rows(stmt):
                grouped[row.comment_id].append(row)
            return [grouped.get(i, []) for i in comment_ids]

        return self._loader("revisions_by_comment", lambda: batch)

    # -- offices -----------------------------------------------------------------------

    def _with_connection(self, name: str, batch: Callable[[Any, Sequence[int]], Any]) -> Any:
        async def run(keys: Sequence[int]) -> Any:
            async with self.engine.connect() as conn:
                return await batch(conn, keys)

        return self._loader(name, lambda: run)

    @property
    def office_categories_by_office(self) -> DataLoader[int, list[Any]]:
        """Each office's categories, by name (the caller checks who may see them)."""
        return self._with_connection("office_categories", offices.categories_by_office)

    @property
    def handles_open_case(self) -> DataLoader[int, bool]:
        """Whether a user is the external case handler of an open case."""
        return self._with_connection("handles_open_case", offices.users_handling_open_cases)

    # -- budgets -----------------------------------------------------------------------

    @property
    def budget_by_id(self) -> DataLoader[int, Any]:
        return self._by_id("budget", Budget, lambda: scopes.visible_budgets(self._who()))

    def _budgets_by(self, name: str, column: Any) -> DataLoader[int, list[Any]]:
        """The budgets the principal sees, grouped by `column` (task or case id), oldest first."""

        def make_batch() -> Any:
            condition = scopes.visible_budgets(self._who())

            async def batch(keys: Sequence[int]) -> list[list[Any]]:
                stmt = select(*Budget.__table__.c).where(column.in_(keys), condition)
                grouped: dict[int, list[Any]] = defaultdict(list)
                for row in await self._rows(stmt.order_by(Budget.id)):
                    grouped[getattr(row, column.key)].append(row)
                return [grouped.get(key, []) for key in keys]

            return batch

        return self._loader(name, make_batch)

    @property
    def budgets_by_task(self) -> DataLoader[int, list[Any]]:
        return self._budgets_by("budgets_by_task", Budget.task_id)

    @property
    def budgets_by_case(self) -> DataLoader[int, list[Any]]:
        return self._budgets_by("budgets_by_case", Budget.case_id)

    # --- casetypes ---------------------------------------------------------------------

    @property
    def case_type_by_id(self) -> DataLoader[int, Any]:
        return self._by_id("case_type", CaseType, lambda: visible_case_types(self._who()))

    def _of_case_type(self, name: str, model: Any) -> DataLoader[int, list[Any]]:
        """Definitions of case types the caller already has, in their order (unscoped: the
        type was loaded through its scope; customers' resolvers filter hidden fields)."""

        async def batch(type_ids: Sequence[int]) -> list[list[Any]]:
            stmt = (
                select(*model.__table__.c)
                .where(model.case_type_id.in_(type_ids))
                .order_by(model.position, model.id)
            )
            grouped: dict[int, list[Any]] = defaultdict(list)
            for row in await self._rows(stmt):
                grouped[row.case_type_id].append(row)
            return [grouped.get(i, []) for i in type_ids]

        return self._loader(name, lambda: batch)

    @property
    def case_type_fields_by_type(self) -> DataLoader[int, list[Any]]:
        return self._of_case_type("case_type_fields", CaseTypeField)

    @property
    def case_type_templates_by_type(self) -> DataLoader[int, list[Any]]:
        return self._of_case_type("case_type_templates", CaseTypeTaskTemplate)

    # --- sla: the portal's workflow statuses and priorities --------------------------

    @property
    def workflow_status_by_id(self) -> DataLoader[int, Any]:
        """Configuration of the portal: what a reader may see of it is the field's rule."""
        return self._by_id(
            "workflow_status", CaseWorkflowStatus, lambda: self._portal(CaseWorkflowStatus)
        )

    @property
    def priority_by_id(self) -> DataLoader[int, Any]:
        return self._by_id("priority", CasePriority, lambda: self._portal(CasePriority))

"""Tasks, documents, feed entries, messages and comments: what happens on a case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from permissions.comment_rules import COMMENT_HISTORY
from permissions.customer_page import customer_details
from permissions.field_rules import NOT_FOR_CUSTOMERS, OWN_TASK_DETAIL, TASK_BUDGET
from permissions.fields import guarded
from permissions.principal import Role
from resolvers.pagination import encode_cursor
from resolvers.services.mentions import parse_mention_ids
from schema.enums import DocumentType, FeedEventType, MessageDirection, TaskKind, TaskStatus
from schema.node import Node, encode_global_id
from schema.types.comment_revision import CommentRevision
from schema.types.loading import load_one
from schema.types.people import Office, User

if TYPE_CHECKING:
    from schema.types.budget import Budget


@strawberry.type(
    description="Work on a case, done by an office and a person responsible in it. A partner "
    "user sees the tasks of their own office in full; of other offices' tasks on the same "
    "case only what coordinating the work needs (kind, title, status, schedule, customer "
    "meeting time, office): `description`, `responsible` and `budgetEstimate` are FORBIDDEN "
    "there, and their documents are not listed. The case's external case handler sees "
    "every task in full."
)
class Task(Node):
    row: strawberry.Private[Any]
    kind: TaskKind = strawberry.field(description="Main inspection, project management or repair.")
    title: str = strawberry.field(description="Trade or title, e.g. 'Drying' or 'Carpentry'.")
    description: str | None = guarded(OWN_TASK_DETAIL, "What is to be done.")
    status: TaskStatus = strawberry.field(description="Where the task is in its lifecycle.")
    scheduled_start: dt.datetime | None = strawberry.field(description="Planned start.")
    scheduled_end: dt.datetime | None = strawberry.field(description="Planned end.")
    customer_meeting_at: dt.datetime | None = strawberry.field(
        description="Agreed meeting time with the customer."
    )
    budget_estimate: Decimal | None = guarded(TASK_BUDGET, "Estimated cost of the task.")
    created_at: dt.datetime = strawberry.field(description="When the task was added.")

    @classmethod
    def from_row(cls, row: Any) -> Task:
        return cls(
            row=row,
            id=encode_global_id("Task", row.id),
            kind=row.kind,
            title=row.title,
            description=row.description,
            status=row.status,
            scheduled_start=row.scheduled_start,
            scheduled_end=row.scheduled_end,
            customer_meeting_at=row.customer_meeting_at,
            budget_estimate=row.budget_estimate,
            created_at=row.created_at,
        )

    @strawberry.field(description="The office the task is assigned to.")
    async def office(self, info: strawberry.Info) -> Office | None:
        return await load_one(info, "office_by_id", self.row.office_id, Office)

    @guarded(OWN_TASK_DETAIL, "The person responsible, named by the office.")
    async def responsible(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.responsible_id, User)

    @guarded(
        TASK_BUDGET,
        "The task's budgets, oldest first: what was submitted and how each was decided.",
    )
    async def budgets(
        self, info: strawberry.Info
    ) -> list[Annotated[Budget, strawberry.lazy("schema.types.budget")]]:
        from schema.types.budget import budgets_of  # noqa: PLC0415 - budget.py imports this module

        return await budgets_of(info, "budgets_by_task", self.row.id)


@strawberry.type(description="A file on a case. Download it from `downloadUrl` with your token.")
class Document(Node):
    row: strawberry.Private[Any]
    type: DocumentType = strawberry.field(description="Kind of document.")
    title: str = strawberry.field(description="Title shown in lists.")
    file_name: str = strawberry.field(description="Original file name.")
    content_type: str = strawberry.field(description="MIME type.")
    size_bytes: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the content, hex.")
    shared_with_customer: bool = strawberry.field(description="Visible on the customer page.")
    created_at: dt.datetime = strawberry.field(description="When it was uploaded.")

    @classmethod
    def from_row(cls, row: Any) -> Document:
        return cls(
            row=row,
            id=encode_global_id("Document", row.id),
            type=row.type,
            title=row.title,
            file_name=row.file_name,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            shared_with_customer=row.shared_with_customer,
            created_at=row.created_at,
        )

    @strawberry.field(description="Authorized HTTP download path (send the same bearer token).")
    def download_url(self) -> str:
        return f"/documents/{self.id}"

    @strawberry.field(description="The staff or partner user who uploaded it, if not a customer.")
    async def uploaded_by(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.uploaded_by_user_id, User)


@strawberry.type(description="One event on a case's news feed: what happened, who, when.")
class FeedEntry(Node):
    row: strawberry.Private[Any]
    type: FeedEventType = strawberry.field(description="What happened.")
    created_at: dt.datetime = strawberry.field(description="When it happened.")
    payload: JSON = guarded(
        NOT_FOR_CUSTOMERS,
        "Event details (ids, names, reasons, decisions) as JSON; keys depend on `type`.",
    )

    @classmethod
    def from_row(cls, row: Any) -> FeedEntry:
        return cls(
            row=row,
            id=encode_global_id("FeedEntry", row.id),
            type=row.type,
            created_at=row.created_at,
            payload=row.payload,
        )

    @strawberry.field(description="Cursor of this entry, for `after:` in feed subscriptions.")
    def cursor(self) -> str:
        return encode_cursor(str(self.row.id))

    @strawberry.field(
        description="The event's details as the viewer may read them: for staff, partners "
        "and API keys the whole `payload`; for customers only what the customer page shows "
        "(never a decision's outcome, closing comments or a reopening reason)."
    )
    def details(self, info: strawberry.Info) -> JSON:
        if info.context.require_principal().role is Role.CUSTOMER:
            return customer_details(FeedEventType(self.row.type), self.row.payload)
        return self.row.payload  # type: ignore[no-any-return]

    @strawberry.field(description="The user who caused the event, if a staff or partner user.")
    async def actor(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.actor_user_id, User)


@strawberry.type(
    description="Who sent a chat message, as the chat shows them: a staff or partner user "
    "by name, a customer by email."
)
class MessageSender:
    is_customer: bool = strawberry.field(description="True when a customer contact wrote it.")
    name: str = strawberry.field(description="The user's or the customer contact's name.")
    email: str | None = strawberry.field(
        description="The customer contact's email; null for staff and partner users, whom "
        "the chat shows by name."
    )

    @strawberry.field(
        description="What the chat shows as the sender: a customer's email (their name when "
        "no email is on file), a staff or partner user's name."
    )
    def display_name(self) -> str:
        return self.email or self.name


@strawberry.type(description="A message of the customer chat on a case.")
class Message(Node):
    row: strawberry.Private[Any]
    direction: MessageDirection = strawberry.field(description="To or from the customer.")
    body: str = strawberry.field(description="The text.")
    created_at: dt.datetime = strawberry.field(description="When it was sent.")
    read_at: dt.datetime | None = strawberry.field(
        description="When the side it was sent to read it: the insurer's side for messages "
        "from the customer, the customer for messages to them; null while unread."
    )

    @classmethod
    def from_row(cls, row: Any) -> Message:
        return cls(
            row=row,
            id=encode_global_id("Message", row.id),
            direction=row.direction,
            body=row.body,
            created_at=row.created_at,
            read_at=row.read_at,
        )

    @strawberry.field(description="Cursor of this message, for `after:` in `caseMessages`.")
    def cursor(self) -> str:
        return encode_cursor(str(self.row.id))

    @strawberry.field(description="Whether the side it was sent to has read it (see `readAt`).")
    def is_read(self) -> bool:
        return self.row.read_at is not None

    @strawberry.field(description="Who sent it: name for staff and partners, email for customers.")
    async def sender(self, info: strawberry.Info) -> MessageSender:
        row = await info.context.loaders.message_sender_by_id.load(self.row.id)
        if self.row.author_contact_id is not None:
            email = row.contact_email or None
            return MessageSender(is_customer=True, name=row.contact_name, email=email)
        return MessageSender(is_customer=False, name=row.user_name, email=None)

    @strawberry.field(description="Staff or partner author; null when the customer wrote it.")
    async def author_user(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.author_user_id, User)

    @strawberry.field(description="The customer contact who wrote it, if a customer did.")
    def author_contact_id(self) -> strawberry.ID | None:
        if self.row.author_contact_id is None:
            return None
        return encode_global_id("CaseContact", self.row.author_contact_id)

    @strawberry.field(description="Documents attached to the message, as the viewer sees them.")
    async def attachments(self, info: strawberry.Info) -> list[Document]:
        rows = await info.context.loaders.document_by_id.load_many(list(self.row.attachment_ids))
        return [Document.from_row(row) for row in rows if row is not None]


@strawberry.type(
    description="An internal comment on a case: staff and partners only, never customers "
    "(replies too). Mentions use `@[Name](user:<User id>)` (see `commentAdd`). A deleted "
    "comment stays in lists as a tombstone so replies keep their parent: `isDeleted` true, "
    '`body` "" and no `mentions`; what it said is in `revisions` (staff and the author).'
)
class Comment(Node):
    row: strawberry.Private[Any]
    body: str = strawberry.field(description="The text.")
    created_at: dt.datetime = strawberry.field(description="When it was written.")

    @classmethod
    def from_row(cls, row: Any) -> Comment:
        return cls(
            row=row,
            id=encode_global_id("Comment", row.id),
            body=row.body,
            created_at=row.created_at,
        )

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.author_user_id, User)

    # --- mentions ---
    @strawberry.field(description="When the author last edited it; null if never.")
    def edited_at(self) -> dt.datetime | None:
        return self.row.edited_at

    @strawberry.field(description="When the author deleted it; null while it stands.")
    def deleted_at(self) -> dt.datetime | None:
        return self.row.deleted_at

    @strawberry.field(description='Deleted by its author: `body` is "" and `mentions` empty.')
    def is_deleted(self) -> bool:
        return self.row.deleted_at is not None

    @strawberry.field(description="The comment this one replies to; null for a top-level one.")
    async def parent(self, info: strawberry.Info) -> Comment | None:
        return await load_one(info, "comment_by_id", self.row.parent_id, Comment)

    @strawberry.field(
        description="The people mentioned in the body, in order of first mention, each once "
        "(people you cannot see are left out); empty once deleted."
    )
    async def mentions(self, info: strawberry.Info) -> list[User]:
        if self.row.deleted_at is not None:
            return []
        ids = parse_mention_ids(self.row.body)
        rows = await info.context.loaders.user_by_id.load_many(ids)
        return [User.from_row(row) for row in rows if row is not None]

    @guarded(COMMENT_HISTORY, "Earlier bodies, oldest first: one per edit, and the last one "
             "before deletion.")  # fmt: skip
    async def revisions(self, info: strawberry.Info) -> list[CommentRevision]:
        rows = await info.context.loaders.revisions_by_comment.load(self.row.id)
        return [CommentRevision.from_row(row) for row in rows]

"""Mutation payloads. Objects are read back through the loaders after the commit, with
the same scopes as any query; `errors` is empty on success."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.mutations.runner import Outcome, UserError
from schema.types.case import Case
from schema.types.loading import load_one
from schema.types.work import Comment, Document, Message, Task

ERRORS_HELP = "Why nothing was changed; empty on success."


@strawberry.type(description="Result of a mutation on a case.")
class CasePayload:
    case_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The case after the change; null if it failed.")
    async def case(self, info: strawberry.Info) -> Case | None:
        return await load_one(info, "case_by_id", self.case_id, Case)

    @classmethod
    def of(cls, outcome: Outcome[Any]) -> CasePayload:
        return cls(case_id=outcome.value.id if outcome.value else None, errors=outcome.errors)


@strawberry.type(description="Result of a mutation on a task.")
class TaskPayload:
    task_id: strawberry.Private[int | None]
    case_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The task after the change; null if it failed or was removed.")
    async def task(self, info: strawberry.Info) -> Task | None:
        return await load_one(info, "task_by_id", self.task_id, Task)

    @strawberry.field(description="The task's case after the change.")
    async def case(self, info: strawberry.Info) -> Case | None:
        return await load_one(info, "case_by_id", self.case_id, Case)

    @classmethod
    def of(cls, outcome: Outcome[Any]) -> TaskPayload:
        value = outcome.value
        return cls(
            task_id=value.id if value else None,
            case_id=value.case_id if value else None,
            errors=outcome.errors,
        )


@strawberry.type(description="Result of uploading a document.")
class DocumentPayload:
    document_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The new document; null if it failed.")
    async def document(self, info: strawberry.Info) -> Document | None:
        return await load_one(info, "document_by_id", self.document_id, Document)


@strawberry.type(description="Result of sharing or unsharing documents.")
class DocumentsPayload:
    document_ids: strawberry.Private[list[int]]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The documents whose sharing changed.")
    async def documents(self, info: strawberry.Info) -> list[Document]:
        rows = await info.context.loaders.document_by_id.load_many(self.document_ids)
        return [Document.from_row(row) for row in rows if row is not None]


@strawberry.type(description="Result of sending a chat message.")
class MessagePayload:
    message_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The message sent; null if it failed.")
    async def message(self, info: strawberry.Info) -> Message | None:
        return await load_one(info, "message_by_id", self.message_id, Message)


@strawberry.type(description="Result of adding an internal comment.")
class CommentPayload:
    comment_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The comment; null if it failed.")
    async def comment(self, info: strawberry.Info) -> Comment | None:
        return await load_one(info, "comment_by_id", self.comment_id, Comment)


@strawberry.type(description="Result of marking a case's messages read for your side.")
class MarkReadPayload:
    case_id: strawberry.Private[int | None]
    marked: int = strawberry.field(description="How many messages changed from unread to read.")
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The case.")
    async def case(self, info: strawberry.Info) -> Case | None:
        return await load_one(info, "case_by_id", self.case_id, Case)

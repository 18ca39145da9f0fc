"""Mutations on documents: upload (GraphQL multipart request spec) and sharing."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from permissions.principal import Role
from resolvers.services import documents
from resolvers.services.communication import ensure_customer_can_send
from schema.enums import DocumentType
from schema.mutations.payloads import DocumentPayload, DocumentsPayload
from schema.mutations.runner import Outcome, run_mutation
from schema.node import decode_typed_id
from server.storage.files import StoredFile


@strawberry.input(description="A file for a case, sent as a GraphQL multipart request.")
class DocumentUploadInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    file: Upload = strawberry.field(description="The file; at most 30 MB unless configured.")
    type: DocumentType = strawberry.field(
        default=DocumentType.OTHER, description="Kind; customers' uploads are CUSTOMER_UPLOAD."
    )
    title: str | None = strawberry.field(default=None, description="Title; the file name if unset.")
    task_id: strawberry.ID | None = strawberry.field(
        default=None, description="The task the document belongs to, if any."
    )


@strawberry.input(description="Documents to share with (or hide from) the customer.")
class DocumentShareInput:
    document_ids: list[strawberry.ID] = strawberry.field(description="1–100 documents.")
    shared: bool = strawberry.field(default=True, description="True shares, false revokes sharing.")


async def document_upload(info: strawberry.Info, input: DocumentUploadInput) -> DocumentPayload:
    stored: StoredFile | None = None

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        nonlocal stored
        case_id = decode_typed_id(input.case_id, "Case", "caseId")
        task_id = decode_typed_id(input.task_id, "Task", "taskId") if input.task_id else None
        if actor.role is Role.CUSTOMER:  # refused before 30 MB are read, not after
            ensure_customer_can_send(actor)
        # Streamed before the first SQL statement, so no connection is held meanwhile.
        storage, limit = info.context.storage, info.context.settings.max_upload_bytes
        stored = await documents.store_upload(storage, input.file, limit=limit)
        return await documents.create_document(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=case_id,
            stored=stored,
            file_name=getattr(input.file, "filename", None),
            content_type=getattr(input.file, "content_type", None),
            title=input.title,
            type=input.type,
            task_id=task_id,
        )

    outcome: Outcome[Any] | None = None
    try:
        outcome = await run_mutation(info, work)
    finally:
        if stored is not None and (outcome is None or outcome.errors):
            info.context.storage.delete(stored.key)  # the transaction did not commit
    return DocumentPayload(
        document_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )


async def document_share(info: strawberry.Info, input: DocumentShareInput) -> DocumentsPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        ids = [decode_typed_id(i, "Document", "documentIds") for i in input.document_ids]
        return await documents.set_shared(
            session=session, outbox=outbox, actor=actor, document_ids=ids, shared=input.shared
        )

    outcome = await run_mutation(info, work)
    return DocumentsPayload(document_ids=[d.id for d in outcome.value or []], errors=outcome.errors)

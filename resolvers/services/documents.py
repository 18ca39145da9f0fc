"""Documents: upload (streamed to storage, 30 MB by default), share with the customer."""

from __future__ import annotations

import mimetypes
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal, Role
from permissions.rights import Right
from resolvers.services import feed, milestones
from resolvers.services.cases import MANAGE
from resolvers.services.common import (
    case_for_update,
    document_for_update,
    ensure_not_closed,
    require,
    text,
)
from resolvers.services.communication import ensure_customer_can_send
from resolvers.services.customer_activity import CustomerActivity, record_customer_activity
from resolvers.services.outbox import Outbox
from server.db.enums import DocumentType, FeedEventType
from server.db.models import Case, Document, Task
from server.errors import AppError, ErrorCode, bad_input, not_found
from server.storage.files import LocalFileStorage, StoredFile, TooLarge

MEGABYTE = 1024 * 1024


async def store_upload(storage: LocalFileStorage, upload: Any, *, limit: int) -> StoredFile:
    """Stream the upload to storage, stopping at the limit. Runs before the transaction;
    the caller deletes the file if the transaction does not commit."""
    try:
        stored = await storage.save(upload, limit)
    except TooLarge as exc:
        raise AppError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"The file is larger than the {limit // MEGABYTE} MB limit.",
            field="file",
            maxBytes=limit,
        ) from exc
    if stored.size == 0:
        storage.delete(stored.key)
        raise bad_input("The file is empty.", "file")
    return stored


async def create_document(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    stored: StoredFile,
    file_name: str | None,
    content_type: str | None,
    title: str | None,
    type: DocumentType,
    task_id: int | None,
) -> Document:
    case = await case_for_update(session, actor, case_id)
    require(rules.can_upload_document(actor), "This API key may not upload documents.")
    if actor.role is Role.CUSTOMER:
        # Customers upload through the communication page, so its direction decides.
        ensure_customer_can_send(actor)
    ensure_not_closed(case)
    name = text(file_name, "file", max_length=255) or "upload"
    if actor.role is Role.CUSTOMER:
        type = DocumentType.CUSTOMER_UPLOAD
    elif type is DocumentType.CUSTOMER_UPLOAD:
        raise bad_input("CUSTOMER_UPLOAD is for documents customers upload.", "type")
    if task_id is not None:
        task = await session.get(Task, task_id)
        if task is None or task.case_id != case.id:
            raise not_found("task")
        if actor.role is Role.PARTNER and task.office_id != actor.office_id:
            require(rules.is_external_case_handler(actor, case), "Not your office's task.")
    guessed = mimetypes.guess_type(name)[0]
    document = Document(
        insurer_id=case.insurer_id,
        case_id=case.id,
        task_id=task_id,
        type=type,
        title=text(title, "title", max_length=200, required=False) or name,
        file_name=name,
        content_type=(content_type or guessed or "application/octet-stream")[:120],
        size_bytes=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        uploaded_by_user_id=actor.user_id,
        uploaded_by_contact_id=actor.contact_id,
        # What a customer uploads is theirs to see.
        shared_with_customer=actor.role is Role.CUSTOMER,
    )
    session.add(document)
    await session.flush()
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=FeedEventType.DOCUMENT_UPLOADED,
        payload={"documentId": document.id, "title": document.title, "type": type.value},
    )
    if actor.role is Role.CUSTOMER:
        await record_customer_activity(session, case=case, activity=CustomerActivity.UPLOAD)
    if type in (DocumentType.INSPECTION_REPORT, DocumentType.CUSTOMER_SETTLEMENT_REPORT):
        await milestones.on_case_progress(session=session, outbox=outbox, actor=actor, case=case)
    return document


async def _lock_cases_in_order(session: AsyncSession, actor: Principal, ids: list[int]) -> None:
    """Lock the documents' cases by ascending id before touching any: two calls naming the
    same cases in opposite orders then queue instead of deadlocking."""
    cases = select(Document.case_id).where(
        Document.id.in_(ids), Document.insurer_id == actor.insurer_id
    )
    stmt = select(Case.id).where(Case.id.in_(cases)).order_by(Case.id).with_for_update()
    await session.execute(stmt)


async def set_shared(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    document_ids: list[int],
    shared: bool,
) -> list[Document]:
    """Share or unshare documents with the customer; each change is one feed entry.

    All or nothing: one document that cannot change (not found, not yours to manage, a
    customer's own upload to unshare) fails the whole call. Documents already in the
    wanted state are left alone, without a feed entry."""
    if not document_ids:
        raise bad_input("Give at least one document.", "documentIds")
    if len(document_ids) > 100:
        raise bad_input("At most 100 documents at a time.", "documentIds")
    require(actor.role is not Role.CUSTOMER, "Customers cannot change document sharing.")
    ids = list(dict.fromkeys(document_ids))
    await _lock_cases_in_order(session, actor, ids)
    changed: list[Document] = []
    for document_id in ids:
        document, case = await document_for_update(session, actor, document_id)
        require(
            rules.can_contact_customer(actor, case),
            rules.refusal(actor, case, Right.CUSTOMER_CONTACT, MANAGE),
        )
        if not shared and document.uploaded_by_contact_id is not None:
            raise bad_input(
                f"'{document.title}' was uploaded by the customer and stays shared with them.",
                "documentIds",
            )
        if document.shared_with_customer == shared:
            continue
        document.shared_with_customer = shared
        document.sharing_set_by_person = True
        event = FeedEventType.DOCUMENT_SHARED if shared else FeedEventType.DOCUMENT_SHARING_REVOKED
        await feed.record(
            session,
            outbox,
            actor=actor,
            case=case,
            type=event,
            payload={"documentId": document.id, "title": document.title},
        )
        changed.append(document)
    return changed

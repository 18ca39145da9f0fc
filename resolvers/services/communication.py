"""Customer chat, internal comments and read state.

Who may write follows the customer page's communication direction: the customer writes
only when the page shows communication and the direction allows messages from them; the
insurer's side (staff, API keys, the external case handler) writes unless the direction
is "only from the customer". Read state is per side: a message's `read_at` is when the
side it was sent to read it.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules, scopes
from permissions.customer_page import ChatDirection
from permissions.principal import Principal, Role
from permissions.rights import Right
from resolvers.services import comments, customer_notices, feed, sla
from resolvers.services.common import case_for_update, ensure_not_closed, require, text
from resolvers.services.customer_activity import (
    CustomerActivity,
    clear_customer_activity,
    record_customer_activity,
)
from resolvers.services.customer_page import page_state
from resolvers.services.outbox import Outbox
from server.db.enums import FeedEventType, MessageDirection
from server.db.models import Case, Comment, Document, Message
from server.errors import bad_input

MAX_BODY = 10_000
MAX_ATTACHMENTS = 10


async def send_message(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    body: str,
    attachment_ids: list[int],
) -> Message:
    """A customer writes to the insurer; staff or the external case handler to the customer."""
    case = await case_for_update(session, actor, case_id)
    require(
        rules.can_send_message(actor, case),
        rules.refusal(
            actor, case, Right.CUSTOMER_CONTACT, "You cannot use the customer chat of this case."
        ),
    )
    await ensure_direction_allows(session, actor, case)
    ensure_not_closed(case)
    body_text = text(body, "body", max_length=MAX_BODY)
    attachments = await _attachments(session, actor, case.id, attachment_ids)
    from_customer = actor.role is Role.CUSTOMER
    message = Message(
        insurer_id=case.insurer_id,
        case_id=case.id,
        direction=MessageDirection.FROM_CUSTOMER if from_customer else MessageDirection.TO_CUSTOMER,
        author_user_id=actor.user_id,
        author_contact_id=actor.contact_id,
        body=body_text,
        attachment_ids=attachments,
    )
    if actor.role is Role.INTEGRATION:
        # An insurer system writes on behalf of the case handler.
        message.author_user_id = case.case_handler_id
        if message.author_user_id is None:
            raise bad_input("The case has no case handler to send as.", "caseId")
    session.add(message)
    await session.flush()
    event = (
        FeedEventType.MESSAGE_FROM_CUSTOMER
        if from_customer
        else FeedEventType.COMMUNICATION_TO_CUSTOMER
    )
    await feed.record(
        session,
        outbox,
        actor=actor,
        case=case,
        type=event,
        payload={"messageId": message.id},
    )
    if from_customer:
        await record_customer_activity(session, case=case, activity=CustomerActivity.MESSAGE)
    else:
        await sla.on_message_to_customer(session=session, outbox=outbox, case=case)
        # texts: an email to the customer side, once the insurer has written its text
        await customer_notices.message_to_customer(session, case=case)
    outbox.case_event(message.case_id, "messages", message.id)
    return message


async def ensure_direction_allows(session: AsyncSession, actor: Principal, case: Case) -> None:
    """FORBIDDEN, naming the setting, when the customer page's communication settings do
    not let `actor`'s side write on this case. Customer uploads follow the same rule."""
    if actor.role is Role.CUSTOMER:
        ensure_customer_can_send(actor)
        return
    view = (await page_state(session, case.id)).view()
    require(
        view.staff_can_send,
        "The customer page's communicationDirection is ONLY_FROM_CUSTOMER on this case: "
        "only the customer writes in its chat.",
    )


def ensure_customer_can_send(actor: Principal) -> None:
    """The customer writes and uploads only on a shown communication page whose direction
    allows messages from them."""
    view = actor.view
    require(
        view.communication,
        "The customer page does not show communication yet (showCommunication), so you "
        "cannot send messages or files.",
    )
    require(
        view.direction is not ChatDirection.ONLY_TO_CUSTOMER,
        "The customer page's communicationDirection is ONLY_TO_CUSTOMER: you can read "
        "messages but not send messages or files.",
    )


async def _attachments(
    session: AsyncSession, actor: Principal, case_id: int, ids: list[int]
) -> list[int]:
    if len(ids) > MAX_ATTACHMENTS:
        raise bad_input(f"At most {MAX_ATTACHMENTS} attachments per message.", "attachmentIds")
    if not ids:
        return []
    # Both sides of the chat see every attachment: it must be shared with the customer.
    stmt = select(Document.id, Document.shared_with_customer).where(
        Document.id.in_(ids), Document.case_id == case_id, scopes.visible_documents(actor)
    )
    found = dict((await session.execute(stmt)).all())
    if any(i not in found for i in ids):
        raise bad_input("Attachments must be documents of this case you can see.", "attachmentIds")
    if not all(found.values()):
        raise bad_input(
            "Share the documents with the customer before attaching them.", "attachmentIds"
        )
    return list(dict.fromkeys(ids))


async def add_comment(
    *,
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case_id: int,
    body: str,
    parent_id: int | None = None,
) -> Comment:
    """An internal comment or reply, with its mentions (resolvers.services.comments)."""
    return await comments.add_comment(
        session=session,
        outbox=outbox,
        actor=actor,
        case_id=case_id,
        body=body,
        parent_id=parent_id,
    )


async def mark_messages_read(*, session: AsyncSession, actor: Principal, case_id: int) -> int:
    """Mark all messages as read, for the actor's side; returns how many changed.

    The insurer's side (staff, the external case handler, insurer API keys) marks the
    customer's messages read, which also takes the case off the dashboard; a customer
    marks the messages sent to them read. Reading is not an event on the case, so no feed
    entry is written.
    """
    case = await case_for_update(session, actor, case_id)
    require(rules.can_read_messages(actor, case), "You cannot read the customer chat of this case.")
    if actor.role is Role.CUSTOMER:
        incoming = MessageDirection.TO_CUSTOMER
    else:
        incoming = MessageDirection.FROM_CUSTOMER
        clear_customer_activity(case)
    stmt = (
        update(Message)
        .where(
            Message.case_id == case.id,
            Message.direction == incoming,
            Message.read_at.is_(None),
        )
        .values(read_at=func.now(), read_by_user_id=actor.user_id)
    )
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

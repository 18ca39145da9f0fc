"""The wording of the emails and SMS the server sends: built in (`text_catalog`), or the
insurer's own per kind and channel (`notification_texts` rows, set by company admins).

`send` is the one way a service queues a notification: it picks the insurer's text or the
built-in one, fills the placeholders and calls `notifications.enqueue`. Links and codes
are placeholders like any other value, so a text without them cannot be saved for the
kinds that deliver them, and the dispatcher still removes them from the body after
delivery (SECRET_KINDS) whoever wrote the wording.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal
from resolvers.services import event_log, notifications, placeholders
from resolvers.services.common import require, text
from resolvers.services.notifications import Channel
from resolvers.services.text_catalog import KINDS, TextKind, Wording
from server.db.casework import NotificationText
from server.db.enums import ContactRole
from server.db.models import Case, CaseContact, Company, Notification, User
from server.errors import bad_input

ADMIN_ONLY = "Only company admins (authority level 6) change notification texts."
MAX_SUBJECT = 200
MAX_BODY = 5_000
# Values that need a query of their own; filled only when a text uses them.
_PEOPLE = frozenset({"customer_name", "case_handler"})


async def case_values(
    session: AsyncSession, case: Case, wanted: set[str] | frozenset[str] = _PEOPLE
) -> dict[str, str]:
    """What the case placeholders stand for. Missing values are sensible text, never
    "None": no claim number is empty, no case handler is the insurer's name."""
    insurer = await session.get(Company, case.insurer_id)
    insurer_name = insurer.name if insurer else ""
    values = {
        "case_number": case.number,
        "claim_number": case.claim_number or "",
        "address": ", ".join(part for part in (case.street, case.city) if part),
        "insurer_name": insurer_name,
    }
    if "customer_name" in wanted:
        stmt = (
            select(CaseContact.name)
            .where(CaseContact.case_id == case.id, CaseContact.role == ContactRole.POLICYHOLDER)
            .order_by(CaseContact.id)
            .limit(1)
        )
        values["customer_name"] = (await session.execute(stmt)).scalar_one_or_none() or ""
    if "case_handler" in wanted:
        handler = await session.get(User, case.case_handler_id) if case.case_handler_id else None
        values["case_handler"] = handler.name if handler is not None else insurer_name
    return values


async def wording(
    session: AsyncSession, *, insurer_id: int, kind: str, channel: Channel
) -> Wording | None:
    """The insurer's text for (kind, channel), else the built-in one; None when the kind
    is sent only with the insurer's own text and there is none."""
    entry = KINDS[kind]  # a KeyError here is a bug: every sent kind is in the catalog
    stmt = select(NotificationText.subject, NotificationText.body).where(
        NotificationText.insurer_id == insurer_id,
        NotificationText.kind == kind,
        NotificationText.channel == channel.value,
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is not None:
        return Wording(row.subject, row.body)
    if not entry.sent_by_default:
        return None
    return entry.defaults[channel]


async def send(
    session: AsyncSession,
    *,
    kind: str,
    channel: Channel,
    recipient: str,
    case: Case | None = None,
    insurer_id: int | None = None,
    case_id: int | None = None,
    values: dict[str, Any] | None = None,
) -> Notification | None:
    """Queue one notification in the insurer's wording (or the built-in one); None when
    nothing is sent (a kind the insurer has not switched on). With `case`, its
    placeholders are filled; `values` adds the kind's own (links, codes, titles)."""
    insurer_id = case.insurer_id if case is not None else insurer_id
    assert insurer_id is not None, "give the case or the insurer"
    text_ = await wording(session, insurer_id=insurer_id, kind=kind, channel=channel)
    if text_ is None:
        return None
    used = set(placeholders.names(text_.body)) | set(placeholders.names(text_.subject or ""))
    filled: dict[str, Any] = {}
    if case is not None:
        filled.update(await case_values(session, case, used & _PEOPLE))
    filled.update(values or {})
    return await notifications.enqueue(
        session,
        insurer_id=insurer_id,
        case_id=case.id if case is not None else case_id,
        channel=channel,
        kind=kind,
        recipient=recipient,
        subject=(
            # One line, whatever a value holds: an email header cannot break.
            placeholders.one_line(placeholders.fill(text_.subject, filled))
            if text_.subject is not None
            else None
        ),
        body=placeholders.fill(text_.body, filled),
    )


# -- the insurer's texts -----------------------------------------------------------------


def _entry(kind: str, channel: Channel) -> TextKind:
    entry = KINDS.get(kind)
    if entry is None:
        raise bad_input(f"Unknown notification kind '{kind}'.", "kind")
    if channel not in entry.defaults:
        sent = ", ".join(c.name for c in entry.defaults)
        raise bad_input(f"'{kind}' is sent by {sent} only.", "channel")
    return entry


def _validated(
    entry: TextKind, channel: Channel, subject: str | None, body: str
) -> tuple[str | None, str]:
    body_text = text(body, "body", max_length=MAX_BODY)
    assert body_text is not None
    placeholders.check(body_text, entry.placeholders, "body")
    used = placeholders.names(body_text)
    for name in entry.required:
        if name not in used:
            raise bad_input(f"The text must contain {{{name}}}: it is what it delivers.", "body")
    if channel is Channel.SMS:
        if subject is not None:
            raise bad_input("An SMS has no subject; leave 'subject' out.", "subject")
        return None, body_text
    subject_text = text(subject, "subject", max_length=MAX_SUBJECT)
    assert subject_text is not None
    placeholders.check(subject_text, entry.placeholders, "subject")
    if secrets := [name for name in placeholders.names(subject_text) if name in entry.required]:
        raise bad_input(
            f"{{{secrets[0]}}} may appear only in the body (it is removed after delivery).",
            "subject",
        )
    if "\n" in subject_text or "\r" in subject_text:
        raise bad_input("'subject' must be one line.", "subject")
    return subject_text, body_text


async def _current(
    session: AsyncSession, insurer_id: int, kind: str, channel: Channel
) -> NotificationText | None:
    stmt = (
        select(NotificationText)
        .where(
            NotificationText.insurer_id == insurer_id,
            NotificationText.kind == kind,
            NotificationText.channel == channel.value,
        )
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _logged(row: NotificationText | None) -> dict[str, Any] | None:
    return None if row is None else {"subject": row.subject, "body": row.body}


async def set_text(
    *,
    session: AsyncSession,
    actor: Principal,
    kind: str,
    channel: Channel,
    subject: str | None,
    body: str,
) -> tuple[str, Channel]:
    """Replace the built-in wording of (kind, channel) for the actor's portal."""
    require(rules.can_configure_texts(actor), ADMIN_ONLY)
    entry = _entry(kind, channel)
    subject_text, body_text = _validated(entry, channel, subject, body)
    before = _logged(await _current(session, actor.insurer_id, kind, channel))
    values = {"subject": subject_text, "body": body_text, "updated_by_user_id": actor.user_id}
    upsert = insert(NotificationText).values(
        insurer_id=actor.insurer_id, kind=kind, channel=channel.value, **values
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[
                NotificationText.insurer_id,
                NotificationText.kind,
                NotificationText.channel,
            ],
            set_={**values, "updated_at": func.now()},
        )
    )
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="notificationText.set",
        subject_type="NotificationText",
        subject_id=f"{kind}:{channel.value}",
        before=before,
        after={"subject": subject_text, "body": body_text},
    )
    return kind, channel


async def reset_text(
    *, session: AsyncSession, actor: Principal, kind: str, channel: Channel
) -> tuple[str, Channel]:
    """Back to the built-in wording (for kinds sent only with the insurer's text: off)."""
    require(rules.can_configure_texts(actor), ADMIN_ONLY)
    _entry(kind, channel)
    before = _logged(await _current(session, actor.insurer_id, kind, channel))
    if before is not None:
        await session.execute(
            delete(NotificationText).where(
                NotificationText.insurer_id == actor.insurer_id,
                NotificationText.kind == kind,
                NotificationText.channel == channel.value,
            )
        )
        await event_log.record(
            session,
            actor=actor,
            insurer_id=actor.insurer_id,
            action="notificationText.reset",
            subject_type="NotificationText",
            subject_id=f"{kind}:{channel.value}",
            before=before,
            after=None,
        )
    return kind, channel


async def insurer_texts(session: Any, insurer_id: int) -> dict[tuple[str, str], Any]:
    """The insurer's texts by (kind, channel), in one statement."""
    stmt = select(
        NotificationText.kind,
        NotificationText.channel,
        NotificationText.subject,
        NotificationText.body,
        NotificationText.updated_at,
    ).where(NotificationText.insurer_id == insurer_id)
    return {(row.kind, row.channel): row for row in (await session.execute(stmt)).all()}

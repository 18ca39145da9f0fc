"""The insurer's wording of the emails and SMS the server sends (company admins)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.services import notification_texts
from schema.mutations.runner import UserError, run_mutation
from schema.types.texts import (
    NotificationChannel,
    NotificationKind,
    NotificationTextEntry,
    channel_of,
    kind_of,
    notification_entries,
)


@strawberry.input(description="The insurer's wording of one notification on one channel.")
class NotificationTextSetInput:
    kind: NotificationKind = strawberry.field(description="What is sent.")  # type: ignore[valid-type]
    channel: NotificationChannel = strawberry.field(description="How.")  # type: ignore[valid-type]
    subject: str | None = strawberry.field(
        default=None,
        description="The subject, one line up to 200 characters: required for email, "
        "absent for SMS. May use placeholders, but not the link or code.",
    )
    body: str = strawberry.field(
        description="The text, up to 5,000 characters, with the kind's placeholders "
        "(`notificationTexts`); the link or code placeholder is required where the kind "
        "delivers one; an unknown placeholder is BAD_USER_INPUT."
    )


@strawberry.type(description="The notification's texts after the change, or why not.")
class NotificationTextPayload:
    notification_text: NotificationTextEntry | None = strawberry.field(
        description="The kind on that channel, with the insurer's text."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


async def _payload(info: strawberry.Info, outcome) -> NotificationTextPayload:  # type: ignore[no-untyped-def]
    if outcome.value is None:
        return NotificationTextPayload(notification_text=None, errors=outcome.errors)
    kind, channel = outcome.value
    principal = info.context.require_principal()
    async with info.context.engine.connect() as conn:
        entries = await notification_entries(conn, principal.insurer_id)
    entry = next(e for e in entries if kind_of(e.kind) == kind and channel_of(e.channel) == channel)
    return NotificationTextPayload(notification_text=entry, errors=[])


async def notification_text_set(
    info: strawberry.Info, input: NotificationTextSetInput
) -> NotificationTextPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await notification_texts.set_text(
            session=session,
            actor=actor,
            kind=kind_of(input.kind),
            channel=channel_of(input.channel),
            subject=input.subject,
            body=input.body,
        )

    return await _payload(info, await run_mutation(info, work))


async def notification_text_reset(
    info: strawberry.Info,
    kind: Annotated[NotificationKind, strawberry.argument(description="What is sent.")],  # type: ignore[valid-type]
    channel: Annotated[NotificationChannel, strawberry.argument(description="How.")],  # type: ignore[valid-type]
) -> NotificationTextPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await notification_texts.reset_text(
            session=session, actor=actor, kind=kind_of(kind), channel=channel_of(channel)
        )

    return await _payload(info, await run_mutation(info, work))

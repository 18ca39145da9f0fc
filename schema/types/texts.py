"""Standard replies and notification texts as GraphQL, with their root resolvers."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import strawberry

from permissions import rules
from resolvers.services import notification_texts, standard_replies
from resolvers.services.notifications import Channel
from resolvers.services.text_catalog import KINDS
from schema.node import decode_typed_id, encode_global_id
from server.errors import forbidden

READ_TEXTS = "Only the insurer's staff and its API keys read the notification texts."


def _listed(names: dict[str, str]) -> str:
    return "; ".join(
        f"`{{{name}}}` = {what[0].lower()}{what[1:].rstrip('.')}" for name, what in names.items()
    )


NotificationChannel = strawberry.enum(
    enum.Enum(  # type: ignore[misc]  # functional API: members come from Channel
        "NotificationChannel",
        [
            ("EMAIL", strawberry.enum_value("email", description="An email (has a subject).")),
            ("SMS", strawberry.enum_value("sms", description="A text message (no subject).")),
        ],
    ),
    description="How a notification is sent.",
)

# Built from the catalog, so the schema lists exactly the kinds the server sends.
NotificationKind = strawberry.enum(
    enum.Enum(  # type: ignore[misc]
        "NotificationKind",
        [
            (kind.upper(), strawberry.enum_value(kind, description=entry.description))
            for kind, entry in KINDS.items()
        ],
    ),
    description="An email or SMS the server sends; its wording is configurable per insurer.",
)


def channel_of(value: Any) -> Channel:
    return Channel(getattr(value, "value", value))


def kind_of(value: Any) -> str:
    return str(getattr(value, "value", value))


@strawberry.type(description="A placeholder a text may contain, written `{name}`.")
class Placeholder:
    name: str = strawberry.field(description="The name, e.g. `customer_name`.")
    description: str = strawberry.field(description="What it is replaced with.")
    required: bool = strawberry.field(
        description="Every text of this kind must contain it (the link or code it delivers)."
    )


@strawberry.type(
    description="A reusable text staff insert into chat messages and internal comments. "
    f"Placeholders: {_listed(standard_replies.PLACEHOLDERS)}. Any other `{{name}}` is "
    "refused when saved. Missing values render as sensible text, never 'None'."
)
class StandardReply:
    id: strawberry.ID = strawberry.field(description="Global id (type StandardReply).")
    title: str = strawberry.field(description="What staff pick it by.")
    body: str = strawberry.field(description="The text with its `{placeholders}`.")
    active: bool = strawberry.field(description="False: kept, but not offered or usable.")
    created_at: dt.datetime = strawberry.field(description="When it was written.")
    updated_at: dt.datetime = strawberry.field(description="When it was last changed.")

    @classmethod
    def from_row(cls, row: Any) -> StandardReply:
        return cls(
            id=encode_global_id("StandardReply", row.id),
            title=row.title,
            body=row.body,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(
    description="One email or SMS the server sends on one channel: its built-in wording, "
    "the insurer's own (if any), and the placeholders it may use."
)
class NotificationTextEntry:
    kind: NotificationKind = strawberry.field(description="What is sent.")  # type: ignore[valid-type]
    channel: NotificationChannel = strawberry.field(description="How.")  # type: ignore[valid-type]
    description: str = strawberry.field(description="When it is sent.")
    recipient: str = strawberry.field(description="Who receives it.")
    sent_by_default: bool = strawberry.field(
        description="False: sent only once the insurer has defined its own text (setting "
        "the text switches it on, resetting switches it off)."
    )
    sent: bool = strawberry.field(description="Whether it is sent now, for this insurer.")
    default_subject: str | None = strawberry.field(description="Built-in subject (email).")
    default_body: str = strawberry.field(description="Built-in text.")
    subject: str | None = strawberry.field(description="The insurer's subject; null: none set.")
    body: str | None = strawberry.field(description="The insurer's text; null: built-in is used.")
    updated_at: dt.datetime | None = strawberry.field(
        description="When the insurer's text was last set."
    )
    placeholders: list[Placeholder] = strawberry.field(
        description="What the subject and text may contain."
    )


async def notification_entries(conn: Any, insurer_id: int) -> list[NotificationTextEntry]:
    """Every (kind, channel) with the insurer's texts, from one statement."""
    own = await notification_texts.insurer_texts(conn, insurer_id)
    entries = []
    for kind, entry in KINDS.items():
        for channel, default in entry.defaults.items():
            row = own.get((kind, channel.value))
            entries.append(
                NotificationTextEntry(
                    kind=NotificationKind(kind),
                    channel=NotificationChannel(channel.value),
                    description=entry.description,
                    recipient=entry.recipient,
                    sent_by_default=entry.sent_by_default,
                    sent=entry.sent_by_default or row is not None,
                    default_subject=default.subject,
                    default_body=default.body,
                    subject=row.subject if row else None,
                    body=row.body if row else None,
                    updated_at=row.updated_at if row else None,
                    placeholders=[
                        Placeholder(name=name, description=what, required=name in entry.required)
                        for name, what in entry.placeholders.items()
                    ],
                )
            )
    return entries


async def notification_texts_field(info: strawberry.Info) -> list[NotificationTextEntry]:
    """Resolver of `Query.notificationTexts`."""
    principal = info.context.require_principal()
    if not principal.acts_as_insurer:
        raise forbidden(READ_TEXTS)
    async with info.context.engine.connect() as conn:
        return await notification_entries(conn, principal.insurer_id)


async def standard_replies_field(
    info: strawberry.Info,
    include_inactive: Annotated[
        bool, strawberry.argument(description="Also the deactivated ones (settings screens).")
    ] = False,
) -> list[StandardReply]:
    """Resolver of `Query.standardReplies`."""
    principal = info.context.require_principal()
    async with info.context.engine.connect() as conn:
        rows = await standard_replies.list_replies(
            conn=conn, actor=principal, include_inactive=include_inactive
        )
    return [StandardReply.from_row(row) for row in rows]


async def standard_reply_render(
    info: strawberry.Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The standard reply.")],
    case_id: Annotated[strawberry.ID, strawberry.argument(description="The case to fill it for.")],
) -> str:
    """Resolver of `Query.standardReplyRender`."""
    principal = info.context.require_principal()
    async with info.context.sessions() as session:
        return await standard_replies.render(
            session=session,
            actor=principal,
            reply_id=decode_typed_id(id, "StandardReply", "id"),
            case_id=decode_typed_id(case_id, "Case", "caseId"),
        )


def standard_reply_placeholders(info: strawberry.Info) -> list[Placeholder]:
    """Resolver of `Query.standardReplyPlaceholders`."""
    principal = info.context.require_principal()
    if not rules.can_use_standard_replies(principal):
        raise forbidden(standard_replies.USE)
    return [
        Placeholder(name=name, description=what, required=False)
        for name, what in standard_replies.PLACEHOLDERS.items()
    ]

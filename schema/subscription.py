"""Live subscriptions: new messages and feed entries, pushed as they commit.

Served over WebSocket at /graphql with `graphql-transport-ws` (graphql-ws, Apollo) or the
legacy `graphql-ws` protocol (subscriptions-transport-ws). Authenticate in the
`connection_init` payload: `{"Authorization": "Bearer <token>"}`.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry

from resolvers.subscriptions import streams
from resolvers.subscriptions.live import encode_event_cursor
from schema.enums import FeedEventType
from schema.live_frames import live_payloads
from schema.node import decode_typed_id, encode_global_id
from schema.types.case import Case
from schema.types.loading import load_one
from schema.types.notification import UserNotification
from schema.types.work import FeedEntry, Message

DELIVERY = " In commit order, each event once; resume with `after`; see `Subscription`."
GUARANTEES = (
    " Delivered in commit order, each once. Pass the `cursor` of the last event received "
    "as `after` when reconnecting: everything committed since is sent first, then live "
    "events, without gap or duplicate. Each event is checked against what the viewer may "
    "query at that moment; when access to the case ends (access revoked, case no longer "
    "visible) the subscription ends with a FORBIDDEN error. A client that does not keep up "
    "loses nothing: past a bounded buffer the server drops what it holds for it and "
    "re-reads from the database after the client's position."
)
AFTER_HELP = "Resume after this `cursor`; omit to receive only events from now on."
CaseIdArg = Annotated[strawberry.ID, strawberry.argument(description="Global id of the case.")]
AfterArg = Annotated[str | None, strawberry.argument(description=AFTER_HELP)]


@strawberry.enum(description="The kinds of event `viewerCaseEvents` delivers.")
class CaseEventKind(enum.Enum):
    MESSAGE = strawberry.enum_value("messages", description="A customer chat message.")
    FEED_ENTRY = strawberry.enum_value("feed", description="A news-feed entry.")


@strawberry.type(description="One event of `viewerCaseEvents`: a message or a feed entry.")
class CaseEvent:
    cursor: str = strawberry.field(
        description="Position of this event across all cases; pass as `after` to resume."
    )
    kind: CaseEventKind = strawberry.field(description="Which of `message`/`feedEntry` is set.")
    case_id: strawberry.ID = strawberry.field(description="Global id of the event's case.")
    message: Message | None = strawberry.field(description="The message, for MESSAGE events.")
    feed_entry: FeedEntry | None = strawberry.field(
        description="The feed entry, for FEED_ENTRY events."
    )

    @strawberry.field(description="The case the event belongs to.")
    async def case(self, info: strawberry.Info) -> Case | None:
        return await load_one(info, "case_by_id", self.row_case_id, Case)

    row_case_id: strawberry.Private[int]


@strawberry.type(
    description="Live events over WebSocket at /graphql (graphql-transport-ws, or the legacy "
    'graphql-ws protocol); sign in with {"Authorization": "Bearer <token>"} in the '
    "connection_init payload." + GUARANTEES
)
class Subscription:
    @strawberry.subscription(
        description="New messages of one case's customer chat (whoever may read the chat)."
        + DELIVERY
    )
    async def case_messages(
        self,
        info: strawberry.Info,
        case_id: CaseIdArg,
        after: AfterArg = None,
    ) -> AsyncGenerator[Message, None]:
        row_id = decode_typed_id(case_id, "Case", "caseId")
        deliveries = streams.case_events(info.context, "messages", row_id, after)
        async for payload in live_payloads(info, deliveries, _message):
            yield payload

    @strawberry.subscription(
        description="New entries of one case's news feed; customers receive only the "
        "customer-facing event types." + DELIVERY
    )
    async def case_feed(
        self,
        info: strawberry.Info,
        case_id: CaseIdArg,
        after: AfterArg = None,
    ) -> AsyncGenerator[FeedEntry, None]:
        row_id = decode_typed_id(case_id, "Case", "caseId")
        deliveries = streams.case_events(info.context, "feed", row_id, after)
        async for payload in live_payloads(info, deliveries, _feed_entry):
            yield payload

    @strawberry.subscription(
        description="Messages and feed entries of every case the viewer can see, for "
        "dashboards and partner systems. Cases the viewer cannot see (any more) are "
        "skipped; the subscription ends with FORBIDDEN only when the viewer's own access "
        "is revoked." + DELIVERY
    )
    async def viewer_case_events(
        self,
        info: strawberry.Info,
        after: AfterArg = None,
        types: Annotated[
            list[CaseEventKind] | None,
            strawberry.argument(description="Only these kinds of event (default: both)."),
        ] = None,
        feed_types: Annotated[
            list[FeedEventType] | None,  # type: ignore[valid-type]
            strawberry.argument(
                description="Only feed entries of these types (default: every type you may see)."
            ),
        ] = None,
    ) -> AsyncGenerator[CaseEvent, None]:
        kinds = frozenset(kind.value for kind in (types or list(CaseEventKind)))
        only = frozenset(t.value for t in feed_types) if feed_types is not None else None
        deliveries = streams.viewer_events(info.context, after, kinds, only)
        async for payload in live_payloads(info, deliveries, _case_event):
            yield payload

    # --- mentions ---
    @strawberry.subscription(
        description="Your new in-app notifications (mentions), as they commit: staff and "
        "partner users only (customers and API keys get FORBIDDEN); each person receives "
        "only their own. Resume with `after` (a notification's `cursor`). Your stream ends "
        "with FORBIDDEN when your account is deactivated."
    )
    async def viewer_notification_added(
        self, info: strawberry.Info, after: AfterArg = None
    ) -> AsyncGenerator[UserNotification, None]:
        deliveries = streams.viewer_notifications(info.context, after)
        async for payload in live_payloads(info, deliveries, _notification):
            yield payload


def _message(delivery: Any) -> Message:
    return Message.from_row(delivery.row)


def _feed_entry(delivery: Any) -> FeedEntry:
    return FeedEntry.from_row(delivery.row)


def _notification(delivery: Any) -> UserNotification:
    return UserNotification.from_row(delivery.row)


def _case_event(delivery: Any) -> CaseEvent:
    row = delivery.row
    is_message = delivery.kind == "messages"
    return CaseEvent(
        cursor=encode_event_cursor(delivery.position),
        kind=CaseEventKind.MESSAGE if is_message else CaseEventKind.FEED_ENTRY,
        case_id=encode_global_id("Case", row.case_id),
        message=Message.from_row(row) if is_message else None,
        feed_entry=None if is_message else FeedEntry.from_row(row),
        row_case_id=row.case_id,
    )

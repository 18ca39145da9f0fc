"""The event log as GraphQL: who changed which settings or access, when, and how."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from resolvers.queries.event_log import (
    EventLogFilter,
    count_entries,
    event_log_page,
)
from schema.connections import Connection, make_connection
from schema.node import decode_typed_id, encode_global_id
from schema.types.loading import load_one
from schema.types.people import User


@strawberry.type(
    description="One change to settings or access: who, what, when, and the changed values "
    "before and after (never secrets: no tokens or hashes)."
)
class EventLogEntry:
    row: strawberry.Private[Any]
    id: strawberry.ID = strawberry.field(description="Global id (type EventLogEntry).")
    action: str = strawberry.field(
        description="What was done, noun first: e.g. `customerPageSettings.update`, "
        "`customerAccess.grant`, `standardReply.create`."
    )
    subject_type: str = strawberry.field(
        description="The kind of thing changed, e.g. `StandardReply`, `Case`, `ApiKey`."
    )
    subject_id: str | None = strawberry.field(
        description="Which one: the database id (or a key such as `customer_link:email`)."
    )
    actor_label: str = strawberry.field(
        description="Who, as a short label (`staff:12`, `apikey:3`, `server`), also when no "
        "user did it."
    )
    before: JSON | None = strawberry.field(description="The changed values before; null: new.")
    after: JSON | None = strawberry.field(description="The values after; null: removed.")
    created_at: dt.datetime = strawberry.field(description="When.")

    @strawberry.field(description="The user who made the change; null for API keys and the server.")
    async def actor(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.actor_user_id, User)

    @classmethod
    def from_row(cls, row: Any) -> EventLogEntry:
        return cls(
            row=row,
            id=encode_global_id("EventLogEntry", row.id),
            action=row.action,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            actor_label=row.actor_label,
            before=row.before,
            after=row.after,
            created_at=row.created_at,
        )


@strawberry.input(description="Which entries; all given conditions apply.")
class EventLogFilterInput:
    action: str | None = strawberry.field(default=None, description="Exactly this action.")
    subject_type: str | None = strawberry.field(
        default=None, description="Exactly this subject type."
    )
    actor_user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Changes made by this user."
    )
    since: dt.datetime | None = strawberry.field(default=None, description="At or after this.")
    until: dt.datetime | None = strawberry.field(default=None, description="Before this.")

    def to_filter(self) -> EventLogFilter:
        actor = (
            decode_typed_id(self.actor_user_id, "User", "filter.actorUserId")
            if self.actor_user_id
            else None
        )
        return EventLogFilter(
            action=self.action,
            subject_type=self.subject_type,
            actor_user_id=actor,
            since=self.since,
            until=self.until,
        )


async def event_log(
    info: strawberry.Info,
    filter: EventLogFilterInput | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Connection[EventLogEntry]:
    """Resolver of `Query.eventLog`."""
    principal = info.context.require_principal()
    engine = info.context.engine
    log_filter = (filter or EventLogFilterInput()).to_filter()
    page = await event_log_page(
        engine=engine, principal=principal, log_filter=log_filter, first=first, after=after
    )

    async def count() -> int:
        return await count_entries(engine=engine, principal=principal, log_filter=log_filter)

    return make_connection(
        [(cursor, EventLogEntry.from_row(row)) for cursor, row in page.rows],
        has_next=page.has_next,
        has_previous=page.has_previous,
        count=count,
    )

"""In-app notifications of the signed-in person (`viewerNotifications`)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import strawberry

from permissions import rules
from resolvers.pagination import encode_cursor
from resolvers.services import user_notifications
from schema.connections import Edge, PageInfo
from schema.node import encode_global_id
from schema.types.case import Case
from schema.types.loading import load_one
from schema.types.people import User
from schema.types.work import Comment


@strawberry.enum(description="What an in-app notification is about.")
class InAppNotificationKind(enum.Enum):
    MENTION = strawberry.enum_value(
        "mention", description="Someone mentioned you in an internal comment."
    )


@strawberry.type(
    description="An in-app notification for the signed-in person (staff and partner users "
    "only). Its `id` is what `notificationsMarkRead` takes; it is not fetchable by `node`."
)
class UserNotification:
    row: strawberry.Private[Any]
    id: strawberry.ID = strawberry.field(description="Opaque id, for `notificationsMarkRead`.")
    kind: InAppNotificationKind = strawberry.field(description="What it is about.")
    text: str = strawberry.field(description="A one-line summary to show.")
    created_at: dt.datetime = strawberry.field(description="When it was written.")
    read_at: dt.datetime | None = strawberry.field(description="When you marked it read.")

    @classmethod
    def from_row(cls, row: Any) -> UserNotification:
        return cls(
            row=row,
            id=encode_global_id("UserNotification", row.id),
            kind=InAppNotificationKind(row.kind),
            text=row.text,
            created_at=row.created_at,
            read_at=row.read_at,
        )

    @strawberry.field(description="Whether you have marked it read.")
    def is_read(self) -> bool:
        return self.row.read_at is not None

    @strawberry.field(
        description="Position of this notification: `after` for `viewerNotifications` and "
        "`viewerNotificationAdded`."
    )
    def cursor(self) -> str:
        return encode_cursor(str(self.row.id))

    @strawberry.field(description="The case it is about; null if you cannot see it any more.")
    async def case(self, info: strawberry.Info) -> Case | None:
        return await load_one(info, "case_by_id", self.row.case_id, Case)

    @strawberry.field(description="The comment it is about; null if you cannot see it any more.")
    async def comment(self, info: strawberry.Info) -> Comment | None:
        principal = info.context.require_principal()
        if not rules.can_read_comments(principal):
            return None
        return await load_one(info, "comment_by_id", self.row.comment_id, Comment)

    @strawberry.field(description="Who caused it (e.g. who mentioned you).")
    async def actor(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.actor_user_id, User)


@strawberry.type(description="A page of your notifications, newest first.")
class UserNotificationConnection:
    edges: list[Edge[UserNotification]] = strawberry.field(description="The notifications.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="All your notifications, read or not.")
    unread_count: int = strawberry.field(description="Your unread notifications.")

    @strawberry.field(description="The notifications, without cursors.")
    def nodes(self) -> list[UserNotification]:
        return [edge.node for edge in self.edges]


async def viewer_notifications(
    info: strawberry.Info,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1–100 (default 20).")
    ] = None,
    after: Annotated[
        str | None, strawberry.argument(description="Continue after this cursor (older ones).")
    ] = None,
    unread_only: Annotated[
        bool, strawberry.argument(description="Only notifications not yet marked read.")
    ] = False,
) -> UserNotificationConnection:
    user_id = user_notifications.own_user_id(info.context.require_principal())
    async with info.context.engine.connect() as conn:
        page = await user_notifications.notification_page(
            conn, user_id=user_id, first=first, after=after, unread_only=unread_only
        )
        total, unread = await user_notifications.notification_counts(conn, user_id=user_id)
    edges = [
        Edge(cursor=encode_cursor(str(row.id)), node=UserNotification.from_row(row))
        for row in page.rows
    ]
    return UserNotificationConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
        unread_count=unread,
    )

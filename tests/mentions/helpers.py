"""GraphQL documents and small helpers the mention tests share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.casework import UserNotification
from server.db.models import Notification, User
from tests.factories import gid
from tests.graphql import gql

COMMENT_ADD = """mutation ($i: CommentAddInput!) {
  commentAdd(input: $i) {
    comment { id body mentions { id name } parent { id } isDeleted }
    errors { code field message }
  }
}"""
COMMENT_EDIT = """mutation ($i: CommentEditInput!) {
  commentEdit(input: $i) {
    comment { id body editedAt mentions { name } revisions { body replacedBy { name } } }
    errors { code field message }
  }
}"""
COMMENT_DELETE = """mutation ($i: CommentDeleteInput!) {
  commentDelete(input: $i) {
    comment { id body isDeleted deletedAt mentions { name } revisions { body } }
    errors { code field message }
  }
}"""
NOTIFICATIONS = """query ($first: Int, $after: String, $unread: Boolean) {
  viewerNotifications(first: $first, after: $after, unreadOnly: $unread) {
    totalCount unreadCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id kind text isRead case { number } comment { body } actor { name } } }
  }
}"""
MARK_READ = """mutation ($i: NotificationsMarkReadInput!) {
  notificationsMarkRead(input: $i) { marked errors { code field } }
}"""
PREFERENCES = """mutation ($i: ViewerPreferencesInput!) {
  viewerPreferencesUpdate(input: $i) { emailOnMention errors { code } }
}"""
NOTIFICATION_ADDED = """subscription ($a: String) {
  viewerNotificationAdded(after: $a) { id kind text cursor comment { body } actor { name } }
}"""


def mention(user: Any, name: str | None = None) -> str:
    return f"@[{name or user.name}](user:{gid('User', user.id)})"


async def add_comment(
    client: Any, token: str, case_id: int, body: str, parent: str | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {"caseId": gid("Case", case_id), "body": body}
    if parent is not None:
        variables["parentId"] = parent
    result = await gql(client, COMMENT_ADD, {"i": variables}, token=token)
    assert "errors" not in result, result
    return result["data"]["commentAdd"]  # type: ignore[no-any-return]


async def notification_rows(engine: AsyncEngine, user: Any) -> list[Any]:
    stmt = (
        select(UserNotification)
        .where(UserNotification.user_id == user.id)
        .order_by(UserNotification.id)
    )
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


async def mention_emails(engine: AsyncEngine, user: Any) -> list[Any]:
    stmt = (
        select(Notification.recipient, Notification.subject, Notification.body)
        .join(User, User.email == Notification.recipient)
        .where(User.id == user.id, Notification.kind == "comment_mention")
        .order_by(Notification.id)
    )
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())

"""`viewerNotificationAdded`: a person's new in-app notifications, live, in order, once.

A tail per user with subscribers in this process, like the case tails (the mechanism:
resolvers.subscriptions.keyed_tails). Ids are in commit order within one user: whoever
writes a user's notification first locks that user's row
(resolvers.services.mentions.notify_mentioned), so "notifications of U with id > p" never
misses one that commits later. Wake-ups arrive on `user:{id}:notifications` after commit.
Each batch re-reads the subscribers' credentials (a deactivated user's stream ends with
FORBIDDEN), and a notification is only ever pushed to the subscribers of its own user.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.subscriptions.access import Verdict, check_access, ended_error
from resolvers.subscriptions.keyed_tails import KeyedTails, Tail
from resolvers.subscriptions.subscriber import Delivery, Page, Subscriber
from server.db.casework import UserNotification

KIND = "notifications"


class NotificationTails(KeyedTails):
    name = "user-notifications"
    key_column = "user_id"

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, UserNotification)

    def key_of(self, subscriber: Subscriber) -> int:
        user_id = subscriber.principal.user_id
        assert user_id is not None, "only people subscribe to notifications"
        return user_id

    async def check(self, subscribers: list[Subscriber], keys: list[int], rows: list[Any]) -> Any:
        return await check_access(self.engine, [s.principal for s in subscribers], ())

    def page(self, subscriber: Subscriber, rows: list[Any], access: Any, after: int) -> Page:
        view = access.view_for(subscriber.principal)
        page = Page([], rows[-1].id if rows else after, full=len(rows) == self.page_size)
        if view is None:
            page.ended = ended_error(Verdict.REVOKED)
        else:
            page.deliveries = [Delivery(row.id, KIND, row, view) for row in rows]
        return page

    def dispatch(self, tail: Tail, rows: list[Any], access: Any, checked: set[Subscriber]) -> None:
        for subscriber in list(tail.subscribers):
            if subscriber not in checked:
                continue  # registered during this batch (see KeyedTails.dispatch)
            view = access.view_for(subscriber.principal)
            if view is None:
                subscriber.end(ended_error(Verdict.REVOKED))
                continue
            for row in rows:
                subscriber.push(Delivery(row.id, KIND, row, view))

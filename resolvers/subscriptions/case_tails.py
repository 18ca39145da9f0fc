"""One-case live streams (`caseFeed`, `caseMessages`): a tail per case, one reader for all.

Within a case, ids are in commit order: every writer locks the case row (`case_for_update`)
before it inserts a feed entry or message, so a row can only become visible after every
row with a smaller id of the same case (the mechanism: resolvers.subscriptions.keyed_tails).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.subscriptions.access import Verdict, check_access, ended_error, verdict
from resolvers.subscriptions.keyed_tails import KeyedTails, Tail
from resolvers.subscriptions.subscriber import Delivery, Page, Subscriber
from server.db.models import FeedEntry, Message

MODELS: dict[str, Any] = {"feed": FeedEntry, "messages": Message}


class CaseTails(KeyedTails):
    """The tails of one kind ('feed' or 'messages') in this process."""

    key_column = "case_id"

    def __init__(self, engine: AsyncEngine, kind: str) -> None:
        super().__init__(engine, MODELS[kind])
        self.name = f"case-{kind}"
        self.kind = kind

    def key_of(self, subscriber: Subscriber) -> int:
        assert subscriber.case_id is not None
        return subscriber.case_id

    async def check(self, subscribers: list[Subscriber], keys: list[int], rows: list[Any]) -> Any:
        feed_ids = [r.id for r in rows] if self.kind == "feed" else []
        return await check_access(self.engine, [s.principal for s in subscribers], keys, feed_ids)

    def page(self, subscriber: Subscriber, rows: list[Any], access: Any, after: int) -> Page:
        case_id = self.key_of(subscriber)
        view = access.view_for(subscriber.principal)
        page = Page([], rows[-1].id if rows else after, full=len(rows) == self.page_size)
        for row in rows or [None]:
            result = verdict(view, self.kind, case_id, row, one_case=True)
            if result in (Verdict.REVOKED, Verdict.LOST_CASE):
                page.ended = ended_error(result)
                break
            if row is not None and result is Verdict.DELIVER and view is not None:
                page.deliveries.append(Delivery(row.id, self.kind, row, view))
        return page

    def dispatch(self, tail: Tail, rows: list[Any], access: Any, checked: set[Subscriber]) -> None:
        # Verdicts depend on the view alone: decide once per permission scope, not per socket.
        decided: dict[int, tuple[Verdict, list[Delivery]]] = {}
        for subscriber in list(tail.subscribers):
            if subscriber not in checked:
                continue  # registered during this batch (see KeyedTails.dispatch)
            view = access.view_for(subscriber.principal)
            outcome = decided.get(id(view))
            if outcome is None:
                outcome = decided[id(view)] = self._outcome(view, tail.key, rows)
            result, deliveries = outcome
            if result is not Verdict.DELIVER:
                subscriber.end(ended_error(result))
                continue
            for delivery in deliveries:
                subscriber.push(delivery)

    def _outcome(self, view: Any, case_id: int, rows: list[Any]) -> tuple[Verdict, list[Delivery]]:
        """The case itself first (a lost case ends the stream even without new rows), then
        the rows this scope may receive."""
        result = verdict(view, self.kind, case_id, None, one_case=True)
        if result is not Verdict.DELIVER:
            return result, []
        deliveries = [
            Delivery(row.id, self.kind, row, view)
            for row in rows
            if verdict(view, self.kind, case_id, row, one_case=True) is Verdict.DELIVER
        ]
        return result, deliveries

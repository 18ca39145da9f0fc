"""Events a transaction produced, held until it commits and then published.

Services add to the outbox inside their transaction; whoever owns the transaction (a
mutation, a CLI command, a job) publishes it after the commit, or drops it on rollback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from server.pubsub.broker import Broker, access_channel, case_channel, user_channel

log = logging.getLogger(__name__)


@dataclass
class Outbox:
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def case_event(self, case_id: int, kind: str, row_id: int) -> None:
        """A new row of `kind` ('feed' or 'messages') on a case."""
        self.events.append((case_channel(case_id, kind), {"id": row_id, "caseId": case_id}))

    def access_changed(self, insurer_id: int) -> None:
        """Someone's access in this portal was revoked: live subscriptions re-check now."""
        self.events.append((access_channel(insurer_id), {"insurerId": insurer_id}))

    def user_notification(self, user_id: int, notification_id: int) -> None:
        """A new in-app notification for one user (`user:{id}:notifications`)."""
        self.events.append((user_channel(user_id), {"id": notification_id, "userId": user_id}))

    async def publish(self, broker: Broker) -> None:
        """Publish everything; a failure is logged, not raised: the commit stands and
        subscribers catch up from the database."""
        events, self.events = self.events, []
        for channel, message in events:
            try:
                await broker.publish(channel, message)
            except Exception:
                log.exception("publish after commit failed", extra={"channel": channel})

"""Live events of this process: the tails, fed by the hub's wake-ups, and the cursors.

Built once per process in the app's lifespan. Wake-ups name a channel:
`case:{id}:feed` and `case:{id}:messages` (a row committed), `access:{insurerId}` (a grant
or key was revoked: re-check that portal's subscribers at once), `user:{id}:notifications`
(a new in-app notification for that user). Every subscriber is
also re-checked every `recheck_interval` seconds, for changes nobody announced (a user
deactivated in the database, a partner office taken off a case).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.pagination import decode_cursor, encode_cursor
from resolvers.subscriptions.access import CaseChecks
from resolvers.subscriptions.case_tails import CaseTails
from resolvers.subscriptions.notification_tail import NotificationTails
from resolvers.subscriptions.sign_ins import SignIns
from resolvers.subscriptions.viewer_tail import Position, ViewerTail
from server.errors import bad_input


class LiveEvents:
    """Implements the hub's listener protocol (`on_wakeup`, `on_gap`)."""

    def __init__(self, engine: AsyncEngine, *, recheck_interval: float = 30.0) -> None:
        self.engine = engine
        self.case_tails = {
            "feed": CaseTails(engine, "feed"),
            "messages": CaseTails(engine, "messages"),
        }
        self.viewer = ViewerTail(engine)
        self.notifications = NotificationTails(engine)  # mentions: `user:{id}:notifications`
        # A restart reconnects every socket at once: their credential checks, and the case
        # checks of their one-case subscriptions, are read in batches.
        self.sign_ins = SignIns(engine)
        self.case_checks = CaseChecks(engine)
        self.recheck_interval = recheck_interval
        self._recheck_task: asyncio.Task[None] | None = None

    def on_wakeup(self, channel: str, message: dict[str, Any]) -> None:
        prefix, _, rest = channel.partition(":")
        if prefix == "access":
            insurer = int(rest) if rest.isdigit() else None
            for tails in self.case_tails.values():
                tails.on_access_changed(insurer)
            self.viewer.on_access_changed(insurer)
            self.notifications.on_access_changed(insurer)
            return
        if prefix == "user":
            user, _, kind = rest.partition(":")
            if kind == "notifications" and user.isdigit():
                self.notifications.on_row(int(user))
            return
        case, _, kind = rest.partition(":")
        tails = self.case_tails.get(kind)
        if prefix == "case" and tails is not None and case.isdigit():
            tails.on_row(int(case))
            self.viewer.on_row()

    def on_gap(self) -> None:
        for tails in self.case_tails.values():
            tails.on_gap()
        self.viewer.on_gap()
        self.notifications.on_gap()

    @property
    def subscriber_count(self) -> int:
        tails = sum(t.subscriber_count for t in self.case_tails.values())
        return tails + self.viewer.subscriber_count + self.notifications.subscriber_count

    async def start(self) -> None:
        for tails in self.case_tails.values():
            tails.start()
        self.viewer.start()
        self.notifications.start()
        self._recheck_task = asyncio.create_task(self._recheck_forever(), name="live-recheck")

    async def stop(self) -> None:
        if self._recheck_task is not None:
            self._recheck_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recheck_task
        for tails in self.case_tails.values():
            await tails.stop()
        await self.viewer.stop()
        await self.notifications.stop()

    async def _recheck_forever(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_interval)
            for tails in self.case_tails.values():
                tails.on_access_changed(None)
            self.viewer.on_access_changed(None)
            self.notifications.on_access_changed(None)


def encode_event_cursor(position: Position) -> str:
    txid, kind, row_id = position
    return encode_cursor(f"e{txid}.{kind}.{row_id}")


def decode_event_cursor(cursor: str, field: str = "after") -> Position:
    """A `viewerCaseEvents` cursor back to its position; BAD_USER_INPUT if not one of ours."""
    raw = decode_cursor(cursor, field)
    parts = raw[1:].split(".") if raw.startswith("e") else []
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 19 for p in parts):
        raise bad_input(f"'{field}' is not a viewerCaseEvents cursor this server issued.", field)
    txid, kind, row_id = (int(p) for p in parts)
    if kind not in (0, 1):
        raise bad_input(f"'{field}' is not a viewerCaseEvents cursor this server issued.", field)
    return txid, kind, row_id

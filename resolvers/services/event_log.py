"""The event log: every change to settings or access, written in the transaction that
makes it (who, what, when, before and after). Case events stay in the case's feed."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal
from server.db.casework import EventLogEntry


def _plain(value: Any) -> Any:
    """A JSON-safe copy: dates as ISO text, decimals and enums as their text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


async def record(
    session: AsyncSession,
    *,
    actor: Principal | None,
    insurer_id: int,
    action: str,
    subject_type: str,
    subject_id: int | str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> None:
    """Log one change. `action` is dotted, noun first ("caseType.update");
    `actor` None means the server itself (give `actor_label`, e.g. "scheduler")."""
    session.add(
        EventLogEntry(
            insurer_id=insurer_id,
            actor_user_id=actor.user_id if actor is not None else None,
            actor_label=actor_label or (actor.label() if actor is not None else "server"),
            action=action,
            subject_type=subject_type,
            subject_id=None if subject_id is None else str(subject_id),
            before=_plain(before) if before is not None else None,
            after=_plain(after) if after is not None else None,
        )
    )

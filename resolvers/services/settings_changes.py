"""What the event log keeps of a settings change: only the values that changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal
from resolvers.services import event_log
from resolvers.services.common import camel_case


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys whose value differs (or that appear on one side only), before and after.
    A key missing on a side is logged as null there."""
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def snapshot(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The named columns of a row, under their schema (camelCase) names."""
    return {camel_case(name): _copy(getattr(row, name)) for name in names}


def camel_keys(value: Any) -> Any:
    """Stored settings (snake_case keys, nested) as the schema spells them."""
    if isinstance(value, dict):
        return {camel_case(str(k)): camel_keys(v) for k, v in value.items()}
    return value


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


async def record_change(
    session: AsyncSession,
    *,
    actor: Principal,
    insurer_id: int,
    action: str,
    subject_type: str,
    subject_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Log a change of settings: with both sides, only what differs, and nothing at all
    when nothing does; a new (before None) or removed (after None) thing in full."""
    if before is not None and after is not None:
        before, after = changed(before, after)
        if not after:
            return
    await event_log.record(
        session,
        actor=actor,
        insurer_id=insurer_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
    )

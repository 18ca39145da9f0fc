"""Per-event permission checks, batched: once per distinct principal and permission scope.

A live subscription must only deliver what its principal could query at that moment. For
each batch of rows a tail reads, `check_access` re-reads every distinct credential among
the receiving subscribers (a revoked grant or a deactivated user yields None) and, per
distinct visibility key, which of the batch's cases and feed entries that scope can see,
with the same SQL scopes the queries use. Subscribers then decide in memory. The cases
of one-case subscriptions that start together are checked in batches too (CaseChecks).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, any_, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from permissions import rules, scopes
from permissions.principal import Principal
from permissions.sharing import identity_key, render_scope_key, sharing_key, visibility_key
from resolvers.auth import (
    api_key_principal,
    api_key_select,
    grant_principal,
    grant_select,
    user_principal,
    user_select,
)
from resolvers.loaders import Loaders
from resolvers.subscriptions.coalesced_reads import CoalescedReads
from server.db.models import ApiKey, Case, CustomerAccessGrant, FeedEntry, User
from server.errors import forbidden


@dataclass(slots=True)
class View:
    """What one permission scope may see of one batch, and the loaders its events render
    with (fresh for the batch, shared by every subscriber of the scope)."""

    principal: Principal
    loaders: Loaders
    cases: dict[int, Any]
    feed_ids: frozenset[int]
    # Shared by every view of one render scope (permissions.sharing.render_scope_key):
    renders: dict[Hashable, Any] = field(default_factory=dict)
    payloads: dict[Hashable, str] = field(default_factory=dict)  # encoded renders, by key


@dataclass(slots=True)
class Access:
    fresh: dict[Hashable, Principal | None]
    views: dict[Hashable, View]

    def view_for(self, principal: Principal) -> View | None:
        """The subscriber's view now; None when its credential is no longer live."""
        current = self.fresh.get(identity_key(principal))
        return None if current is None else self.views[sharing_key(current)]


class Verdict(enum.Enum):
    DELIVER = "deliver"
    SKIP = "skip"  # not for this principal (another feed type, a case it does not see)
    REVOKED = "revoked"  # the credential is gone
    LOST_CASE = "lost_case"  # a one-case subscription lost its case (or its chat)


def verdict(
    view: View | None, kind: str, case_id: int, row: Any | None, *, one_case: bool
) -> Verdict:
    """May this row (or, with row None, this case) still reach the subscriber?"""
    if view is None:
        return Verdict.REVOKED
    lost = Verdict.LOST_CASE if one_case else Verdict.SKIP
    case = view.cases.get(case_id)
    if case is None:
        return lost
    if kind == "messages" and not rules.can_read_messages(view.principal, case):
        return lost
    if kind == "feed" and row is not None and row.id not in view.feed_ids:
        return Verdict.SKIP
    return Verdict.DELIVER


def ended_error(result: Verdict) -> Exception:
    if result is Verdict.REVOKED:
        return forbidden("Your access has been revoked or has expired; sign in again.")
    return forbidden("You no longer have access to this case.")


async def check_access(
    engine: AsyncEngine,
    principals: Iterable[Principal],
    case_ids: Collection[int],
    feed_ids: Collection[int] = (),
) -> Access:
    """Fresh principals and per-scope views for one batch, in a handful of statements."""
    async with engine.connect() as conn:
        fresh = await live_principals(conn, {identity_key(p) for p in principals})
        views: dict[Hashable, View] = {}
        seen: dict[Hashable, tuple[dict[int, Any], frozenset[int]]] = {}
        shared: dict[Hashable, tuple[dict[Hashable, Any], dict[Hashable, str]]] = {}
        for principal in fresh.values():
            if principal is None or sharing_key(principal) in views:
                continue
            scope = visibility_key(principal)  # all staff of a portal: one read
            if scope not in seen:
                seen[scope] = await visible(conn, principal, case_ids, feed_ids)
            cases, feed = seen[scope]
            renders, payloads = shared.setdefault(render_scope_key(principal), ({}, {}))
            views[sharing_key(principal)] = View(
                principal, Loaders(engine, principal), cases, feed, renders, payloads
            )
    return Access(fresh, views)


async def visible(
    conn: AsyncConnection,
    principal: Principal,
    case_ids: Collection[int],
    feed_ids: Collection[int],
) -> tuple[dict[int, Any], frozenset[int]]:
    cases: dict[int, Any] = {}
    if case_ids:
        stmt = select(Case.id, Case.external_case_handler_id).where(
            Case.id == _any(case_ids), scopes.visible_cases(principal)
        )
        cases = {row.id: row for row in await conn.execute(stmt)}
    visible_feed: frozenset[int] = frozenset()
    if feed_ids and cases:
        stmt = select(FeedEntry.id).where(
            FeedEntry.id == _any(feed_ids),
            FeedEntry.case_id == _any(cases),
            scopes.visible_feed(principal),
        )
        visible_feed = frozenset((await conn.execute(stmt)).scalars())
    return cases, visible_feed


class CaseChecks:
    """`await case_checks(principal, case_id)`: the case (its id and external case handler)
    if the principal sees it now, else None. Subscriptions that start together (a restart
    reconnects them all) are checked together: a statement per visibility key of the
    batch (all staff of a portal share one), on one connection, read after each asked."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reads = CoalescedReads(self._read_batch)

    async def __call__(self, principal: Principal, case_id: int) -> Any | None:
        return await self._reads((principal, case_id))

    async def _read_batch(self, requests: list[tuple[Principal, int]]) -> list[Any | None]:
        wanted: dict[Hashable, tuple[Principal, set[int]]] = {}
        for principal, case_id in requests:
            wanted.setdefault(visibility_key(principal), (principal, set()))[1].add(case_id)
        seen: dict[Hashable, dict[int, Any]] = {}
        async with self.engine.connect() as conn:
            for scope, (principal, case_ids) in wanted.items():
                seen[scope], _ = await visible(conn, principal, case_ids, ())
        return [seen[visibility_key(principal)].get(case_id) for principal, case_id in requests]


async def live_principals(
    conn: AsyncConnection, identities: Iterable[Hashable]
) -> dict[Hashable, Principal | None]:
    """Each credential (an `identity_key`) as the database has it now (None: revoked or
    disabled), in a statement per kind of credential."""
    by_kind: dict[str, set[int]] = {"user": set(), "grant": set(), "key": set()}
    for kind, row_id in identities:  # type: ignore[misc]
        by_kind[kind].add(row_id)
    fresh: dict[Hashable, Principal | None] = {
        (kind, row_id): None for kind, ids in by_kind.items() for row_id in ids
    }
    if by_kind["user"]:
        stmt = user_select().where(User.id == _any(by_kind["user"]))
        for row in await conn.execute(stmt):
            fresh[("user", row.id)] = user_principal(row, row.id)
    if by_kind["grant"]:
        stmt = grant_select().where(CustomerAccessGrant.id == _any(by_kind["grant"]))
        for row in await conn.execute(stmt):
            fresh[("grant", row.id)] = grant_principal(row, row.id)
    if by_kind["key"]:
        stmt = api_key_select().where(ApiKey.id == _any(by_kind["key"]))
        for row in await conn.execute(stmt):
            fresh[("key", row.id)] = api_key_principal(row)
    return fresh


def _any(ids: Collection[int]) -> Any:
    """`= ANY(array)`: one parameter however many ids a batch has (a mass reconnect signs
    in thousands at once), and one prepared statement."""
    return any_(cast(sorted(ids), ARRAY(BigInteger)))

"""What the subscription fields do, below GraphQL: authorize, follow, make each event current.

Each function is an async generator of deliveries; before yielding one it makes the
delivery's fresh principal and loaders current, so the event's selection set renders with
what that principal may see now (shared by every socket of the same permission scope).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from permissions import rules
from resolvers.pagination import decode_id_cursor
from resolvers.subscriptions.context import SocketContext
from resolvers.subscriptions.live import decode_event_cursor
from resolvers.subscriptions.subscriber import Delivery, Subscriber, follow
from server.errors import bad_input, forbidden, not_found

OVER_WEBSOCKET = "Subscriptions are served over WebSocket at /graphql (graphql-transport-ws)."


def _socket(context: Any) -> SocketContext:
    if not isinstance(context, SocketContext) or context.live is None:
        raise bad_input(OVER_WEBSOCKET)
    return context


async def case_events(
    context: Any, kind: str, case_id: int, after: str | None
) -> AsyncIterator[Delivery]:
    """New rows of `kind` ('feed' or 'messages') of one case, after the cursor if given."""
    ctx = _socket(context)
    principal = ctx.require_principal()
    position = decode_id_cursor(after, "after") if after else None
    case = await ctx.live.case_checks(principal, case_id)
    if case is None:
        raise not_found("case")
    if kind == "messages" and not rules.can_read_messages(principal, case):
        raise forbidden("You cannot read the customer chat of this case.")
    subscriber = Subscriber(principal, case_id=case_id, kinds=frozenset({kind}))
    async for delivery in follow(ctx.live.case_tails[kind], subscriber, position):
        ctx.enter(delivery.view.principal, delivery.view.loaders)
        yield delivery


async def viewer_events(
    context: Any, after: str | None, kinds: frozenset[str], feed_types: frozenset[str] | None
) -> AsyncIterator[Delivery]:
    """Messages and feed entries of every case the viewer sees, in commit order."""
    ctx = _socket(context)
    principal = ctx.require_principal()
    position = decode_event_cursor(after) if after else None
    subscriber = Subscriber(principal, kinds=kinds, feed_types=feed_types)
    async for delivery in follow(ctx.live.viewer, subscriber, position):
        ctx.enter(delivery.view.principal, delivery.view.loaders)
        yield delivery


async def viewer_notifications(context: Any, after: str | None) -> AsyncIterator[Delivery]:
    """The viewer's own new in-app notifications (people only), after the cursor if given."""
    ctx = _socket(context)
    principal = ctx.require_principal()
    if principal.user_id is None:
        raise forbidden("Notifications are for signed-in staff and partner users.")
    position = decode_id_cursor(after, "after") if after else None
    subscriber = Subscriber(principal, kinds=frozenset({"notifications"}))
    async for delivery in follow(ctx.live.notifications, subscriber, position):
        ctx.enter(delivery.view.principal, delivery.view.loaders)
        yield delivery

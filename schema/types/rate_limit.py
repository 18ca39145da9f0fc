"""The caller's points budget: what `rateLimit` shows."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.cost import MAX_COST, operation_cost

COST_HELP = (
    "Every operation costs points: one per object it can return (a connection's page "
    "counts `first`/`last` objects, 20 if neither is given; other lists count 10), plus 10 "
    "per mutation field. The estimate is taken from your bucket before the operation runs; "
    "`extensions.cost` on every response shows it with the actual count."
)


@strawberry.type(description="Your points budget. " + COST_HELP)
class RateLimit:
    limit: int = strawberry.field(description="Points your bucket holds when full.")
    remaining: int = strawberry.field(description="Points left after this operation.")
    reset_at: dt.datetime = strawberry.field(description="When your bucket is full again.")
    refill_per_second: float = strawberry.field(
        description="Points your bucket regains per second."
    )
    cost: int = strawberry.field(description="The estimated cost of this operation.")
    max_cost: int = strawberry.field(
        description="The most one operation may cost; more is refused with COST_LIMIT."
    )


async def rate_limit(info: strawberry.Info) -> RateLimit | None:
    ctx = info.context
    settings = ctx.settings
    if settings.rate_limit_points <= 0 or ctx.buckets is None:
        return None
    principal = ctx.principal
    address = ctx.request.client.host if getattr(ctx.request, "client", None) else None
    key = principal.label() if principal is not None else f"ip:{address or 'unknown'}"
    # A look (cost 0): this operation was already charged when it was admitted.
    budget = await ctx.buckets.charge(
        key, 0, capacity=settings.rate_limit_points, refill=settings.rate_limit_refill_per_second
    )
    return RateLimit(
        limit=budget.capacity,
        remaining=budget.remaining,
        reset_at=dt.datetime.fromtimestamp(budget.reset_at, dt.UTC),
        refill_per_second=settings.rate_limit_refill_per_second,
        cost=operation_cost(
            info.schema._schema, info.operation, info._raw_info.fragments, info.variable_values
        ),
        max_cost=MAX_COST,
    )

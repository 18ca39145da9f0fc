"""The insurer's company profile."""

from __future__ import annotations

import strawberry

from resolvers.services.company import set_company_logo
from schema.mutations.runner import UserError, run_mutation
from schema.types.people import Company


@strawberry.type(description="The company after the change, or why nothing changed.")
class CompanyPayload:
    company: Company | None = strawberry.field(description="The insurer's company.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was changed; empty on success."
    )


async def company_set_logo(info: strawberry.Info, logo_url: str | None = None) -> CompanyPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await set_company_logo(session=session, actor=actor, logo_url=logo_url)

    outcome = await run_mutation(info, work)
    company = Company.from_row(outcome.value) if outcome.value else None
    return CompanyPayload(company=company, errors=outcome.errors)

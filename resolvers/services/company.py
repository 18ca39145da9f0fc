"""The insurer's company profile: what its portal shows by default (the logo)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal, Role
from resolvers.services import event_log
from resolvers.services.common import require, text
from resolvers.services.customer_page_settings import ADMIN_LEVEL
from server.db.models import Company
from server.errors import bad_input


async def set_company_logo(
    *, session: AsyncSession, actor: Principal, logo_url: str | None
) -> Company:
    """Set (or clear, with None) the company's default logo: the customer page shows it
    unless its branding names another. Company admins only."""
    require(
        actor.role is Role.STAFF and actor.authority_level >= ADMIN_LEVEL,
        "Only company admins (authority level 6) change the company's logo.",
    )
    url = text(logo_url, "logoUrl", max_length=500, required=False)
    if url is not None and (not url.startswith("https://") or any(c.isspace() for c in url)):
        raise bad_input("'logoUrl' must be an https URL.", "logoUrl")
    company = await session.get(Company, actor.insurer_id, with_for_update=True)
    assert company is not None, "a staff principal's insurer exists"
    if company.logo_url != url:
        await event_log.record(
            session,
            actor=actor,
            insurer_id=actor.insurer_id,
            action="company.setLogo",
            subject_type="Company",
            subject_id=company.id,
            before={"logoUrl": company.logo_url},
            after={"logoUrl": url},
        )
    company.logo_url = url
    return company

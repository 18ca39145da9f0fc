"""A customer grant's holder signs in with the token from their link.

Same answers as `customerLogin` (resolvers.services.customer_login): an unknown, revoked
or malformed link gets one and the same UNAUTHENTICATED. Every successful sign-in adds a
`customer_logins` row (the customer grants report counts them).

SMS codes: the per-case code flow (resolvers.services.sms_codes) is bound to a case
contact and its case grant, which a customer grant does not have. Until codes for
customer grants exist, a portal that requires SMS codes refuses customer grant
sign-in (fails closed) rather than letting a link alone through.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from permissions.customer_page import effective_settings
from resolvers.auth import customer_grant_of_session
from resolvers.services.customer_grants import live_grant_by_token, record_grant_login
from resolvers.services.customer_login import INVALID_LINK, SignIn
from resolvers.services.customer_page import insurer_settings

CODES_UNSUPPORTED = (
    "This portal requires an SMS security code, which links for several customers do not "
    "support yet; ask your case handler for a link to your case."
)


async def sign_in(
    *, session: AsyncSession, link_token: str, code: str | None, secret: str
) -> SignIn:
    """`grant_id` of the outcome is the customer grant's id once signed in."""
    grant = await live_grant_by_token(session, link_token.strip())
    if grant is None:
        return SignIn(problem="UNAUTHENTICATED", message=INVALID_LINK)
    settings = effective_settings(await insurer_settings(session, grant.insurer_id), None)
    if settings.sms_code_required:
        return SignIn(
            problem="UNAUTHENTICATED", message=CODES_UNSUPPORTED, help_text=settings.sms_help_text
        )
    record_grant_login(session, grant)
    return SignIn(grant_id=grant.id)


def grant_case_token_owner(session_token: str, secret: str) -> int:
    """The customer grant of a grant session token (UNAUTHENTICATED otherwise)."""
    return customer_grant_of_session(session_token.strip(), secret)

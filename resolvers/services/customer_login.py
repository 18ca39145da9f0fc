"""A customer signs in with the token from their link, and an SMS code when the portal
asks for one.

Without the SMS setting the link is enough. With it, the first call (no code) sends a
code and answers "code required"; the second (with the code) signs in. An unknown,
revoked or expired link gets one and the same answer, so a token cannot be probed; once
the link is known to be good, failures carry the portal's contact-for-help text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.auth import live_grant_by_token, record_customer_login
from resolvers.services import customer_page, sms_codes

INVALID_LINK = "This link is not valid any more; ask your case handler for a new one."


@dataclass(frozen=True, slots=True)
class SignIn:
    """How a sign-in attempt ended. `grant_id` is set once the customer is signed in."""

    grant_id: int | None = None
    problem: str | None = None  # "UNAUTHENTICATED" or a sms_codes.CodeProblem value
    message: str = ""
    code_required: bool = False
    code_sent_to: str | None = None
    code_expires_at: dt.datetime | None = None
    help_text: str | None = None
    code_verified: bool = False  # signed in with an SMS code (customer grant sessions)


async def sign_in(
    *, session: AsyncSession, link_token: str, code: str | None, secret: str
) -> SignIn:
    grant = await live_grant_by_token(session, link_token.strip())
    state = await customer_page.page_state(session, grant.case_id) if grant else None
    if grant is None or state is None or not state.visible_now():
        return SignIn(problem="UNAUTHENTICATED", message=INVALID_LINK)
    if not state.settings.sms_code_required:
        record_customer_login(session, grant)
        return SignIn(grant_id=grant.id)
    help_text = state.settings.sms_help_text
    if not (code or "").strip():
        sent = await sms_codes.send_code(session, grant=grant, secret=secret)
        return SignIn(
            problem=sent.problem.value if sent.problem else None,
            message=sent.message,
            code_required=True,
            code_sent_to=sent.masked_phone,
            code_expires_at=sent.expires_at,
            help_text=help_text,
        )
    checked = await sms_codes.check_code(session, grant=grant, code=code or "", secret=secret)
    if checked.problem is not None:
        return SignIn(
            problem=checked.problem.value,
            message=checked.message,
            code_required=True,
            help_text=help_text,
        )
    record_customer_login(session, grant)
    return SignIn(grant_id=grant.id, help_text=help_text)

"""A customer grant's holder signs in with the token from their link, and an SMS code
when the portal asks for one.

Same answers as `customerLogin` (resolvers.services.customer_login): an unknown, revoked
or malformed link gets one and the same UNAUTHENTICATED; with the portal's
`sms_code_required` the first call sends a code to the holder's phone and the second
signs in with it, under the same limits as case links (resolvers.services.sms_codes:
validity, attempts, codes per window). Codes live in `customer_grant_codes`, bound to the
grant. Every successful sign-in adds a `customer_logins` row.

The session token records whether a code was given. Opening a case whose own settings
require a code (a case override, the portal not) with a session that gave none asks for
a code the same way (`open_case`), so no case is opened with less than it asks for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.customer_page import effective_settings
from resolvers.auth import customer_grant_of_session
from resolvers.services import customer_grants, notification_texts
from resolvers.services.customer_grants import live_grant_by_token, record_grant_login
from resolvers.services.customer_login import INVALID_LINK, SignIn
from resolvers.services.customer_page import insurer_settings
from resolvers.services.notifications import Channel
from resolvers.services.sms_codes import (
    CODE_DIGITS,
    CODE_TTL,
    MAX_ATTEMPTS,
    MAX_CODES_PER_WINDOW,
    RATE_WINDOW,
    CodeOutcome,
    CodeProblem,
    mask_phone,
)
from server.db.casework import CustomerGrant, CustomerGrantCode


async def sign_in(
    *, session: AsyncSession, link_token: str, code: str | None, secret: str
) -> SignIn:
    """`grant_id` of the outcome is the customer grant's id once signed in."""
    grant = await live_grant_by_token(session, link_token.strip())  # locked: codes serialise
    if grant is None:
        return SignIn(problem="UNAUTHENTICATED", message=INVALID_LINK)
    settings = effective_settings(await insurer_settings(session, grant.insurer_id), None)
    if not settings.sms_code_required:
        record_grant_login(session, grant)
        return SignIn(grant_id=grant.id)
    help_text = settings.sms_help_text
    stop = await _code_step(session, grant, code, secret, help_text)
    if stop is not None:
        return stop
    record_grant_login(session, grant)
    return SignIn(grant_id=grant.id, help_text=help_text, code_verified=True)


async def _code_step(
    session: AsyncSession, grant: Any, code: str | None, secret: str, help_text: str | None
) -> SignIn | None:
    """The SMS code step: without `code` one is sent (the outcome says where); a wrong
    code is the outcome's problem; None once the code checks out."""
    if not (code or "").strip():
        sent = await send_code(session, grant=grant, secret=secret)
        return SignIn(
            problem=sent.problem.value if sent.problem else None,
            message=sent.message,
            code_required=True,
            code_sent_to=sent.masked_phone,
            code_expires_at=sent.expires_at,
            help_text=help_text,
        )
    checked = await check_code(session, grant=grant, code=code or "", secret=secret)
    if checked.problem is not None:
        return SignIn(
            problem=checked.problem.value, message=checked.message, code_required=True,
            help_text=help_text,
        )  # fmt: skip
    return None


async def open_case(
    *,
    session: AsyncSession,
    grant_id: int,
    case_id: int,
    code_verified: bool,
    code: str | None,
    secret: str,
) -> SignIn:
    """Open a covered case (customer_grants.open_case); `grant_id` of the outcome is the
    case grant's id once opened. A case whose effective settings require an SMS code,
    with a session that gave none at sign-in, asks for one as `sign_in` does: without
    `code` one is sent to the holder's phone, with it the code is checked first."""
    grant, state = await customer_grants.case_to_open(session, grant_id=grant_id, case_id=case_id)
    settings = state.settings
    if settings.sms_code_required and not code_verified:
        stop = await _code_step(session, grant, code, secret, settings.sms_help_text)
        if stop is not None:
            return stop
    case_grant_id = await customer_grants.open_case(session, grant=grant, case_id=case_id)
    return SignIn(grant_id=case_grant_id)


def grant_case_token_owner(session_token: str, secret: str) -> int:
    """The customer grant of a grant session token (UNAUTHENTICATED otherwise)."""
    return customer_grant_of_session(session_token.strip(), secret)


def _hash(secret: str, grant_id: int, code: str) -> str:
    # Its own domain: case grant codes hash "<case grant id>:<code>".
    message = f"customer-grant:{grant_id}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def send_code(
    session: AsyncSession, *, grant: CustomerGrant, secret: str, now: dt.datetime | None = None
) -> CodeOutcome:
    """A new code to the holder's phone, unless they have none or asked too often; the
    caller holds the grant's row lock, so count-then-insert is atomic across processes."""
    now = now or dt.datetime.now(dt.UTC)
    phone = (grant.phone or "").strip()
    if not re.search(r"\d{3}", phone):
        return CodeOutcome(
            CodeProblem.PHONE_MISSING,
            "We have no mobile number for you, so we cannot send a security code.",
        )
    recent = await session.scalar(
        select(func.count())
        .select_from(CustomerGrantCode)
        .where(
            CustomerGrantCode.grant_id == grant.id, CustomerGrantCode.created_at > now - RATE_WINDOW
        )
    )
    if (recent or 0) >= MAX_CODES_PER_WINDOW:
        minutes = int(RATE_WINDOW.total_seconds() // 60)
        return CodeOutcome(
            CodeProblem.RATE_LIMITED,
            f"Too many codes requested; wait {minutes} minutes and try again.",
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    expires_at = now + CODE_TTL
    session.add(
        CustomerGrantCode(
            insurer_id=grant.insurer_id, grant_id=grant.id, code_hash=_hash(secret, grant.id, code),
            created_at=now, expires_at=expires_at,
        )
    )  # fmt: skip
    minutes = int(CODE_TTL.total_seconds() // 60)
    await notification_texts.send(
        session, kind="customer_login_code", channel=Channel.SMS, recipient=phone,
        insurer_id=grant.insurer_id, values={"code": code, "minutes": minutes},
    )  # fmt: skip
    return CodeOutcome(masked_phone=mask_phone(phone), expires_at=expires_at)


async def check_code(
    session: AsyncSession,
    *,
    grant: CustomerGrant,
    code: str,
    secret: str,
    now: dt.datetime | None = None,
) -> CodeOutcome:
    """Accept the grant's latest code once; a wrong code costs an attempt (the caller
    commits either way)."""
    now = now or dt.datetime.now(dt.UTC)
    stmt = (
        select(CustomerGrantCode)
        .where(CustomerGrantCode.grant_id == grant.id)
        .order_by(CustomerGrantCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    latest = (await session.execute(stmt)).scalar_one_or_none()
    if latest is None:
        return CodeOutcome(CodeProblem.INVALID, "No code has been sent yet; ask for one first.")
    if latest.used_at is not None or latest.expires_at <= now:
        return CodeOutcome(CodeProblem.EXPIRED, "This code has expired; ask for a new one.")
    exceeded = CodeOutcome(
        CodeProblem.ATTEMPTS_EXCEEDED, "Too many wrong codes; ask for a new one."
    )
    if latest.attempts >= MAX_ATTEMPTS:
        return exceeded
    if not hmac.compare_digest(latest.code_hash, _hash(secret, grant.id, code.strip())):
        latest.attempts += 1
        left = MAX_ATTEMPTS - latest.attempts
        if left <= 0:
            return exceeded
        return CodeOutcome(CodeProblem.INVALID, f"The code is not right; {left} attempts left.")
    latest.used_at = now
    return CodeOutcome()

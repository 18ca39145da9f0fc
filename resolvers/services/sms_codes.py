"""SMS security codes for signing in to the customer page.

With the portal's `sms_code_required` on, a link alone does not sign a customer in: a
6-digit code goes to the contact's phone and must come back within `CODE_TTL`, in at most
`MAX_ATTEMPTS` tries. Codes are stored as an HMAC (keyed by the server's secret and bound
to the grant), so a leaked table does not give working codes. Sending is rate-limited per
contact by counting rows in SQL under a lock on the contact, so every process shares it.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.services import notification_texts
from resolvers.services.notifications import Channel
from server.db.models import CaseContact, CustomerAccessGrant, OneTimeCode

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RATE_WINDOW = dt.timedelta(minutes=15)
MAX_CODES_PER_WINDOW = 3


class CodeProblem(enum.StrEnum):
    """Why no code was sent or a code was not accepted."""

    PHONE_MISSING = "PHONE_MISSING"
    RATE_LIMITED = "CODE_RATE_LIMITED"
    INVALID = "CODE_INVALID"
    EXPIRED = "CODE_EXPIRED"
    ATTEMPTS_EXCEEDED = "CODE_ATTEMPTS_EXCEEDED"


@dataclass(frozen=True, slots=True)
class CodeOutcome:
    """A problem and what to tell the customer, or (problem None) success."""

    problem: CodeProblem | None = None
    message: str = ""
    masked_phone: str | None = None
    expires_at: dt.datetime | None = None


def code_hash(secret: str, grant_id: int, code: str) -> str:
    return hmac.new(secret.encode(), f"{grant_id}:{code}".encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """'+47 911 00 123' -> '+47 ••• •• 123': enough to recognise one's own number."""
    digits = re.sub(r"\D", "", phone)
    prefix = phone.strip()[:3] + " " if phone.strip().startswith("+") else ""
    return f"{prefix}••• •• {digits[-3:]}"


async def send_code(
    session: AsyncSession,
    *,
    grant: CustomerAccessGrant,
    secret: str,
    now: dt.datetime | None = None,
) -> CodeOutcome:
    """Send a new code to the grant's contact, unless they have no phone or have asked
    for too many codes lately. The SMS is queued in this transaction."""
    now = now or dt.datetime.now(dt.UTC)
    # The lock makes count-then-insert atomic per contact, across processes.
    contact = await session.get(CaseContact, grant.contact_id, with_for_update=True)
    phone = (contact.phone or "").strip() if contact else ""
    if contact is None or not re.search(r"\d{3}", phone):
        return CodeOutcome(
            CodeProblem.PHONE_MISSING,
            "We have no mobile number for you, so we cannot send a security code.",
        )
    recent = await session.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(OneTimeCode.contact_id == contact.id, OneTimeCode.created_at > now - RATE_WINDOW)
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
        OneTimeCode(
            insurer_id=grant.insurer_id,
            grant_id=grant.id,
            contact_id=contact.id,
            code_hash=code_hash(secret, grant.id, code),
            created_at=now,
            expires_at=expires_at,
        )
    )
    minutes = int(CODE_TTL.total_seconds() // 60)
    await notification_texts.send(
        session,
        kind="customer_login_code",
        channel=Channel.SMS,
        recipient=phone,
        insurer_id=grant.insurer_id,
        case_id=grant.case_id,
        values={"code": code, "minutes": str(minutes)},
    )
    return CodeOutcome(masked_phone=mask_phone(phone), expires_at=expires_at)


async def check_code(
    session: AsyncSession,
    *,
    grant: CustomerAccessGrant,
    code: str,
    secret: str,
    now: dt.datetime | None = None,
) -> CodeOutcome:
    """Accept the grant's latest code once. A wrong code costs an attempt; the caller
    commits either way, so attempts count even when sign-in fails."""
    now = now or dt.datetime.now(dt.UTC)
    stmt = (
        select(OneTimeCode)
        .where(OneTimeCode.grant_id == grant.id)
        .order_by(OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    latest = (await session.execute(stmt)).scalar_one_or_none()
    if latest is None:
        return CodeOutcome(CodeProblem.INVALID, "No code has been sent yet; ask for one first.")
    if latest.used_at is not None or latest.expires_at <= now:
        return CodeOutcome(CodeProblem.EXPIRED, "This code has expired; ask for a new one.")
    if latest.attempts >= MAX_ATTEMPTS:
        return CodeOutcome(
            CodeProblem.ATTEMPTS_EXCEEDED, "Too many wrong codes; ask for a new one."
        )
    expected = code_hash(secret, grant.id, code.strip())
    if not hmac.compare_digest(latest.code_hash, expected):
        latest.attempts += 1
        left = MAX_ATTEMPTS - latest.attempts
        if left <= 0:
            return CodeOutcome(
                CodeProblem.ATTEMPTS_EXCEEDED, "Too many wrong codes; ask for a new one."
            )
        return CodeOutcome(CodeProblem.INVALID, f"The code is not right; {left} attempts left.")
    latest.used_at = now
    return CodeOutcome()

"""Sign-in: passwords, signed bearer tokens, API keys and customer link tokens.

Two kinds of bearer credential reach the server:
- `eyJ…` a signed token from `login` or `customerLogin` (HS256, short-lived), naming a
  user or a customer access grant; both are looked up on every request, so deactivating
  a user or revoking a grant takes effect at once;
- `cgk_<prefix>_<secret>` an API key of an integration client.
Customer link tokens (`cgc_…`) are only exchanged for a signed token by `customerLogin`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import time
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from permissions.principal import Principal, Role
from resolvers.services import customer_page
from server.db.casework import CustomerGrant, CustomerGrantCustomer, CustomerLogin
from server.db.models import (
    ApiKey,
    Case,
    Company,
    CustomerAccessGrant,
    ExternalCaseHandlerRole,
    User,
)
from server.errors import AppError, unauthenticated

_hasher = PasswordHasher()
_ALGORITHM = "HS256"
API_KEY_PREFIX = "cgk_"
LINK_TOKEN_PREFIX = "cgc_"
# The subject kind of a signed customer grant session (`customerGrantLogin`): it only
# lists and opens the covered cases, never acts as a bearer principal itself.
CUSTOMER_GRANT_SESSION = "customer-grant"
# Why a well-formed credential is refused: what the database says of it now.
USER_GONE = "This account is disabled or no longer exists."
GRANT_GONE = "This customer access has been revoked or has expired."


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


_API_KEY_LOOKUP = re.compile(r"[0-9a-f]{12}")  # secrets.token_hex(6)


def new_api_key() -> tuple[str, str, str]:
    """(full key shown once, lookup prefix, stored hash)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}{prefix}_{secret}", prefix, sha256_hex(secret)


def new_link_token() -> tuple[str, str]:
    """(token for the customer's link, stored hash)."""
    token = LINK_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, sha256_hex(token)


def issue_token(claims: dict[str, Any], key: str, ttl_seconds: int) -> tuple[str, dt.datetime]:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl_seconds)
    token = jwt.encode({**claims, "exp": expires}, key, algorithm=_ALGORITHM)
    return token, expires


def user_claims(user: Any) -> dict[str, Any]:
    """Who the token is for, and a hint of their standing at sign-in (role, portal,
    company, office, level). The hint is never trusted: the compiled read path checks it
    against the database inside its own statement, everything else reads the user fresh."""
    return {
        "sub": f"user:{user.id}",
        "hint": [user.kind, user.insurer_id, user.company_id, user.office_id, user.authority_level],
    }


def customer_claims(grant: Any) -> dict[str, Any]:
    """The grant. No hint: a customer's view depends on the case's milestones, so every
    customer request reads the database (and takes the resolver path)."""
    return {"sub": f"grant:{grant.id}"}


def customer_grant_session_claims(grant_id: int, *, code_verified: bool) -> dict[str, Any]:
    """A grant session (`customerGrantLogin`): names the customer grant, and whether the
    holder gave an SMS code at sign-in (a case whose own settings require a code asks for
    one on opening otherwise)."""
    return {"sub": f"{CUSTOMER_GRANT_SESSION}:{grant_id}", "sms": code_verified}


def grant_session_code_verified(token: str, key: str) -> bool:
    """Whether a grant session token (checked by `customer_grant_of_session`) was issued
    after an SMS code; False for anything else."""
    try:
        return _verified_claims(token.strip(), key).get("sms") is True
    except AppError:
        return False


def customer_grant_of_session(token: str, key: str) -> int:
    """The customer grant a signed, unexpired grant session token names; UNAUTHENTICATED
    otherwise (whether the grant is still live is for the caller to check)."""
    claims = _verified_claims(token, key)
    kind, _, subject = str(claims.get("sub", "")).partition(":")
    if claims.get("exp", 0) <= time.time():
        raise unauthenticated("The session has expired; sign in again.")
    if kind != CUSTOMER_GRANT_SESSION or not (subject.isascii() and subject.isdigit()):
        raise unauthenticated("This is not a customer grant session token.")
    return int(subject)


def principal_hint(token: str, key: str) -> Principal | None:
    """The principal a signed, unexpired token claims to be, without asking the database;
    None for anything else (API keys, old tokens, bad signatures). Callers must verify it
    (see resolvers.compiled.sql.principal_guard) before trusting it."""
    if token.startswith(API_KEY_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        principal, expires = _hinted_principal(token, key)
    except _NoHint:
        return None
    return principal if expires > time.time() else None


MAX_TOKEN_LENGTH = 4096  # ours are ~300 characters; longer ones are not worth a lookup


class _NoHint(Exception):
    """Raised, not returned, so that only tokens that do carry a hint are cached."""


@functools.lru_cache(maxsize=10_000)
def _hinted_principal(token: str, key: str) -> tuple[Principal, float]:
    """(the principal a token's hint names, its expiry), built once per token: a client
    sends the same token with every request, and a Principal costs microseconds to build."""
    try:
        claims = _verified_claims(token, key)
    except AppError as exc:
        raise _NoHint from exc
    hint, (kind, _, subject) = claims.get("hint"), str(claims.get("sub", "")).partition(":")
    expires = claims.get("exp", 0)
    if not isinstance(hint, list) or not isinstance(expires, int | float) or not subject.isdigit():
        raise _NoHint
    if kind != "user":
        raise _NoHint
    try:
        user_kind, insurer_id, company_id, office_id, level = hint
        row = _Hint(kind=user_kind, insurer_id=insurer_id, company_id=company_id,
                    office_id=office_id, authority_level=level)  # fmt: skip
        return user_principal(row, int(subject)), expires
    except (TypeError, ValueError) as exc:
        raise _NoHint from exc


class _Hint:
    """Attribute access over a token hint, shaped like the rows the builders take."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


async def principal_from_bearer(engine: AsyncEngine, token: str, key: str) -> Principal:
    """Resolve a bearer credential to a principal, or raise UNAUTHENTICATED."""
    kind, subject = bearer_subject(token, key)
    if kind == "key":
        return await _principal_from_api_key(engine, *subject)
    if kind == "grant":
        return await _principal_from_grant(engine, subject)
    return await _principal_from_user(engine, subject)


def bearer_subject(token: str, key: str) -> tuple[str, Any]:
    """Whom a bearer credential names, before the database is asked: ("user", id),
    ("grant", id) or ("key", (prefix, secret)); UNAUTHENTICATED when it cannot be valid."""
    if token.startswith(API_KEY_PREFIX):
        try:
            prefix, secret = token[len(API_KEY_PREFIX) :].split("_", 1)
        except ValueError as exc:
            raise unauthenticated("The API key is malformed.") from exc
        if not _API_KEY_LOOKUP.fullmatch(prefix):  # what new_api_key issues; never sent on
            raise unauthenticated("The API key is unknown or revoked.")
        return "key", (prefix, secret)
    claims = _verified_claims(token, key)
    if claims.get("exp", 0) <= time.time():
        raise unauthenticated("The token has expired; sign in again.")
    kind, _, subject = str(claims.get("sub", "")).partition(":")
    if not subject.isascii() or not subject.isdigit():
        raise unauthenticated("The token is not valid.")
    if kind == CUSTOMER_GRANT_SESSION:
        raise unauthenticated(
            "A customer grant session only lists and opens cases (grantCases, grantOpenCase)."
        )
    return ("grant" if kind == "grant" else "user"), int(subject)


@functools.lru_cache(maxsize=10_000)
def _verified_claims(token: str, key: str) -> dict[str, Any]:
    """The token's claims once its signature is verified; cached, since a signature check
    is the dearest part of every request and its outcome never changes (expiry is checked
    by the caller on every use)."""
    try:
        return jwt.decode(token, key, algorithms=[_ALGORITHM], options={"verify_exp": False})
    except jwt.PyJWTError as exc:
        raise unauthenticated("The token is not valid.") from exc


@functools.cache  # built once: callers only add a WHERE (Select is generative)
def user_select() -> Select[Any]:
    """Active users with what their principal needs, including the portal's rights for
    the external case handler role."""
    rights = (
        select(ExternalCaseHandlerRole.rights)
        .where(ExternalCaseHandlerRole.insurer_id == User.insurer_id)
        .scalar_subquery()
    )
    return select(
        User.id, User.insurer_id, User.company_id, User.office_id, User.kind,
        User.authority_level, rights.label("ech_rights"),
    ).where(User.active.is_(True))  # fmt: skip


async def _principal_from_user(engine: AsyncEngine, user_id: int) -> Principal:
    """The user as the database has them now: a deactivated user, or one whose office or
    authority changed, is not trusted on an older token's word."""
    stmt = user_select().where(User.id == user_id)
    async with engine.connect() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise unauthenticated(USER_GONE)
    return user_principal(row, user_id)


def user_principal(user: Any, user_id: int) -> Principal:
    """The principal of a staff or partner user row."""
    staff = user.kind == "staff"
    return Principal(
        role=Role.STAFF if staff else Role.PARTNER,
        insurer_id=user.insurer_id,
        user_id=user_id,
        company_id=user.company_id,
        office_id=user.office_id,
        authority_level=user.authority_level if staff else 0,
        # Token hints carry no rights: the compiled path reads nothing that needs them.
        ech_rights=frozenset(getattr(user, "ech_rights", None) or ()) if not staff else frozenset(),
    )


@functools.cache  # built once: callers only add a WHERE (Select is generative)
def grant_select() -> Select[Any]:
    """Live grants with what their principal needs: the case and its customer page."""
    stmt = select(
        CustomerAccessGrant.id,
        CustomerAccessGrant.case_id,
        CustomerAccessGrant.contact_id,
        Case.insurer_id,
        *customer_page.state_columns(),
    ).join(Case, Case.id == CustomerAccessGrant.case_id)
    return customer_page.join_settings(stmt).where(
        CustomerAccessGrant.revoked_at.is_(None), customer_grant_covers_case()
    )


def customer_grant_covers_case() -> ColumnElement[bool]:
    """A case grant opened through a customer grant lives only while that grant is live
    and still covers the case's customer (revoked, customer removed, case moved to another
    customer: every request and live subscription of it ends at once)."""
    covered = (
        select(CustomerGrant.id)
        .join(CustomerGrantCustomer, CustomerGrantCustomer.grant_id == CustomerGrant.id)
        .where(
            CustomerGrant.id == CustomerAccessGrant.customer_grant_id,
            CustomerGrant.revoked_at.is_(None),
            CustomerGrant.insurer_id == Case.insurer_id,
            CustomerGrantCustomer.customer_id == Case.customer_id,
        )
        .exists()
    )
    return or_(CustomerAccessGrant.customer_grant_id.is_(None), covered)


async def _principal_from_grant(engine: AsyncEngine, grant_id: int) -> Principal:
    async with engine.connect() as conn:
        row = (await conn.execute(grant_select().where(CustomerAccessGrant.id == grant_id))).first()
    principal = grant_principal(row, grant_id) if row is not None else None
    if principal is None:
        raise unauthenticated(GRANT_GONE)
    return principal


def grant_principal(grant: Any, grant_id: int) -> Principal | None:
    """The principal of a live customer access grant (a `grant_select` row), or None once
    its case has been closed longer than the customer page shows closed cases."""
    page = customer_page.PageState.from_row(grant)
    if not page.visible_now():
        return None
    return Principal(
        role=Role.CUSTOMER,
        insurer_id=grant.insurer_id,
        case_id=grant.case_id,
        contact_id=grant.contact_id,
        grant_id=grant_id,
        customer=page.view(),
    )


@functools.cache  # built once: callers only add a WHERE (Select is generative)
def api_key_select() -> Select[Any]:
    """Live API keys with what their principal needs, and the hash to check the secret."""
    return (
        select(ApiKey.id, ApiKey.insurer_id, ApiKey.company_id, ApiKey.scopes)
        .add_columns(ApiKey.prefix, ApiKey.key_hash, Company.kind)
        .join(Company, Company.id == ApiKey.company_id)
        .where(ApiKey.revoked_at.is_(None))
    )


async def _principal_from_api_key(engine: AsyncEngine, prefix: str, secret: str) -> Principal:
    async with engine.connect() as conn:
        row = (await conn.execute(api_key_select().where(ApiKey.prefix == prefix))).first()
    return api_key_with_secret(row, secret)


def api_key_with_secret(row: Any | None, secret: str) -> Principal:
    """The principal of an `api_key_select` row if `secret` is its secret."""
    if row is None or not hmac.compare_digest(row.key_hash, sha256_hex(secret)):
        raise unauthenticated("The API key is unknown or revoked.")
    return api_key_principal(row)


def api_key_principal(key: Any) -> Principal:
    """The principal of a live API key row (id, insurer_id, company_id, scopes, kind)."""
    return Principal(
        role=Role.INTEGRATION,
        insurer_id=key.insurer_id,
        company_id=key.company_id,
        api_key_id=key.id,
        scopes=frozenset(key.scopes),
        partner_integration=key.kind == "partner",
    )


async def authenticate_user(engine: AsyncEngine, email: str, password: str) -> Any | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    async with engine.connect() as conn:
        stmt = select(*User.__table__.c).where(
            User.email == email.strip().lower(), User.active.is_(True)
        )
        user = (await conn.execute(stmt)).first()
    if user is None:
        verify_password(_DUMMY_HASH, password)  # same cost either way: no user-enumeration timing
        return None
    return user if verify_password(user.password_hash, password) else None


async def live_grant_by_token(session: AsyncSession, token: str) -> CustomerAccessGrant | None:
    """The live grant a customer's link token names, locked for this sign-in; None for
    an unknown, malformed or revoked token alike (the caller answers all three the same)."""
    if not token.startswith(LINK_TOKEN_PREFIX):
        return None
    stmt = (
        select(CustomerAccessGrant)
        .where(
            CustomerAccessGrant.token_hash == sha256_hex(token),
            CustomerAccessGrant.revoked_at.is_(None),
            CustomerAccessGrant.customer_grant_id.is_(None),  # those have no link
        )
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def record_customer_login(session: AsyncSession, grant: CustomerAccessGrant) -> None:
    """Count a completed sign-in (the access list shows last login and how many; the
    customer grants report counts `customer_logins` rows per month)."""
    grant.last_login_at = dt.datetime.now(dt.UTC)
    grant.login_count = CustomerAccessGrant.login_count + 1
    session.add(CustomerLogin(insurer_id=grant.insurer_id, case_grant_id=grant.id))


_DUMMY_HASH = _hasher.hash("not a real password")

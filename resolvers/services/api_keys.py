"""API keys for integration clients: created and revoked by the portal's admins."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal, Role, Scope
from resolvers.auth import new_api_key
from resolvers.services import event_log
from resolvers.services.common import portal_row, require, text
from resolvers.services.outbox import Outbox
from server.db.models import ApiKey, Company
from server.errors import bad_input, not_found

ADMIN_ONLY = "Only company admins (authority level 6) manage API keys."
ADMIN_LEVEL = 6


def _require_admin(actor: Principal) -> None:
    require(actor.role is Role.STAFF and actor.authority_level >= ADMIN_LEVEL, ADMIN_ONLY)


async def create_api_key(
    *,
    session: AsyncSession,
    actor: Principal,
    name: str,
    scopes: list[str],
    company_id: int | None,
) -> tuple[ApiKey, str]:
    """A new key for the insurer itself or a partner company of its portal; the secret is
    returned once and only its hash is kept."""
    _require_admin(actor)
    known = {scope.value for scope in Scope}
    unknown = sorted(set(scopes) - known)
    if unknown:
        raise bad_input(f"Unknown scopes: {', '.join(unknown)}.", "scopes")
    if not scopes:
        raise bad_input("Give the key at least one scope.", "scopes")
    owner = actor.insurer_id
    if company_id is not None and company_id != actor.insurer_id:
        company = await portal_row(session, Company, company_id, actor.insurer_id, "company")
        owner = company.id
    full, prefix, key_hash = new_api_key()
    key = ApiKey(
        insurer_id=actor.insurer_id,
        company_id=owner,
        name=text(name, "name", max_length=200),
        prefix=prefix,
        key_hash=key_hash,
        scopes=sorted(set(scopes)),
    )
    session.add(key)
    await session.flush()
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="apiKey.create",
        subject_type="ApiKey",
        subject_id=key.id,
        after={"name": key.name, "prefix": prefix, "scopes": key.scopes, "companyId": owner},
    )
    return key, full


async def revoke_api_key(
    *, session: AsyncSession, actor: Principal, key_id: int, outbox: Outbox | None = None
) -> ApiKey:
    _require_admin(actor)
    key = await session.get(ApiKey, key_id, with_for_update=True)
    if key is None or key.insurer_id != actor.insurer_id:
        raise not_found("API key")
    if key.revoked_at is None:
        key.revoked_at = func.now()
        await event_log.record(
            session,
            actor=actor,
            insurer_id=actor.insurer_id,
            action="apiKey.revoke",
            subject_type="ApiKey",
            subject_id=key.id,
            before={"name": key.name, "prefix": key.prefix, "revoked": False},
            after={"name": key.name, "prefix": key.prefix, "revoked": True},
        )
        if outbox is not None:  # open subscriptions of the key end at once
            outbox.access_changed(key.insurer_id)
    return key

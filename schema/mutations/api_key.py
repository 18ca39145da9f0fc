"""API keys for integration clients (company admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from permissions.principal import Scope
from resolvers.services import api_keys
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id, encode_global_id

ApiScope = strawberry.enum(
    Scope,
    name="ApiScope",
    description="What an API key may do: cases:read, cases:write, budgets:read, "
    "messages:read, messages:write, comments:read, comments:write, documents:write.",
)


@strawberry.type(description="An API key of an integration client (the secret is never shown).")
class ApiKeyInfo:
    id: strawberry.ID = strawberry.field(description="Global id, for `apiKeyRevoke`.")
    name: str = strawberry.field(description="What the key is for.")
    prefix: str = strawberry.field(description="Public part of the key, to recognise it.")
    scopes: list[str] = strawberry.field(description="Granted scopes.")
    revoked_at: dt.datetime | None = strawberry.field(description="When it was revoked.")

    @classmethod
    def from_row(cls, row: Any) -> ApiKeyInfo:
        return cls(
            id=encode_global_id("ApiKey", row.id),
            name=row.name,
            prefix=row.prefix,
            scopes=list(row.scopes),
            revoked_at=row.revoked_at,
        )


@strawberry.input(description="A new API key.")
class ApiKeyCreateInput:
    name: str = strawberry.field(description="What the key is for, e.g. 'Claims system'.")
    scopes: list[ApiScope] = strawberry.field(description="What it may do.")  # type: ignore[valid-type]
    company_id: strawberry.ID | None = strawberry.field(
        default=None, description="A partner company of the portal; default the insurer itself."
    )


@strawberry.type(description="A new API key; `key` is shown only this once.")
class ApiKeyCreatePayload:
    key: str | None = strawberry.field(description="Send as 'Authorization: Bearer <key>'.")
    api_key: ApiKeyInfo | None = strawberry.field(description="The key's details.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of revoking an API key.")
class ApiKeyRevokePayload:
    api_key: ApiKeyInfo | None = strawberry.field(description="The revoked key.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


async def api_key_create(info: strawberry.Info, input: ApiKeyCreateInput) -> ApiKeyCreatePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        company = (
            decode_typed_id(input.company_id, "Company", "companyId") if input.company_id else None
        )
        return await api_keys.create_api_key(
            session=session,
            actor=actor,
            name=input.name,
            scopes=[scope.value for scope in input.scopes],
            company_id=company,
        )

    outcome = await run_mutation(info, work)
    if outcome.value is None:
        return ApiKeyCreatePayload(key=None, api_key=None, errors=outcome.errors)
    row, full = outcome.value
    return ApiKeyCreatePayload(key=full, api_key=ApiKeyInfo.from_row(row), errors=[])


async def api_key_revoke(info: strawberry.Info, id: strawberry.ID) -> ApiKeyRevokePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        key = await api_keys.revoke_api_key(
            session=session,
            outbox=outbox,
            actor=actor,
            key_id=decode_typed_id(id, "ApiKey", "id"),
        )
        await session.flush()
        await session.refresh(key)
        return key

    outcome = await run_mutation(info, work)
    row = outcome.value
    return ApiKeyRevokePayload(
        api_key=ApiKeyInfo.from_row(row) if row else None, errors=outcome.errors
    )

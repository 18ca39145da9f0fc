"""Helpers for customer access: portal settings written straight into the database,
the notifications a case queued, and a way to keep the app's own dispatcher out of a
test that runs dispatchers itself."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from schema.node import decode_global_id
from tests.customer_page.helpers import set_portal_settings as configure  # noqa: F401
from tests.factories import gid
from tests.graphql import gql
from tests.subscriptions.conftest import ws_url  # noqa: F401  (a real server for WebSockets)

CASE_CREATE = """
mutation ($input: CaseCreateInput!) {
  caseCreate(input: $input) { case { id } errors { code field message } }
}"""
CUSTOMER_LOGIN = """
mutation ($token: String!, $code: String) {
  customerLogin(accessToken: $token, code: $code) {
    token codeRequired codeSentTo codeExpiresAt helpText errors { code field message }
  }
}"""
LINK_TOKEN = re.compile(r"token=(cgc_[A-Za-z0-9_-]+)")


async def notifications(engine: AsyncEngine, case_id: int, kind: str) -> list[Any]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT id, channel, recipient, subject, body, sent_at FROM notifications"
                " WHERE case_id = :c AND kind = :k ORDER BY id"
            ),
            {"c": case_id, "k": kind},
        )
        return list(result)


def link_token(body: str) -> str:
    match = LINK_TOKEN.search(body)
    assert match, body
    return match.group(1)


def contact_input(role: str, name: str, email: str | None, phone: str | None) -> dict[str, Any]:
    return {"role": role, "name": name, "email": email, "phone": phone}


async def create_case(client: Any, portal: Any, contacts: list[dict[str, Any]]) -> int:
    variables = {
        "input": {
            "damageType": "WATER",
            "street": "Storgata 1",
            "postalCode": "0155",
            "city": "Oslo",
            "contacts": contacts,
        }
    }
    result = await gql(client, CASE_CREATE, variables, token=portal.tokens["staff"])
    payload = result["data"]["caseCreate"]
    assert payload["errors"] == [], payload
    return decode_global_id(payload["case"]["id"])[1]


async def login(client: Any, token: str, code: str | None = None) -> dict[str, Any]:
    result = await gql(client, CUSTOMER_LOGIN, {"token": token, "code": code})
    assert "errors" not in result, result
    return result["data"]["customerLogin"]  # type: ignore[no-any-return]


def case_gid(case_id: int) -> str:
    return gid("Case", case_id)

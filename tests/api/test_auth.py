"""Signing in: passwords, bearer tokens, API keys, customer links; and what happens
without them."""

from __future__ import annotations

import datetime as dt

import jwt
from sqlalchemy import text

from resolvers.auth import user_claims
from tests.factories import PASSWORD, gid
from tests.graphql import error_codes, gql

LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { token expiresAt user { name } errors { code message } }
}"""
CUSTOMER_LOGIN = """
mutation ($token: String!) {
  customerLogin(accessToken: $token) { token errors { code message } }
}"""
GRANT = """
mutation ($input: CustomerAccessGrantInput!) {
  customerAccessGrant(input: $input) { accessToken errors { code message } }
}"""
VIEWER = "{ viewer { role user { name } case { number } } }"


async def test_login_with_password_gives_a_working_token(client, world):
    portal = world.portal
    result = await gql(client, LOGIN, {"email": portal.handler.email.upper(), "password": PASSWORD})
    login = result["data"]["login"]
    assert login["errors"] == [] and login["user"]["name"] == "Hans Handler"
    viewer = await gql(client, VIEWER, token=login["token"])
    assert viewer["data"]["viewer"]["user"]["name"] == "Hans Handler"


async def test_wrong_password_and_unknown_email_look_the_same(client, world):
    portal = world.portal
    wrong = await gql(client, LOGIN, {"email": portal.handler.email, "password": "nope"})
    unknown = await gql(client, LOGIN, {"email": "nobody@test.casegraph", "password": "nope"})
    assert wrong["data"]["login"] == unknown["data"]["login"]
    assert wrong["data"]["login"]["token"] is None
    assert wrong["data"]["login"]["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_customer_link_flow_and_revocation(client, world, engine):
    portal = world.portal
    granted = await gql(
        client,
        GRANT,
        {
            "input": {
                "caseId": gid("Case", portal.case.id),
                "contactId": gid("CaseContact", portal.contact.id),
            }
        },
        token=portal.tokens["staff"],
    )
    link_token = granted["data"]["customerAccessGrant"]["accessToken"]
    assert link_token.startswith("cgc_")
    login = await gql(client, CUSTOMER_LOGIN, {"token": link_token})
    token = login["data"]["customerLogin"]["token"]
    viewer = await gql(client, VIEWER, token=token)
    assert viewer["data"]["viewer"] == {
        "role": "CUSTOMER",
        "user": None,
        "case": {"number": portal.case.number},
    }
    # A new grant for the same contact replaces the old link; the old token stops working.
    await gql(
        client,
        GRANT,
        {
            "input": {
                "caseId": gid("Case", portal.case.id),
                "contactId": gid("CaseContact", portal.contact.id),
            }
        },
        token=portal.tokens["staff"],
    )
    after = await gql(client, VIEWER, token=token)
    assert error_codes(after) == ["UNAUTHENTICATED"]
    assert "revoked" in after["errors"][0]["message"]
    again = await gql(client, CUSTOMER_LOGIN, {"token": link_token})
    assert again["data"]["customerLogin"]["errors"][0]["code"] == "UNAUTHENTICATED"
    async with engine.connect() as conn:
        logins = await conn.execute(
            text(
                "SELECT login_count FROM customer_access_grants WHERE contact_id = :c ORDER BY id"
            ),
            {"c": portal.contact.id},
        )
        assert [row[0] for row in logins][-2:] == [1, 0]


async def test_unauthenticated_and_bad_tokens(client, world, settings):
    assert error_codes(await gql(client, VIEWER)) == ["UNAUTHENTICATED"]
    garbage = await gql(client, VIEWER, token="not-a-token")
    assert error_codes(garbage) == ["UNAUTHENTICATED"]
    forged = jwt.encode(
        user_claims(world.portal.admin) | {"exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)},
        "some other key that is long enough for hs256!!",
        algorithm="HS256",
    )
    assert error_codes(await gql(client, VIEWER, token=forged)) == ["UNAUTHENTICATED"]
    expired = jwt.encode(
        user_claims(world.portal.admin)
        | {"exp": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)},
        settings.signing_key(),
        algorithm="HS256",
    )
    result = await gql(client, VIEWER, token=expired)
    assert (
        error_codes(result) == ["UNAUTHENTICATED"] and "expired" in result["errors"][0]["message"]
    )
    unknown_key = await gql(client, VIEWER, token="cgk_abcdef123456_secret")
    assert error_codes(unknown_key) == ["UNAUTHENTICATED"]


async def test_api_key_principal(client, world, engine):
    portal = world.portal
    result = await gql(
        client,
        "{ viewer { role scopes insurer { name } } }",
        token=portal.tokens["integration_readonly"],
    )
    assert result["data"]["viewer"] == {
        "role": "INTEGRATION",
        "scopes": ["cases:read"],
        "insurer": {"name": portal.insurer.name},
    }
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE api_keys SET revoked_at = now() WHERE insurer_id = :i"),
            {"i": portal.insurer.id},
        )
    revoked = await gql(client, VIEWER, token=portal.tokens["integration_readonly"])
    assert error_codes(revoked) == ["UNAUTHENTICATED"]

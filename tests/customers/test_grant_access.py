"""One customer grant covers the cases of two customers and nothing else; its sessions
end when it is revoked, a customer is removed or a case moves away."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.customer_page.helpers import set_portal_settings
from tests.customers.conftest import (
    CUSTOMER_PAGE,
    GRANT_CASES,
    GRANT_CREATE,
    GRANT_LOGIN,
    GRANT_REVOKE,
    GRANT_UPDATE,
    grant_login,
    ok,
    open_case,
    set_customer,
)
from tests.factories import gid
from tests.graphql import error_codes, gql

CASE = "query ($id: ID!) { case(id: $id) { number } }"


async def test_a_grant_lists_and_opens_its_customers_cases_only(client, world, brokered):
    portal = world.portal
    # given a holder signed in with the grant's link
    signed_in = await grant_login(client, brokered.access_token)
    session = signed_in["sessionToken"]
    # then the cases of both covered customers are listed, and no other
    listed = {case["number"]: case["customerName"] for case in signed_in["cases"]}
    assert listed == {portal.case.number: "Kunde A", portal.handled_case.number: "Kunde B"}
    assert signed_in["errors"] == [] and signed_in["codeRequired"] is False
    again = await gql(client, GRANT_CASES, {"session": session})
    assert {c["number"] for c in again["data"]["grantCases"]} == set(listed)

    # when one covered case is opened, the token is a customer session of that case
    opened = await open_case(client, session, portal.case.id)
    bearer = opened["data"]["grantOpenCase"]["token"]
    page = await gql(client, CUSTOMER_PAGE, token=bearer)
    assert page["data"]["customerPage"]["case"]["number"] == portal.case.number
    assert page["data"]["viewer"]["role"] == "CUSTOMER"
    # and it sees nothing of the other covered case
    other = await gql(client, CASE, {"id": gid("Case", portal.handled_case.id)}, token=bearer)
    assert error_codes(other) == ["NOT_FOUND"]

    # an uncovered case of the same portal, and a case of another portal: NOT_FOUND
    for case_id in (portal.lonely_case.id, world.foreign.case.id):
        refused = await open_case(client, session, case_id)
        assert error_codes(refused) == ["NOT_FOUND"]
        assert refused["data"] is None


async def test_opening_twice_reuses_one_case_grant_and_contact(client, world, brokered, engine):
    portal = world.portal
    session = (await grant_login(client, brokered.access_token))["sessionToken"]
    for _ in range(2):
        assert "errors" not in await open_case(client, session, portal.case.id)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT g.contact_id, g.revoked_at, c.name, c.role FROM customer_access_grants g"
                    " JOIN case_contacts c ON c.id = g.contact_id"
                    " WHERE g.case_id = :c AND g.customer_grant_id IS NOT NULL"
                ),
                {"c": portal.case.id},
            )
        ).all()
    assert len(rows) == 1 and rows[0].name == "Eva Eiendom" and rows[0].revoked_at is None


async def test_the_session_token_is_not_a_bearer_token(client, brokered):
    session = (await grant_login(client, brokered.access_token))["sessionToken"]
    result = await gql(client, "{ viewer { role } }", token=session)
    assert error_codes(result) == ["UNAUTHENTICATED"]
    # and a case bearer token is not a grant session
    assert error_codes(await gql(client, GRANT_CASES, {"session": "nonsense"})) == [
        "UNAUTHENTICATED"
    ]


async def test_revoking_the_grant_ends_every_session_at_once(client, world, brokered):
    portal = world.portal
    session = (await grant_login(client, brokered.access_token))["sessionToken"]
    bearer = (await open_case(client, session, portal.case.id))["data"]["grantOpenCase"]["token"]
    assert "errors" not in await gql(client, CUSTOMER_PAGE, token=bearer)
    # when staff revoke the grant
    revoked = await ok(client, GRANT_REVOKE, {"id": brokered.grant_id}, portal.tokens["staff"])
    assert revoked["grant"]["revokedAt"]
    # then the opened case session, the grant session and the link all stop working
    assert error_codes(await gql(client, CUSTOMER_PAGE, token=bearer)) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(client, GRANT_CASES, {"session": session})) == ["UNAUTHENTICATED"]
    assert error_codes(await open_case(client, session, portal.case.id)) == ["UNAUTHENTICATED"]
    relogin = await grant_login(client, brokered.access_token)
    assert relogin["sessionToken"] is None
    assert [e["code"] for e in relogin["errors"]] == ["UNAUTHENTICATED"]
    # revoking twice is a conflict, not a crash
    again = await gql(client, GRANT_REVOKE, {"id": brokered.grant_id}, token=portal.tokens["staff"])
    assert again["data"]["customerGrantRevoke"]["errors"][0]["code"] == "CONFLICT"


async def test_removing_a_customer_ends_only_its_cases_sessions(client, world, brokered):
    portal = world.portal
    session = (await grant_login(client, brokered.access_token))["sessionToken"]
    on_a = (await open_case(client, session, portal.case.id))["data"]["grantOpenCase"]["token"]
    on_b = (await open_case(client, session, portal.handled_case.id))["data"]["grantOpenCase"][
        "token"
    ]
    variables = {"input": {"id": brokered.grant_id, "removeCustomerIds": [brokered.customers["A"]]}}
    updated = await ok(client, GRANT_UPDATE, variables, portal.tokens["staff"])
    assert updated["grant"]["customerIds"] == [brokered.customers["B"]]
    assert error_codes(await gql(client, CUSTOMER_PAGE, token=on_a)) == ["UNAUTHENTICATED"]
    assert "errors" not in await gql(client, CUSTOMER_PAGE, token=on_b)
    assert error_codes(await open_case(client, session, portal.case.id)) == ["NOT_FOUND"]
    # removing the last customer is refused: revoke instead
    variables = {"input": {"id": brokered.grant_id, "removeCustomerIds": [brokered.customers["B"]]}}
    refused = await gql(client, GRANT_UPDATE, variables, token=portal.tokens["staff"])
    [error] = refused["data"]["customerGrantUpdate"]["errors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", "removeCustomerIds"]


async def test_moving_a_case_to_another_customer_ends_its_session(client, world, brokered):
    portal = world.portal
    session = (await grant_login(client, brokered.access_token))["sessionToken"]
    bearer = (await open_case(client, session, portal.case.id))["data"]["grantOpenCase"]["token"]
    await set_customer(client, portal.tokens["staff"], portal.case.id, brokered.customers["C"])
    assert error_codes(await gql(client, CUSTOMER_PAGE, token=bearer)) == ["UNAUTHENTICATED"]
    # moving it back does not revive the old token's grant, but opening again works
    await set_customer(client, portal.tokens["staff"], portal.case.id, brokered.customers["A"])
    assert error_codes(await gql(client, CUSTOMER_PAGE, token=bearer)) == ["UNAUTHENTICATED"]
    fresh = (await open_case(client, session, portal.case.id))["data"]["grantOpenCase"]["token"]
    assert "errors" not in await gql(client, CUSTOMER_PAGE, token=fresh)


async def test_foreign_customers_cannot_be_granted_or_linked(client, world, brokered, engine):
    portal, foreign = world.portal, world.foreign
    staff = portal.tokens["staff"]
    foreign_customer = (
        await ok(
            client,
            """mutation ($input: CustomerCreateInput!) {
              customerCreate(input: $input) { customer { id } errors { code } } }""",
            {"input": {"name": "Utenlands"}},
            foreign.tokens["staff"],
        )
    )["customer"]["id"]
    variables = {"input": {"name": "X", "customerIds": [brokered.customers["A"], foreign_customer]}}
    result = await gql(client, GRANT_CREATE, variables, token=staff)
    [error] = result["data"]["customerGrantCreate"]["errors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", "customerIds"]
    assert result["data"]["customerGrantCreate"]["accessToken"] is None
    linked = await gql(
        client,
        """mutation ($c: ID!, $k: ID) { caseSetCustomer(caseId: $c, customerId: $k) {
          errors { code field } } }""",
        {"c": gid("Case", portal.case.id), "k": foreign_customer},
        token=staff,
    )
    assert linked["data"]["caseSetCustomer"]["errors"] == [
        {"code": "BAD_USER_INPUT", "field": ["input", "customerId"]}
    ]
    async with engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM customer_grants WHERE insurer_id = :i AND name = 'X'"),
            {"i": portal.insurer.id},
        )
    assert count == 0  # nothing half-written


async def sms_codes(engine, insurer_id):
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT recipient, body FROM notifications WHERE insurer_id = :i"
                " AND kind = 'customer_login_code' ORDER BY id"
            ),
            {"i": insurer_id},
        )
        return [(row.recipient, re.search(r"\b(\d{6})\b", row.body).group(1)) for row in rows]


async def test_a_portal_requiring_sms_codes_asks_the_holder_for_one(
    client, world, brokered, engine, app_dispatcher_paused
):
    # (the dispatcher paused: sent codes are redacted, and the test reads them)
    insurer = world.portal.insurer.id
    await set_portal_settings(engine, insurer, sms_code_required=True, sms_help_text="Ring oss")
    # the link alone sends a code and gives no session
    first = await gql(client, GRANT_LOGIN, {"token": brokered.access_token})
    asked = first["data"]["customerGrantLogin"]
    assert asked["sessionToken"] is None and asked["codeRequired"] and asked["cases"] == []
    assert asked["helpText"] == "Ring oss" and asked["errors"] == []
    [(phone, code)] = await sms_codes(engine, insurer)
    assert phone == "+47 911 22 333"
    # a wrong code costs an attempt; the right one signs in
    wrong = "000000" if code != "000000" else "111111"
    refused = await gql(client, GRANT_LOGIN, {"token": brokered.access_token, "code": wrong})
    assert refused["data"]["customerGrantLogin"]["errors"][0]["code"] == "CODE_INVALID"
    signed = await gql(client, GRANT_LOGIN, {"token": brokered.access_token, "code": code})
    payload = signed["data"]["customerGrantLogin"]
    assert payload["errors"] == [] and payload["sessionToken"] and len(payload["cases"]) == 2
    # the code is used up
    again = await gql(client, GRANT_LOGIN, {"token": brokered.access_token, "code": code})
    assert again["data"]["customerGrantLogin"]["errors"][0]["code"] == "CODE_EXPIRED"
    # the same limit on codes per window as case links
    for _ in range(2):
        await gql(client, GRANT_LOGIN, {"token": brokered.access_token})
    limited = await gql(client, GRANT_LOGIN, {"token": brokered.access_token})
    assert limited["data"]["customerGrantLogin"]["errors"][0]["code"] == "CODE_RATE_LIMITED"
    assert len(await sms_codes(engine, insurer)) == 3


OPEN_WITH_CODE = """
mutation ($session: String!, $caseId: ID!, $code: String) {
  grantOpenCase(sessionToken: $session, caseId: $caseId, code: $code) {
    token codeRequired codeSentTo helpText errors { code field message }
  }
}"""
CASE_OVERRIDE = """
mutation ($c: ID!, $i: CustomerPageSettingsInput) {
  caseCustomerPageOverride(caseId: $c, input: $i) { errors { message } }
}"""


async def test_a_case_requiring_sms_codes_asks_the_grant_holder_for_one(
    client, world, brokered, engine, app_dispatcher_paused
):
    # (the dispatcher paused: sent codes are redacted, and the test reads them)
    portal = world.portal
    # given a portal without SMS codes, but one covered case whose own settings require one
    overridden = await gql(
        client, CASE_OVERRIDE,
        {"c": gid("Case", portal.case.id), "i": {"smsCodeRequired": True, "smsHelpText": "Ring"}},
        token=portal.tokens["admin"],
    )  # fmt: skip
    assert overridden["data"]["caseCustomerPageOverride"]["errors"] == []
    # and a holder signed in with the link alone
    signed_in = await grant_login(client, brokered.access_token)
    assert signed_in["codeRequired"] is False and signed_in["sessionToken"]
    session = signed_in["sessionToken"]
    case_id = gid("Case", portal.case.id)

    # when the holder opens that case without a code
    first = await gql(client, OPEN_WITH_CODE, {"session": session, "caseId": case_id})

    # then no token: a code is sent to the holder's phone, as customerLogin does
    asked = first["data"]["grantOpenCase"]
    assert asked["token"] is None and asked["codeRequired"] is True, asked
    assert asked["helpText"] == "Ring" and asked["errors"] == [] and asked["codeSentTo"]
    [(phone, code)] = await sms_codes(engine, portal.insurer.id)
    assert phone == "+47 911 22 333"
    # a wrong code is refused, naming it
    wrong = "000000" if code != "000000" else "111111"
    refused = await gql(
        client, OPEN_WITH_CODE, {"session": session, "caseId": case_id, "code": wrong}
    )
    assert refused["data"]["grantOpenCase"]["token"] is None
    assert refused["data"]["grantOpenCase"]["errors"][0]["code"] == "CODE_INVALID"
    # the right one opens the case
    opened = await gql(
        client, OPEN_WITH_CODE, {"session": session, "caseId": case_id, "code": code}
    )
    bearer = opened["data"]["grantOpenCase"]["token"]
    page = await gql(client, CUSTOMER_PAGE, token=bearer)
    assert page["data"]["customerPage"]["case"]["number"] == portal.case.number
    # a covered case without the requirement opens with the session alone
    other = await gql(
        client, OPEN_WITH_CODE, {"session": session, "caseId": gid("Case", portal.handled_case.id)}
    )
    assert (
        other["data"]["grantOpenCase"]["token"] and other["data"]["grantOpenCase"]["errors"] == []
    )


async def test_a_session_signed_in_with_a_code_opens_such_a_case_at_once(
    client, world, brokered, engine, app_dispatcher_paused
):
    portal = world.portal
    # given a portal requiring SMS codes, and a holder who signed in with one
    await set_portal_settings(engine, portal.insurer.id, sms_code_required=True)
    await gql(client, GRANT_LOGIN, {"token": brokered.access_token})
    [(_, code)] = await sms_codes(engine, portal.insurer.id)
    signed = await gql(client, GRANT_LOGIN, {"token": brokered.access_token, "code": code})
    session = signed["data"]["customerGrantLogin"]["sessionToken"]

    # when a covered case is opened
    opened = await gql(
        client, OPEN_WITH_CODE, {"session": session, "caseId": gid("Case", portal.case.id)}
    )

    # then it opens without a second code
    payload = opened["data"]["grantOpenCase"]
    assert payload["token"] and payload["codeRequired"] is False
    assert len(await sms_codes(engine, portal.insurer.id)) == 1

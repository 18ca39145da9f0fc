"""Signing in with an SMS security code: sent through the SMS sender, 6 digits, expires,
limited attempts, rate-limited per contact, and the portal's help text on failure."""

from __future__ import annotations

import asyncio
import logging
import re

from sqlalchemy import text

from tests.customer_access.conftest import configure, login, notifications
from tests.factories import gid
from tests.graphql import error_codes, gql

HELP = "Trouble with the code? Call us on 22 00 00 00."
GRANT = """
mutation ($input: CustomerAccessGrantInput!) {
  customerAccessGrant(input: $input) { accessToken errors { code message } }
}"""


async def sms_required(engine, portal) -> str:
    await configure(engine, portal.insurer.id, sms_code_required=True, sms_help_text=HELP)
    return portal.ids["link_token"]


async def sent_codes(engine, case_id: int) -> list[str]:
    rows = await notifications(engine, case_id, "customer_login_code")
    return [re.search(r"\b(\d{6})\b", row.body).group(1) for row in rows]


async def wait_until_sent(engine, case_id: int, kind: str, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        rows = await notifications(engine, case_id, kind)
        if rows and all(row.sent_at for row in rows):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{kind} notifications of case {case_id} not sent in {timeout} s")


async def test_code_by_sms_then_sign_in(client, world, engine, caplog):
    caplog.set_level(logging.INFO, logger="casegraph.notify")
    portal = world.portal
    link = await sms_required(engine, portal)
    first = await login(client, link)
    assert first["token"] is None and first["codeRequired"] is True
    assert first["codeSentTo"] == "+47 ••• •• 000" and first["codeExpiresAt"]
    assert first["helpText"] == HELP and first["errors"] == []
    # The app's dispatcher delivers the SMS promptly through the console sender.
    await wait_until_sent(engine, portal.case.id, "customer_login_code")
    logged = [r for r in caplog.records if getattr(r, "kind", None) == "customer_login_code"]
    assert logged and logged[-1].channel == "sms" and logged[-1].recipient == "+47 911 00 000"
    code = re.search(r"\b(\d{6})\b", logged[-1].body).group(1)
    # Once delivered, the stored row no longer holds the code.
    [stored] = await notifications(engine, portal.case.id, "customer_login_code")
    assert code not in stored.body

    signed_in = await login(client, link, code)
    assert signed_in["errors"] == [] and signed_in["token"] and not signed_in["codeRequired"]
    viewer = await gql(client, "{ viewer { role } }", token=signed_in["token"])
    assert viewer["data"]["viewer"]["role"] == "CUSTOMER"
    reused = await login(client, link, code)
    assert [e["code"] for e in reused["errors"]] == ["CODE_EXPIRED"]
    assert reused["token"] is None and reused["helpText"] == HELP
    async with engine.connect() as conn:
        logins = await conn.scalar(
            text("SELECT login_count FROM customer_access_grants WHERE id = :g"),
            {"g": portal.ids["grant"]},
        )
    assert logins == 1  # asking for a code is not a sign-in


async def test_wrong_codes_use_up_the_attempts(client, world, engine, app_dispatcher_paused):
    portal = world.portal
    link = await sms_required(engine, portal)
    await login(client, link)
    [code] = await sent_codes(engine, portal.case.id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [await login(client, link, wrong) for _ in range(5)]
    codes = [a["errors"][0]["code"] for a in answers]
    assert codes == ["CODE_INVALID"] * 4 + ["CODE_ATTEMPTS_EXCEEDED"]
    assert answers[0]["errors"][0]["field"] == ["code"]
    assert "4 attempts left" in answers[0]["errors"][0]["message"]
    assert all(a["helpText"] == HELP and a["token"] is None for a in answers)
    right_too_late = await login(client, link, code)
    assert right_too_late["errors"][0]["code"] == "CODE_ATTEMPTS_EXCEEDED"
    # A new code starts over.
    await login(client, link)
    new_code = (await sent_codes(engine, portal.case.id))[-1]
    assert (await login(client, link, new_code))["token"]


async def test_an_expired_code_is_refused(client, world, engine, app_dispatcher_paused):
    portal = world.portal
    link = await sms_required(engine, portal)
    await login(client, link)
    [code] = await sent_codes(engine, portal.case.id)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE one_time_codes SET expires_at = now() - interval '1 second'"
                 " WHERE grant_id = :g"),
            {"g": portal.ids["grant"]},
        )  # fmt: skip
    answer = await login(client, link, code)
    assert answer["errors"][0]["code"] == "CODE_EXPIRED" and answer["helpText"] == HELP


async def test_codes_are_rate_limited_per_contact(client, world, engine, app_dispatcher_paused):
    portal = world.portal
    link = await sms_required(engine, portal)
    for _ in range(3):
        assert (await login(client, link))["errors"] == []
    limited = await login(client, link)
    assert limited["errors"][0]["code"] == "CODE_RATE_LIMITED"
    assert limited["codeRequired"] and limited["codeSentTo"] is None
    assert limited["helpText"] == HELP
    assert len(await sent_codes(engine, portal.case.id)) == 3
    # The window is counted in SQL: codes older than 15 minutes no longer count.
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE one_time_codes SET created_at = now() - interval '16 minutes'"
                 " WHERE contact_id = :c"),
            {"c": portal.contact.id},
        )  # fmt: skip
    assert (await login(client, link))["errors"] == []


async def test_no_phone_on_file(client, world, engine):
    portal = world.portal
    await sms_required(engine, portal)
    contact_id = await _contact_of(engine, portal.handled_case.id)
    variables = {
        "input": {
            "caseId": gid("Case", portal.handled_case.id),
            "contactId": gid("CaseContact", contact_id),
        }
    }
    granted = await gql(client, GRANT, variables, token=portal.tokens["staff"])
    link = granted["data"]["customerAccessGrant"]["accessToken"]
    answer = await login(client, link)
    assert answer["errors"][0]["code"] == "PHONE_MISSING"
    assert answer["helpText"] == HELP and answer["token"] is None


async def _contact_of(engine, case_id: int) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT id FROM case_contacts WHERE case_id = :c"), {"c": case_id}
        )


async def test_bad_and_revoked_links_get_the_same_answer(
    client, world, engine, app_dispatcher_paused
):
    portal = world.portal
    link = await sms_required(engine, portal)
    await login(client, link)
    [code] = await sent_codes(engine, portal.case.id)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE customer_access_grants SET revoked_at = now() WHERE id = :g"),
            {"g": portal.ids["grant"]},
        )
    revoked = await login(client, link, code)
    unknown = await login(client, "cgc_" + "x" * 43, code)
    garbage = await login(client, "not a token")
    assert revoked == unknown == garbage
    assert revoked["errors"][0]["code"] == "UNAUTHENTICATED" and revoked["helpText"] is None


async def test_without_the_setting_the_link_alone_signs_in(client, world):
    answer = await login(client, world.portal.ids["link_token"], "123456")
    assert answer["token"] and answer["codeRequired"] is False and answer["errors"] == []
    assert error_codes(await gql(client, "{ viewer { role } }", token=answer["token"])) == []

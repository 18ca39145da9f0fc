"""Notification texts: every email and SMS the server sends, in the insurer's wording when
it has one, rendered by one function; links and codes still inserted, and removed from
the table after delivery."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import text

from resolvers.services.text_catalog import KINDS
from server.notify.dispatcher import Dispatcher
from server.notify.senders import Senders
from tests.customer_access.conftest import (
    case_gid,
    contact_input,
    create_case,
    link_token,
    login,
    notifications,
)
from tests.customer_access.test_dispatcher import Recorder
from tests.factories import gid
from tests.graphql import error_codes, gql

pytestmark = pytest.mark.usefixtures("app_dispatcher_paused")

TEXTS = """
{ notificationTexts {
    kind channel sentByDefault sent defaultSubject defaultBody subject body
    placeholders { name required }
} }"""
SET = """
mutation ($input: NotificationTextSetInput!) {
  notificationTextSet(input: $input) {
    notificationText { kind channel subject body sent } errors { code field message }
  }
}"""
RESET = """
mutation ($kind: NotificationKind!, $channel: NotificationChannel!) {
  notificationTextReset(kind: $kind, channel: $channel) {
    notificationText { body sent } errors { code }
  }
}"""
GRANT = """
mutation ($input: CustomerAccessGrantInput!) {
  customerAccessGrant(input: $input) { accessToken errors { code } }
}"""
CLOSE = "mutation ($c: ID!) { caseClose(input: {caseId: $c}) { errors { code } } }"
MESSAGE_SEND = """
mutation ($input: MessageSendInput!) { messageSend(input: $input) { errors { code } } }"""


async def set_text(client, portal, kind, channel, body, subject=None, token="admin"):
    variables = {"input": {"kind": kind, "channel": channel, "subject": subject, "body": body}}
    result = await gql(client, SET, variables, token=portal.tokens[token])
    return result


async def _sent_ok(client, portal, *args, **kw):
    result = await set_text(client, portal, *args, **kw)
    payload = result["data"]["notificationTextSet"]
    assert payload["errors"] == [], payload
    return payload["notificationText"]


async def test_lists_every_kind_the_server_sends_with_its_default(client, world):
    result = await gql(client, TEXTS, token=world.portal.tokens["staff"])
    entries = result["data"]["notificationTexts"]
    listed = {(e["kind"].lower(), e["channel"].lower()) for e in entries}
    expected = {
        (kind, channel.value) for kind, entry in KINDS.items() for channel in entry.defaults
    }
    assert listed == expected
    for needed in ("customer_link", "case_created", "case_closed", "message_to_customer",
                   "customer_message", "customer_login_code"):  # fmt: skip
        assert needed in KINDS
    by_key = {(e["kind"], e["channel"]): e for e in entries}
    link = by_key[("CUSTOMER_LINK", "EMAIL")]
    assert link["sent"] and link["body"] is None and "{link}" in link["defaultBody"]
    assert {"name": "link", "required": True} in link["placeholders"]
    created = by_key[("CASE_CREATED", "EMAIL")]
    assert created["sentByDefault"] is False and created["sent"] is False
    assert by_key[("CUSTOMER_LOGIN_CODE", "SMS")]["defaultSubject"] is None


async def test_only_admins_set_texts_and_customers_never_read_them(client, world):
    portal = world.portal
    for label in ("staff", "partner", "ech", "customer", "integration"):
        result = await set_text(client, portal, "CASE_CLOSED", "EMAIL", "b", "s", token=label)
        assert error_codes(result) == ["FORBIDDEN"], label
    for label in ("partner", "ech", "customer"):
        assert error_codes(await gql(client, TEXTS, token=portal.tokens[label])) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("kind", "channel", "subject", "body", "field"),
    [
        ("CUSTOMER_LINK", "EMAIL", "Your link", "No link here, {contact_name}.", "body"),
        ("CUSTOMER_LINK", "EMAIL", "Link: {link}", "Here: {link}", "subject"),
        ("CUSTOMER_LINK", "SMS", "A subject", "{link}", "subject"),
        ("CUSTOMER_LOGIN_CODE", "SMS", None, "Your code is ready.", "body"),
        ("CUSTOMER_LOGIN_CODE", "EMAIL", "x", "{code}", "channel"),
        ("CASE_CLOSED", "EMAIL", "Closed", "Bye {customer_nam}", "body"),
        ("CASE_CLOSED", "EMAIL", "Closed {nope}", "Bye", "subject"),
        ("CASE_CLOSED", "EMAIL", None, "Bye", "subject"),
        ("CASE_CLOSED", "EMAIL", "Two\nlines", "Bye", "subject"),
        ("CASE_CLOSED", "EMAIL", "Closed", "   ", "body"),
    ],
)
async def test_refused_texts_name_the_field_and_change_nothing(
    client, world, kind, channel, subject, body, field
):
    portal = world.portal
    result = await set_text(client, portal, kind, channel, body, subject)
    payload = result["data"]["notificationTextSet"]
    assert payload["notificationText"] is None
    [error] = payload["errors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", field]
    listed = await gql(client, TEXTS, token=portal.tokens["admin"])
    assert all(e["body"] is None for e in listed["data"]["notificationTexts"])


async def test_the_dispatcher_sends_the_insurers_wording_with_the_link(client, world, engine):
    portal = world.portal
    await _sent_ok(
        client, portal, "CUSTOMER_LINK", "EMAIL",
        "Hei {contact_name}: sak {case_number} hos {insurer_name}\n\n{link}\n\nHilsen",
        subject="Sak {case_number}",
    )  # fmt: skip
    granted = await gql(
        client,
        GRANT,
        {"input": {"caseId": case_gid(portal.case.id),
                   "contactId": gid("CaseContact", portal.contact.id), "send": True}},
        token=portal.tokens["staff"],
    )  # fmt: skip
    token = granted["data"]["customerAccessGrant"]["accessToken"]
    [row] = await notifications(engine, portal.case.id, "customer_link")
    recorder = Recorder()
    dispatcher = Dispatcher(
        engine, Senders(email=recorder, sms=recorder), public_url="https://cases.example/"
    )
    while await dispatcher.run_once():
        pass
    [message] = [m for m in recorder.sent if m.id == row.id]
    assert message.subject == f"Sak {portal.case.number}"
    assert message.body == (
        f"Hei Kari Kunde: sak {portal.case.number} hos Nord Insurance\n\n"
        f"https://cases.example/customer?token={token}\n\nHilsen"
    )
    assert (await login(client, link_token(message.body)))["token"]
    # The secret leaves the table once delivered, whoever wrote the wording.
    [after] = await notifications(engine, portal.case.id, "customer_link")
    assert after.sent_at is not None and token not in after.body


async def test_new_case_email_is_sent_only_once_the_text_is_defined(client, world, engine):
    portal = world.portal
    contacts = [contact_input("POLICYHOLDER", "Per Person", "per@example.test", None)]
    quiet = await create_case(client, portal, contacts)
    assert await notifications(engine, quiet, "case_created") == []
    await _sent_ok(
        client, portal, "CASE_CREATED", "EMAIL",
        "Hello {customer_name}, case {case_number} is open. Handler: {case_handler}.",
        subject="Case {case_number} opened",
    )  # fmt: skip
    announced = await create_case(client, portal, contacts)
    [sent] = await notifications(engine, announced, "case_created")
    assert sent.recipient == "per@example.test"
    assert sent.body.startswith("Hello Per Person, case ")
    assert sent.body.endswith("Handler: Nord Insurance.")  # no case handler named
    # Reset: back off again.
    reset = await gql(
        client, RESET, {"kind": "CASE_CREATED", "channel": "EMAIL"}, token=portal.tokens["admin"]
    )
    assert reset["data"]["notificationTextReset"]["notificationText"] == {
        "body": None,
        "sent": False,
    }
    again = await create_case(client, portal, contacts)
    assert await notifications(engine, again, "case_created") == []


async def test_closed_case_and_new_message_emails_reach_the_customer(client, world, engine):
    portal = world.portal
    await _sent_ok(
        client, portal, "MESSAGE_TO_CUSTOMER", "EMAIL",
        "Hi {customer_name}, a new message on {case_number}.", subject="New message",
    )  # fmt: skip
    await _sent_ok(
        client, portal, "CASE_CLOSED", "EMAIL", "Case {case_number} closed.", subject="Closed"
    )
    case_id = case_gid(portal.case.id)
    sent = await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": case_id, "body": "We will come on Monday."}},
        token=portal.tokens["staff"],
    )
    assert sent["data"]["messageSend"]["errors"] == []
    [mail] = await notifications(engine, portal.case.id, "message_to_customer")
    assert mail.recipient == "kari@example.test"
    assert mail.body == f"Hi Kari Kunde, a new message on {portal.case.number}."
    assert "Monday" not in mail.body  # the message stays on the page
    # the customer's own message does not email the customer
    await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": case_id, "body": "Thanks"}},
        token=portal.tokens["customer"],
    )
    assert len(await notifications(engine, portal.case.id, "message_to_customer")) == 1
    closed = await gql(client, CLOSE, {"c": case_id}, token=portal.tokens["staff"])
    assert closed["data"]["caseClose"]["errors"] == []
    [mail] = await notifications(engine, portal.case.id, "case_closed")
    assert (mail.recipient, mail.subject) == ("kari@example.test", "Closed")


async def test_built_in_texts_are_unchanged_without_an_override(client, world, engine):
    portal = world.portal
    await gql(
        client,
        GRANT,
        {"input": {"caseId": case_gid(portal.case.id),
                   "contactId": gid("CaseContact", portal.contact.id), "send": True}},
        token=portal.tokens["staff"],
    )  # fmt: skip
    [row] = await notifications(engine, portal.case.id, "customer_link")
    assert row.subject == f"Your case {portal.case.number} with Nord Insurance"
    assert row.body.startswith(
        f"Hello Kari Kunde,\n\nyou can follow your case {portal.case.number} "
        f"({portal.case.street}, Oslo) on our customer page:\n\n"
    )
    assert row.body.endswith("The link is personal: please do not share it.\n\nNord Insurance")


async def test_another_insurers_text_is_not_used(client, world, engine):
    await _sent_ok(
        client, world.foreign, "CUSTOMER_LINK", "EMAIL", "Foreign {link}", subject="Foreign"
    )
    portal = world.portal
    await gql(
        client,
        GRANT,
        {"input": {"caseId": case_gid(portal.case.id),
                   "contactId": gid("CaseContact", portal.contact.id), "send": True}},
        token=portal.tokens["staff"],
    )  # fmt: skip
    [row] = await notifications(engine, portal.case.id, "customer_link")
    assert row.subject != "Foreign"
    async with engine.connect() as conn:
        count = await conn.execute(
            text("SELECT count(*) FROM notification_texts WHERE insurer_id = :i"),
            {"i": portal.insurer.id},
        )
        assert count.scalar_one() == 0


def test_every_notification_goes_through_the_one_render_function():
    """Services queue emails and SMS with `notification_texts.send`, so each has a kind in
    the catalog (its configurable wording); only that function calls `enqueue`."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {"resolvers/services/notification_texts.py", "resolvers/services/notifications.py"}
    callers = [
        str(path.relative_to(root))
        for folder in ("resolvers", "server", "schema")
        for path in (root / folder).rglob("*.py")
        if "enqueue(" in path.read_text() and str(path.relative_to(root)) not in allowed
    ]
    assert callers == []


def test_every_kind_that_delivers_a_secret_is_removed_after_sending():
    """A kind whose text must carry a link or code delivers a secret: the dispatcher must
    strip it from the stored body once sent (the customer grant link once was not)."""
    from resolvers.services.notifications import SECRET_KINDS
    from resolvers.services.text_catalog import KINDS

    delivering = {kind.kind for kind in KINDS.values() if kind.required}
    assert delivering <= SECRET_KINDS
    assert "customer_grant_link" in delivering


async def test_a_line_break_in_a_value_does_not_break_the_email_subject(client, world, engine):
    portal = world.portal
    # given a subject that names the customer, whose name holds line breaks
    await _sent_ok(
        client, portal, "MESSAGE_TO_CUSTOMER", "EMAIL",
        "Hi {customer_name}, a new message.", subject="News for {customer_name}",
    )  # fmt: skip
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE case_contacts SET name = :n WHERE id = :id"),
            {"n": "Kari\r\nBcc: someone@example.test\n", "id": portal.contact.id},
        )
    # when staff write to the customer
    sent = await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": case_gid(portal.case.id), "body": "Hello"}},
        token=portal.tokens["staff"],
    )
    assert sent["data"]["messageSend"]["errors"] == []
    # then the queued subject is one line (the body keeps the name as it is)
    [mail] = await notifications(engine, portal.case.id, "message_to_customer")
    assert mail.subject == "News for Kari Bcc: someone@example.test"
    # and it makes an email header (one with a line break raises ValueError: never sent)
    email = EmailMessage()
    email["Subject"] = mail.subject
    assert email["Subject"] == mail.subject

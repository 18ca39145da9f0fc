"""The external case handler always reads the chat of their cases; writing takes
customer_contact, and the customer's messages email them only with chat_notifications."""

from __future__ import annotations

import pytest

from permissions.rights import Right
from tests.chat.page import execute, notifications
from tests.ech.actions import MESSAGE_SEND
from tests.ech.stage import outcome, set_rights
from tests.factories import gid
from tests.graphql import error_codes, gql

READ = """
query ($id: ID!) {
  case(id: $id) { messages(first: 5) { totalCount } documents(first: 50) { totalCount } }
}"""
MARK_READ = """
mutation ($input: CaseInput!) { messagesMarkRead(input: $input) { errors { code } } }"""


@pytest.mark.parametrize(
    ("rights", "handler_emailed"),
    [({Right.CHAT_NOTIFICATIONS}, True), (set(Right) - {Right.CHAT_NOTIFICATIONS}, False)],
)
async def test_chat_notifications_follow_the_right(client, engine, world, rights, handler_emailed):
    portal = world.portal
    await execute(
        engine,
        "UPDATE cases SET external_case_handler_id = :u WHERE id = :c",
        u=portal.ech.id,
        c=portal.case.id,
    )
    await set_rights(engine, portal, rights)

    sent = await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": gid("Case", portal.case.id), "body": "Hello?"}},
        token=portal.tokens["customer"],
    )

    assert outcome(sent, "messageSend") == ("ok", "")
    expected = [("customer_message", "email", portal.handler.email)]
    if handler_emailed:
        expected.append(("customer_message", "email", portal.ech.email))
    assert await notifications(engine, portal.case.id) == expected


async def test_reading_needs_no_right(client, engine, world):
    portal = world.portal
    await set_rights(engine, portal, set())
    case_id = gid("Case", portal.handled_case.id)

    read = await gql(client, READ, {"id": case_id}, token=portal.tokens["ech"])
    marked = await gql(
        client, MARK_READ, {"input": {"caseId": case_id}}, token=portal.tokens["ech"]
    )

    assert error_codes(read) == []
    assert marked["data"]["messagesMarkRead"]["errors"] == []

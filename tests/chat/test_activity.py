"""A customer's message or upload: the dashboard count, the handlers' emails, read state
per side, "mark all as read", the sender each message shows, newest first."""

from __future__ import annotations

import logging

from tests.api.test_documents import upload
from tests.chat.page import execute, notifications, scalar
from tests.db_state import latest_feed
from tests.factories import Portal, gid
from tests.graphql import gql

MESSAGE_SEND = """
mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id } errors { code field message } }
}"""
MARK_READ = """
mutation ($input: CaseInput!) {
  messagesMarkRead(input: $input) { marked case { unreadMessageCount } errors { code message } }
}"""
DASHBOARD = """
query ($activity: Boolean) {
  cases(first: 10, filter: { customerActivity: $activity }) { totalCount edges { node { id } } }
}"""
MESSAGES = """
query ($id: ID!) {
  case(id: $id) {
    unreadMessageCount
    messages(first: 20) {
      totalCount
      edges { node {
        body direction readAt isRead
        sender { isCustomer name email displayName }
      } }
    }
  }
}"""


async def send(client, portal: Portal, who: str, body: str) -> None:
    result = await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": gid("Case", portal.case.id), "body": body}},
        token=portal.tokens[who],
    )
    assert result["data"]["messageSend"]["errors"] == [], result


async def mark_read(client, portal: Portal, who: str) -> dict:
    result = await gql(
        client,
        MARK_READ,
        {"input": {"caseId": gid("Case", portal.case.id)}},
        token=portal.tokens[who],
    )
    return result["data"]["messagesMarkRead"]


async def dashboard(client, portal: Portal, activity: bool | None = True) -> list[str]:
    result = await gql(client, DASHBOARD, {"activity": activity}, token=portal.tokens["staff"])
    cases = result["data"]["cases"]
    assert cases["totalCount"] == len(cases["edges"])
    return [edge["node"]["id"] for edge in cases["edges"]]


async def messages(client, portal: Portal, who: str) -> dict:
    result = await gql(
        client, MESSAGES, {"id": gid("Case", portal.case.id)}, token=portal.tokens[who]
    )
    assert "errors" not in result, result
    return result["data"]["case"]


async def test_customer_message_puts_the_case_on_the_dashboard_until_marked_read(client, world):
    portal = world.portal
    case_gid = gid("Case", portal.case.id)
    everything = await dashboard(client, portal, None)
    assert await dashboard(client, portal) == []

    await send(client, portal, "customer", "The floor is still wet")

    assert await dashboard(client, portal) == [case_gid]
    quiet = await dashboard(client, portal, False)
    assert case_gid not in quiet and len(quiet) == len(everything) - 1
    # Staff writing back does not take it off; marking all as read does.
    await send(client, portal, "staff", "We are on it")
    assert await dashboard(client, portal) == [case_gid]
    assert (await mark_read(client, portal, "staff"))["marked"] == 2  # the factory's and ours
    assert await dashboard(client, portal) == []


async def test_customer_upload_puts_the_case_on_the_dashboard(client, world, engine):
    portal = world.portal
    response = await upload(client, portal.tokens["customer"], gid("Case", portal.case.id), b"x")
    assert response.json()["data"]["documentUpload"]["errors"] == []

    assert await dashboard(client, portal) == [gid("Case", portal.case.id)]
    # No message to read, but "mark all as read" still clears the flag.
    await mark_read(client, portal, "staff")
    await mark_read(client, portal, "staff")
    assert await dashboard(client, portal) == []


async def test_the_customer_marking_read_leaves_the_dashboard_alone(client, world):
    portal = world.portal
    await send(client, portal, "customer", "Hello?")

    await mark_read(client, portal, "customer")

    assert await dashboard(client, portal) == [gid("Case", portal.case.id)]


async def test_dashboard_is_per_portal(client, world):
    await send(client, world.portal, "customer", "Hello?")

    assert await dashboard(client, world.foreign) == []


async def test_customer_message_emails_the_case_handler_and_external_case_handler(
    client, world, engine
):
    portal = world.portal
    await execute(
        engine,
        "UPDATE cases SET external_case_handler_id = :u WHERE id = :c",
        u=portal.ech.id,
        c=portal.case.id,
    )

    await send(client, portal, "customer", "Hello?")

    assert await notifications(engine, portal.case.id) == [
        ("customer_message", "email", portal.handler.email),
        ("customer_message", "email", portal.ech.email),
    ]
    body = await scalar(
        engine, "SELECT body FROM notifications WHERE case_id = :c", c=portal.case.id
    )
    assert portal.case.number in body and "Hello?" not in body  # no chat text in mail


async def test_no_handler_no_email_but_still_on_the_dashboard(client, world, engine):
    portal = world.portal
    await execute(engine, "UPDATE cases SET case_handler_id = NULL WHERE id = :c", c=portal.case.id)

    await send(client, portal, "customer", "Anyone there?")

    assert await notifications(engine, portal.case.id) == []
    assert await dashboard(client, portal) == [gid("Case", portal.case.id)]


async def test_staff_messages_notify_nobody_and_make_a_feed_entry(client, world, engine):
    portal = world.portal

    await send(client, portal, "staff", "We come tomorrow")

    assert await notifications(engine, portal.case.id) == []
    kind, actor, payload = await latest_feed(engine, portal.case.id)
    assert (kind, actor) == ("communication_to_customer", portal.handler.id)
    assert "messageId" in payload


async def test_read_state_is_per_side(client, world):
    portal = world.portal
    # The factory's chat: one unread message from the customer, one unread to them.
    assert (await messages(client, portal, "staff"))["unreadMessageCount"] == 1
    assert (await messages(client, portal, "customer"))["unreadMessageCount"] == 1

    customer_marks = await mark_read(client, portal, "customer")

    assert customer_marks == {"marked": 1, "case": {"unreadMessageCount": 0}, "errors": []}
    seen_by_staff = await messages(client, portal, "staff")
    assert seen_by_staff["unreadMessageCount"] == 1
    by_direction = {e["node"]["direction"]: e["node"] for e in seen_by_staff["messages"]["edges"]}
    assert by_direction["TO_CUSTOMER"]["isRead"] and by_direction["TO_CUSTOMER"]["readAt"]
    assert by_direction["FROM_CUSTOMER"]["readAt"] is None

    staff_marks = await mark_read(client, portal, "staff")

    assert staff_marks == {"marked": 1, "case": {"unreadMessageCount": 0}, "errors": []}
    assert (await messages(client, portal, "customer"))["unreadMessageCount"] == 0
    assert all(
        e["node"]["isRead"] for e in (await messages(client, portal, "staff"))["messages"]["edges"]
    )


async def test_other_partners_cannot_mark_the_chat_read(client, world):
    result = await gql(
        client,
        MARK_READ,
        {"input": {"caseId": gid("Case", world.portal.case.id)}},
        token=world.portal.tokens["partner"],
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_messages_are_newest_first_and_show_their_sender(client, world, engine):
    portal = world.portal
    await send(client, portal, "customer", "first")
    await send(client, portal, "staff", "second")
    await send(client, portal, "integration", "third")  # an insurer system, as the handler

    for who in ("staff", "customer", "integration"):
        edges = (await messages(client, portal, who))["messages"]["edges"]
        shown = [(e["node"]["body"], e["node"]["sender"]) for e in edges]
        handler = {
            "isCustomer": False,
            "name": "Hans Handler",
            "email": None,
            "displayName": "Hans Handler",
        }
        kari = {
            "isCustomer": True,
            "name": "Kari Kunde",
            "email": "kari@example.test",
            "displayName": "kari@example.test",
        }
        assert shown == [
            ("third", handler),
            ("second", handler),
            ("first", kari),
            ("Tomorrow at nine.", handler),
            ("When will you come?", kari),
        ], who


async def test_a_customer_without_email_is_shown_by_name(client, world, engine):
    portal = world.portal
    await execute(
        engine, "UPDATE case_contacts SET email = NULL WHERE id = :c", c=portal.contact.id
    )

    edges = (await messages(client, portal, "staff"))["messages"]["edges"]

    customer = [e["node"]["sender"] for e in edges if e["node"]["direction"] == "FROM_CUSTOMER"]
    assert customer == [
        {"isCustomer": True, "name": "Kari Kunde", "email": None, "displayName": "Kari Kunde"}
    ]


async def test_sender_loads_in_one_statement_for_any_number_of_messages(
    client, world, count_statements
):
    portal = world.portal
    query = """query ($id: ID!) { case(id: $id) { messages(first: 50) {
      edges { node { sender { displayName } } } } } }"""

    async def statements() -> int:
        with count_statements() as counter:
            await gql(
                client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens["customer"]
            )
        return counter.count

    few = await statements()
    for n in range(5):
        await send(client, portal, "customer", f"more {n}")
    assert await statements() == few


async def test_dashboard_and_senders_are_compiled_reads(client, world, caplog):
    # Staff queries are answered by the compiled SQL too (and compared with the resolvers).
    portal = world.portal
    await send(client, portal, "customer", "Hello?")
    query = """query ($id: ID!) {
      cases(first: 5, filter: { customerActivity: true }) { totalCount }
      case(id: $id) { messages(first: 5) { edges { node { sender {
        isCustomer name email displayName } } } } }
    }"""

    with caplog.at_level(logging.INFO, logger="casegraph.request"):
        result = await gql(
            client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens["staff"]
        )

    assert "errors" not in result, result
    assert result["data"]["cases"]["totalCount"] == 1
    assert any(getattr(r, "path", None) == "compiled" for r in caplog.records)


async def test_dashboard_filter_pages_with_cursors(client, world):
    portal = world.portal
    query = """query ($after: String) {
      cases(first: 1, after: $after, filter: { customerActivity: false }) {
        totalCount edges { node { id } } pageInfo { endCursor hasNextPage } } }"""
    everything = await dashboard(client, portal, False)
    seen: list[str] = []
    after = None
    while True:
        result = await gql(client, query, {"after": after}, token=portal.tokens["staff"])
        assert "errors" not in result, result
        page = result["data"]["cases"]
        assert page["totalCount"] == len(everything)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == everything

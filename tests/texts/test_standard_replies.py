"""Standard replies: company admins write them, staff fill them for a case and send them
as chat messages or internal comments; placeholders are checked when saved."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from resolvers.services import placeholders
from resolvers.services.mentions import MENTION
from tests.factories import gid
from tests.graphql import error_codes, gql

CREATE = """
mutation ($input: StandardReplyCreateInput!) {
  standardReplyCreate(input: $input) {
    standardReply { id title body active } errors { code field message }
  }
}"""
UPDATE = """
mutation ($input: StandardReplyUpdateInput!) {
  standardReplyUpdate(input: $input) { standardReply { title body active } errors { code field } }
}"""
DELETE = """
mutation ($id: ID!) { standardReplyDelete(id: $id) { deletedId errors { code } } }"""
LIST = """
query ($all: Boolean! = false) { standardReplies(includeInactive: $all) { id title active } }"""
RENDER = """
query ($id: ID!, $caseId: ID!) { standardReplyRender(id: $id, caseId: $caseId) }"""
PLACEHOLDERS = "{ standardReplyPlaceholders { name description } }"
MESSAGE_SEND = """
mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { body } errors { code field message } }
}"""
COMMENT_ADD = """
mutation ($input: CommentAddInput!) {
  commentAdd(input: $input) { comment { body } errors { code field message } }
}"""
COMMENT_ADD_MENTIONS = """
mutation ($input: CommentAddInput!) {
  commentAdd(input: $input) { comment { body mentions { id } } errors { code field message } }
}"""
FULL = (
    "Dear {customer_name}, about case {case_number} (claim {claim_number}) at {address}: "
    "{case_handler} of {insurer_name} will call."
)


async def create(client, portal, body=FULL, title="Call back"):
    result = await gql(
        client, CREATE, {"input": {"title": title, "body": body}}, token=portal.tokens["admin"]
    )
    payload = result["data"]["standardReplyCreate"]
    assert payload["errors"] == [], payload
    return payload["standardReply"]["id"]


async def render(client, portal, reply_id, case_id, token="staff"):
    return await gql(
        client,
        RENDER,
        {"id": reply_id, "caseId": gid("Case", case_id)},
        token=portal.tokens[token],
    )


async def test_placeholders_are_filled_for_the_case(client, world):
    portal = world.portal
    reply = await create(client, portal)
    result = await render(client, portal, reply, portal.case.id)
    assert result["data"]["standardReplyRender"] == (
        f"Dear Kari Kunde, about case {portal.case.number} (claim {portal.case.claim_number}) "
        f"at {portal.case.street}, Oslo: Hans Handler of Nord Insurance will call."
    )


async def test_missing_values_render_as_sensible_text_never_none(client, world, engine):
    portal = world.portal
    # given a case without case handler, claim number or policyholder
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE cases SET case_handler_id = NULL, claim_number = NULL WHERE id = :id"),
            {"id": portal.lonely_case.id},
        )
    reply = await create(client, portal)
    result = await render(client, portal, reply, portal.lonely_case.id)
    rendered = result["data"]["standardReplyRender"]
    assert "None" not in rendered and "{" not in rendered
    # no case handler: the insurer answers; no claim number or policyholder: empty
    assert rendered.startswith("Dear , about case") and "(claim )" in rendered
    assert rendered.endswith("Nord Insurance of Nord Insurance will call.")


async def test_a_filled_value_is_not_read_as_a_placeholder(client, world, engine):
    portal = world.portal
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE case_contacts SET name = '{case_number}' WHERE id = :id"),
            {"id": portal.contact.id},
        )
    reply = await create(client, portal, body="Hi {customer_name}")
    result = await render(client, portal, reply, portal.case.id)
    assert result["data"]["standardReplyRender"] == "Hi {case_number}"


async def test_unknown_placeholder_is_refused_naming_body(client, world):
    portal = world.portal
    for body in ("Hi {customer}", "Case {case_number} for {Nobody} {policy_no}"):
        result = await gql(
            client, CREATE, {"input": {"title": "x", "body": body}}, token=portal.tokens["admin"]
        )
        payload = result["data"]["standardReplyCreate"]
        assert payload["standardReply"] is None
        [error] = payload["errors"]
        assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", "body"]
    # Braces that are not placeholders are plain text.
    await create(client, portal, body="Use { and } freely, or {Capitals}.")
    reply = await create(client, portal, body="Fine")
    refused = await gql(
        client, UPDATE, {"input": {"id": reply, "body": "{oops}"}}, token=portal.tokens["admin"]
    )
    assert refused["data"]["standardReplyUpdate"]["errors"] == [
        {"code": "BAD_USER_INPUT", "field": ["input", "body"]}
    ]


async def test_only_admins_manage_and_only_the_insurer_side_reads(client, world):
    portal = world.portal
    for label in ("staff", "partner", "ech", "customer", "integration"):
        result = await gql(
            client, CREATE, {"input": {"title": "t", "body": "b"}}, token=portal.tokens[label]
        )
        assert error_codes(result) == ["FORBIDDEN"], label
    reply = await create(client, portal)
    for label in ("staff", "admin", "integration"):
        listed = await gql(client, LIST, token=portal.tokens[label])
        assert [r["id"] for r in listed["data"]["standardReplies"]] == [reply], label
    for label in ("partner", "ech", "customer"):
        for document, variables in ((LIST, {}), (PLACEHOLDERS, {})):
            result = await gql(client, document, variables, token=portal.tokens[label])
            assert error_codes(result) == ["FORBIDDEN"], label
        rendered = await render(client, portal, reply, portal.case.id, token=label)
        assert error_codes(rendered) == ["FORBIDDEN"], label
    # another portal sees neither the reply nor can fill it
    foreign = await gql(client, LIST, token=world.foreign.tokens["admin"])
    assert foreign["data"]["standardReplies"] == []
    assert error_codes(await render(client, world.foreign, reply, world.foreign.case.id)) == [
        "NOT_FOUND"
    ]


async def test_render_needs_a_case_visible_to_the_caller(client, world):
    portal = world.portal
    reply = await create(client, portal)
    other_portals_case = await render(client, portal, reply, world.foreign.case.id)
    assert error_codes(other_portals_case) == ["NOT_FOUND"]


async def test_deactivate_update_and_delete(client, world):
    portal = world.portal
    admin = portal.tokens["admin"]
    reply = await create(client, portal)
    updated = await gql(
        client, UPDATE, {"input": {"id": reply, "title": "Later", "active": False}}, token=admin
    )
    assert updated["data"]["standardReplyUpdate"]["standardReply"] == {
        "title": "Later",
        "body": FULL,
        "active": False,
    }
    assert (await gql(client, LIST, token=admin))["data"]["standardReplies"] == []
    listed = await gql(client, LIST, {"all": True}, token=admin)
    assert listed["data"]["standardReplies"] == [{"id": reply, "title": "Later", "active": False}]
    assert error_codes(await render(client, portal, reply, portal.case.id)) == ["BAD_USER_INPUT"]
    deleted = await gql(client, DELETE, {"id": reply}, token=admin)
    assert deleted["data"]["standardReplyDelete"] == {"deletedId": reply, "errors": []}
    assert (await gql(client, LIST, {"all": True}, token=admin))["data"]["standardReplies"] == []
    again = await gql(client, DELETE, {"id": reply}, token=admin)
    assert error_codes(again) == ["NOT_FOUND"]


async def test_placeholders_are_listed_in_the_schema(client, world):
    result = await gql(client, PLACEHOLDERS, token=world.portal.tokens["staff"])
    names = {p["name"] for p in result["data"]["standardReplyPlaceholders"]}
    assert {"customer_name", "case_number", "case_handler", "claim_number"} <= names


async def test_message_send_with_a_standard_reply_sends_it_filled(client, world):
    portal = world.portal
    reply = await create(client, portal, body="Hello {customer_name}, case {case_number}.")
    case_id = gid("Case", portal.case.id)
    sent = await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": case_id, "standardReplyId": reply}},
        token=portal.tokens["staff"],
    )
    payload = sent["data"]["messageSend"]
    assert payload["errors"] == []
    assert payload["message"]["body"] == f"Hello Kari Kunde, case {portal.case.number}."
    commented = await gql(
        client,
        COMMENT_ADD,
        {"input": {"caseId": case_id, "standardReplyId": reply}},
        token=portal.tokens["staff"],
    )
    assert commented["data"]["commentAdd"]["comment"]["body"].startswith("Hello Kari Kunde")


async def test_body_and_reply_id_are_one_or_the_other(client, world):
    portal = world.portal
    reply = await create(client, portal)
    case_id = gid("Case", portal.case.id)
    both = await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": case_id, "body": "Mine", "standardReplyId": reply}},
        token=portal.tokens["staff"],
    )
    [error] = both["data"]["messageSend"]["errors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", "standardReplyId"]
    neither = await gql(
        client, COMMENT_ADD, {"input": {"caseId": case_id}}, token=portal.tokens["staff"]
    )
    [error] = neither["data"]["commentAdd"]["errors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", "body"]
    # a customer cannot send a standard reply (they are the insurer's texts)
    customer = await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": case_id, "standardReplyId": reply}},
        token=portal.tokens["customer"],
    )
    assert error_codes(customer) == ["FORBIDDEN"]


async def test_lists_load_in_a_fixed_number_of_statements(client, world, count_statements):
    portal = world.portal

    async def statements_for(n: int) -> tuple[int, int]:
        for i in range(n):
            await create(client, portal, title=f"R{n}-{i}")
        with count_statements() as replies:
            await gql(client, LIST, token=portal.tokens["staff"])
        with count_statements() as texts:
            await gql(client, "{ notificationTexts { kind body } }", token=portal.tokens["staff"])
        return replies.count, texts.count

    assert await statements_for(1) == await statements_for(5)


@pytest.mark.parametrize(
    ("body", "name", "rendered"),
    [
        # a contact name that is a whole mention
        ("Spoke to {customer_name}.", "@[Boss](user:{id})", "Spoke to @ [Boss] (user:{id})."),
        # one that completes the reply's own `@`
        ("Spoke to @{customer_name}", "[Boss](user:{id})", "Spoke to @ [Boss] (user:{id})"),
    ],
)
async def test_a_customer_chosen_name_never_becomes_a_mention(
    client, world, engine, body, name, rendered
):
    portal = world.portal
    admin_id = gid("User", portal.admin.id)
    # given a policyholder whose name (chosen by the customer) is, or ends, mention syntax
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE case_contacts SET name = :n WHERE id = :id"),
            {"n": name.format(id=admin_id), "id": portal.contact.id},
        )
    reply = await create(client, portal, body=body)
    # when staff insert the reply, filled for the case, into an internal comment
    commented = await gql(
        client,
        COMMENT_ADD_MENTIONS,
        {"input": {"caseId": gid("Case", portal.case.id), "standardReplyId": reply}},
        token=portal.tokens["staff"],
    )
    # then the name is plain text: nobody is mentioned, and the admin is not notified
    payload = commented["data"]["commentAdd"]
    assert payload["errors"] == []
    assert payload["comment"]["body"] == rendered.format(id=admin_id)
    assert payload["comment"]["mentions"] == []
    async with engine.connect() as conn:
        told = await conn.execute(
            text("SELECT count(*) FROM user_notifications WHERE user_id = :u"),
            {"u": portal.admin.id},
        )
        assert told.scalar_one() == 0
    # and the rendered reply reads the same
    result = await render(client, portal, reply, portal.case.id)
    assert result["data"]["standardReplyRender"] == rendered.format(id=admin_id)


@pytest.mark.parametrize(
    ("template", "values"),
    [
        ("Hi {a}.", {"a": "@[B](user:VXNlcjox)"}),
        ("Hi @{a}", {"a": "[B](user:VXNlcjox)"}),
        ("{a}[B](user:VXNlcjox)", {"a": "x@"}),
        ("{a}{b}[B](user:VXNlcjox)", {"a": "x@", "b": ""}),
        ("{a}{b}", {"a": "@", "b": "[B](user:VXNlcjox)"}),
        ("@[{a}", {"a": "B](user:VXNlcjox)"}),
        ("@[B]{a}", {"a": "(user:VXNlcjox)"}),
    ],
)
def test_no_filled_value_opens_or_closes_a_mention(template, values):
    assert MENTION.search(placeholders.fill(template, values)) is None


def test_mentions_the_insurer_wrote_stay_mentions():
    filled = placeholders.fill("@[B](user:VXNlcjox) see {a}", {"a": "Ann"})
    assert filled == "@[B](user:VXNlcjox) see Ann"
    assert MENTION.search(filled) is not None

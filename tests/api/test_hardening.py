"""Regressions from review: scopes of keys, fresh user state, people directories,
malformed input, and events that must stay internal."""

from __future__ import annotations

import base64

from sqlalchemy import text

from resolvers.pagination import encode_cursor
from tests.api.test_mutations import CASE_STATUS, MESSAGE_SEND
from tests.db_state import latest_feed
from tests.factories import PASSWORD, gid
from tests.graphql import error_codes, gql

CREATE_KEY = """mutation ($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) { key } }"""
NODE = "query ($id: ID!) { node(id: $id) { id } }"


async def test_api_key_without_cases_read_reads_no_case_data(client, world):
    portal = world.portal
    created = await gql(
        client,
        CREATE_KEY,
        {"input": {"name": "uploader", "scopes": ["DOCUMENTS_WRITE"]}},
        token=portal.tokens["admin"],
    )
    key = created["data"]["apiKeyCreate"]["key"]
    listing = await gql(client, "{ cases(first: 5) { totalCount } }", token=key)
    assert listing["data"]["cases"]["totalCount"] == 0
    assert error_codes(await gql(client, NODE, {"id": gid("Case", portal.case.id)}, token=key)) == [
        "NOT_FOUND"
    ]
    download = await client.get(
        f"/documents/{gid('Document', portal.ids['docs'][0])}",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert download.status_code == 404


async def test_deactivated_user_is_rejected_with_an_old_token(client, world, engine):
    portal = world.portal
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET active = false WHERE id = :u"), {"u": portal.admin.id}
        )
    result = await gql(client, "{ viewer { role } }", token=portal.tokens["admin"])
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert "disabled" in result["errors"][0]["message"]


async def test_demoted_user_loses_admin_rights_at_once(client, world, engine):
    portal = world.portal
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET authority_level = 2 WHERE id = :u"), {"u": portal.admin.id}
        )
    result = await gql(
        client,
        CREATE_KEY,
        {"input": {"name": "x", "scopes": ["CASES_READ"]}},
        token=portal.tokens["admin"],
    )
    assert error_codes(result) == ["FORBIDDEN"]


async def test_people_directories(client, world):
    portal = world.portal
    partner = portal.tokens["partner"]
    # Partners see the insurer's staff and their own company, not another partner's people.
    assert "errors" not in await gql(
        client, NODE, {"id": gid("User", portal.handler.id)}, token=partner
    )
    other = await gql(
        client, NODE, {"id": gid("User", portal.other_partner_user.id)}, token=partner
    )
    assert error_codes(other) == ["NOT_FOUND"]
    # Customers reach the people on their case through it, and nobody else.
    query = (
        "query ($id: ID!) { case(id: $id) { caseHandler { name } tasks { responsible { name } } } }"
    )
    case = await gql(
        client, query, {"id": gid("Case", portal.case.id)}, token=portal.tokens["customer"]
    )
    assert case["data"]["case"]["caseHandler"] == {"name": "Hans Handler"}
    assert {"name": "Per Partner"} in [t["responsible"] for t in case["data"]["case"]["tasks"]]


async def test_malformed_ids_and_cursors_are_bad_input(client, world):
    token = world.portal.tokens["staff"]
    unicode_digit = base64.urlsafe_b64encode("Case:²".encode()).decode().rstrip("=")
    assert error_codes(await gql(client, NODE, {"id": unicode_digit}, token=token)) == [
        "BAD_USER_INPUT"
    ]
    huge = encode_cursor("9" * 25)
    query = "query ($id: ID!, $after: String) { case(id: $id) { feed(first: 1, after: $after) { totalCount } } }"
    result = await gql(
        client, query, {"id": gid("Case", world.portal.case.id), "after": huge}, token=token
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]
    wrong_type = encode_cursor("number|x|notanumber")
    cases = "query ($after: String) { cases(first: 1, after: $after, orderBy: {field: NUMBER}) { totalCount } }"
    assert error_codes(await gql(client, cases, {"after": wrong_type}, token=token)) == [
        "BAD_USER_INPUT"
    ]


async def test_money_out_of_range_or_too_precise(client, world):
    query = """mutation ($input: CaseUpdateInput!) { caseUpdate(input: $input) { errors { code field } } }"""
    for budget in ("10000000000000", "0.001"):
        result = await gql(
            client,
            query,
            {"input": {"caseId": gid("Case", world.portal.case.id), "budget": budget}},
            token=world.portal.tokens["staff"],
        )
        assert result["data"]["caseUpdate"]["errors"] == [
            {"code": "BAD_USER_INPUT", "field": ["input", "budget"]}
        ]


async def test_login_response_is_read_as_the_new_user(client, world):
    query = """mutation ($e: String!, $p: String!) {
      login(email: $e, password: $p) { user { email company { name } } } }"""
    result = await gql(client, query, {"e": world.portal.handler.email, "p": PASSWORD})
    assert result["data"]["login"]["user"]["company"]["name"] == world.portal.insurer.name


async def test_resuming_from_hold_is_internal(client, world, engine):
    portal = world.portal
    variables = {"input": {"caseId": gid("Case", portal.case.id)}}
    await gql(client, CASE_STATUS % "casePutOnHold", variables, token=portal.tokens["staff"])
    await gql(client, CASE_STATUS % "caseReopen", variables, token=portal.tokens["staff"])
    assert (await latest_feed(engine, portal.case.id))[0] == "case_resumed"
    feed = "query ($id: ID!) { case(id: $id) { feed(first: 20) { nodes { type } } } }"
    customer = await gql(
        client, feed, {"id": gid("Case", portal.case.id)}, token=portal.tokens["customer"]
    )
    types = {n["type"] for n in customer["data"]["case"]["feed"]["nodes"]}
    assert not types & {"CASE_RESUMED", "CASE_PUT_ON_HOLD", "CASE_REOPENED"}


async def test_unshared_documents_cannot_be_attached_for_the_customer(client, world):
    portal = world.portal
    unshared = gid("Document", portal.ids["docs"][1])
    result = await gql(
        client,
        MESSAGE_SEND,
        {
            "input": {
                "caseId": gid("Case", portal.case.id),
                "body": "See report",
                "attachmentIds": [unshared],
            }
        },
        token=portal.tokens["staff"],
    )
    error = result["data"]["messageSend"]["errors"][0]
    assert error["code"] == "BAD_USER_INPUT" and "Share" in error["message"]
    shared = gid("Document", portal.ids["docs"][0])
    ok = await gql(
        client,
        MESSAGE_SEND,
        {
            "input": {
                "caseId": gid("Case", portal.case.id),
                "body": "See photos",
                "attachmentIds": [shared],
            }
        },
        token=portal.tokens["staff"],
    )
    assert ok["data"]["messageSend"]["errors"] == []


async def test_has_previous_page_after_a_cursor(client, world):
    token = world.portal.tokens["staff"]
    query = "query ($after: String) { cases(first: 1, after: $after) { pageInfo { hasPreviousPage endCursor } } }"
    first = await gql(client, query, {}, token=token)
    assert first["data"]["cases"]["pageInfo"]["hasPreviousPage"] is False
    second = await gql(
        client, query, {"after": first["data"]["cases"]["pageInfo"]["endCursor"]}, token=token
    )
    assert second["data"]["cases"]["pageInfo"]["hasPreviousPage"] is True


async def test_case_cursor_with_an_oversized_id_is_bad_input(client, world):
    token = world.portal.tokens["staff"]
    cursor = encode_cursor("created_at|0|" + "9" * 23)
    result = await gql(
        client,
        "query ($a: String) { cases(first: 2, after: $a) { totalCount } }",
        {"a": cursor},
        token=token,
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]


async def test_early_dates_have_four_digit_years(client, world, engine):
    portal = world.portal
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE tasks SET scheduled_start = '0900-01-01T00:00:00Z' WHERE id = :t"),
            {"t": portal.ids["repair"]},
        )
    query = "query ($id: ID!) { node(id: $id) { ... on Task { scheduledStart } } }"
    result = await gql(
        client, query, {"id": gid("Task", portal.ids["repair"])}, token=portal.tokens["staff"]
    )
    assert result["data"]["node"]["scheduledStart"] == "0900-01-01T00:00:00.000000Z"

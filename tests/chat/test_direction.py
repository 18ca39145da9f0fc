"""Who may write in the customer chat (and upload as a customer): the customer page's
communication direction and whether the communication page is shown yet."""

from __future__ import annotations

import pytest

from tests.api.test_documents import upload
from tests.chat.page import notifications, set_case_page, set_portal_page
from tests.factories import Portal, gid
from tests.graphql import error_codes, gql

MESSAGE_SEND = """
mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id body direction } errors { code field message } }
}"""

# Each sender and the case it writes on: the external case handler handles `handled_case`.
SENDERS = {
    "customer": lambda p: p.case,
    "staff": lambda p: p.case,
    "ech": lambda p: p.handled_case,
    "integration": lambda p: p.case,
}

OK, FORBIDDEN = "ok", "FORBIDDEN"

# direction × sender → outcome
DIRECTION_TABLE = {
    "both_ways": {"customer": OK, "staff": OK, "ech": OK, "integration": OK},
    "only_to_customer": {"customer": FORBIDDEN, "staff": OK, "ech": OK, "integration": OK},
    "only_from_customer": {
        "customer": OK,
        "staff": FORBIDDEN,
        "ech": FORBIDDEN,
        "integration": FORBIDDEN,
    },
}
CASES = [
    (direction, sender, outcome)
    for direction, row in DIRECTION_TABLE.items()
    for sender, outcome in row.items()
]


async def send(client, portal: Portal, sender: str, case_id: int, body: str = "Hello") -> dict:
    return await gql(
        client,
        MESSAGE_SEND,
        {"input": {"caseId": gid("Case", case_id), "body": body}},
        token=portal.tokens[sender],
    )


@pytest.mark.parametrize(("direction", "sender", "outcome"), CASES)
async def test_direction_decides_who_may_send(client, world, engine, direction, sender, outcome):
    portal = world.portal
    await set_portal_page(engine, portal.insurer.id, communication_direction=direction)

    result = await send(client, portal, sender, SENDERS[sender](portal).id)

    if outcome == OK:
        assert result["data"]["messageSend"]["errors"] == [], result
        assert result["data"]["messageSend"]["message"]["body"] == "Hello"
    else:
        assert error_codes(result) == ["FORBIDDEN"], result
        assert "communicationDirection" in result["errors"][0]["message"]
        assert direction.upper() in result["errors"][0]["message"]


async def test_a_case_override_decides_for_that_case_only(client, world, engine):
    portal = world.portal
    await set_portal_page(engine, portal.insurer.id, communication_direction="both_ways")
    await set_case_page(
        engine, portal.insurer.id, portal.case.id, communication_direction="only_from_customer"
    )

    on_case = await send(client, portal, "staff", portal.case.id)
    elsewhere = await send(client, portal, "staff", portal.lonely_case.id)

    assert error_codes(on_case) == ["FORBIDDEN"]
    assert elsewhere["data"]["messageSend"]["errors"] == []


@pytest.mark.parametrize(
    ("show_communication", "outcome"),
    [
        ("case_created", OK),
        ("inspector_assigned", OK),  # the case's main inspection has a responsible person
        ("positive_decision", FORBIDDEN),  # no compensation decision yet
        ("never", FORBIDDEN),
    ],
)
async def test_customer_writes_only_once_the_communication_page_is_shown(
    client, world, engine, show_communication, outcome
):
    portal = world.portal
    await set_portal_page(engine, portal.insurer.id, show_communication=show_communication)

    result = await send(client, portal, "customer", portal.case.id)
    staff = await send(client, portal, "staff", portal.case.id, body="Waiting for you")

    if outcome == OK:
        assert result["data"]["messageSend"]["errors"] == []
    else:
        assert error_codes(result) == ["FORBIDDEN"]
        assert "showCommunication" in result["errors"][0]["message"]
    # Staff write regardless: their messages wait on the page until it is shown.
    assert staff["data"]["messageSend"]["errors"] == []


@pytest.mark.parametrize(
    ("page", "outcome"),
    [
        ({"communication_direction": "both_ways"}, OK),
        ({"communication_direction": "only_from_customer"}, OK),
        ({"communication_direction": "only_to_customer"}, FORBIDDEN),
        ({"show_communication": "never"}, FORBIDDEN),
    ],
)
async def test_customer_uploads_follow_the_chat_direction(client, world, engine, page, outcome):
    portal = world.portal
    await set_portal_page(engine, portal.insurer.id, **page)

    response = await upload(client, portal.tokens["customer"], gid("Case", portal.case.id), b"x")

    result = response.json()
    if outcome == OK:
        assert result["data"]["documentUpload"]["errors"] == []
        assert [n[0] for n in await notifications(engine, portal.case.id)] == ["customer_upload"]
    else:
        assert error_codes(result) == ["FORBIDDEN"]
        assert await notifications(engine, portal.case.id) == []


async def test_staff_uploads_ignore_the_chat_direction(client, world, engine):
    portal = world.portal
    await set_portal_page(engine, portal.insurer.id, communication_direction="only_from_customer")

    response = await upload(client, portal.tokens["staff"], gid("Case", portal.case.id), b"x")

    assert response.json()["data"]["documentUpload"]["errors"] == []
    assert await notifications(engine, portal.case.id) == []

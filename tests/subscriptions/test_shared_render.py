"""An event is rendered once per (operation, permission scope), not once per socket."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

import schema.subscription
import schema.types.work
from tests.factories import gid
from tests.subscriptions.test_socket import send_message
from tests.subscriptions.wsclient import GraphQLSocket

CASE_FEED = "subscription ($c: ID!) { caseFeed(caseId: $c) { id type cursor payload } }"
VIEWER_EVENTS = "subscription { viewerCaseEvents(types: [MESSAGE]) { cursor message { body } case { number } } }"


def count_calls(monkeypatch: Any, module: Any, name: str) -> list[int]:
    calls = [0]
    original = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


async def open_subscribed(
    ws_url: str, token: str, query: str, variables: dict[str, Any], n: int
) -> list[tuple[GraphQLSocket, str]]:
    sockets = [await GraphQLSocket.open(ws_url, token) for _ in range(n)]
    return [(s, await s.subscribe(query, variables)) for s in sockets]


async def test_same_operation_and_scope_renders_once_and_scopes_stay_apart(
    ws_url, client, world, monkeypatch
):
    portal = world.portal
    variables = {"c": gid("Case", portal.case.id)}
    staff = await open_subscribed(ws_url, portal.tokens["staff"], CASE_FEED, variables, 4)
    customers = await open_subscribed(ws_url, portal.tokens["customer"], CASE_FEED, variables, 3)
    await staff[0][0].nothing_for(staff[0][1], 0.2)
    cursor_calls = count_calls(monkeypatch, schema.types.work, "encode_cursor")

    await send_message(client, portal.tokens["staff"], portal.case.id, "hello")

    staff_events = [await s.data(op) for s, op in staff]
    customer_events = [await s.data(op) for s, op in customers]
    # Every socket got the event; the selection ran once for staff and once for the customer.
    assert cursor_calls[0] == 2
    first = staff_events[0]
    assert first["data"]["caseFeed"]["type"] == "COMMUNICATION_TO_CUSTOMER"
    assert first["data"]["caseFeed"]["payload"] is not None and "errors" not in first
    assert all(e == first for e in staff_events)
    # Customers share their own render: the (non-null) payload is withheld with FORBIDDEN.
    seen = customer_events[0]
    assert seen["data"] is None  # caseFeed is non-null: the error reaches the root
    assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "Not allowed to read this field" in seen["errors"][0]["message"]
    assert all(e["data"] == seen["data"] for e in customer_events)
    # Errors are formatted per socket: each carries its own socket's request id.
    request_ids = {e["errors"][0]["extensions"]["requestId"] for e in customer_events}
    assert len(request_ids) == len(customers)
    for socket, _ in staff + customers:
        await socket.close()


async def test_concurrent_async_renders_of_one_scope_wait_for_the_first(
    ws_url, client, world, monkeypatch
):
    portal = world.portal
    sockets = await open_subscribed(ws_url, portal.tokens["staff"], VIEWER_EVENTS, {}, 5)
    # A different operation text is a different render, even in the same scope.
    other = await open_subscribed(
        ws_url, portal.tokens["staff"], VIEWER_EVENTS.replace("cursor", "cursor kind"), {}, 1
    )
    await sockets[0][0].nothing_for(sockets[0][1], 0.2)
    case_loads = count_calls(monkeypatch, schema.subscription, "load_one")

    await send_message(client, portal.tokens["staff"], portal.case.id, "one")
    await send_message(client, portal.tokens["staff"], portal.case.id, "two")

    received = await asyncio.gather(*(s.collect(op, 2) for s, op in sockets + other))
    bodies = [[e["data"]["viewerCaseEvents"]["message"]["body"] for e in r] for r in received]
    assert bodies == [["one", "two"]] * 6
    numbers = {e["data"]["viewerCaseEvents"]["case"]["number"] for r in received for e in r}
    assert numbers == {portal.case.number}
    assert case_loads[0] == 4  # two events x two operations, not x six sockets
    for socket, _ in sockets + other:
        await socket.close()


async def colleague_of_the_handler(engine: Any, settings: Any, portal: Any) -> str:
    """A token of another staff member of the handler's portal and authority level."""
    from resolvers.auth import issue_token, user_claims
    from server.db.engine import make_session_factory
    from server.db.enums import UserKind
    from server.db.models import User

    async with make_session_factory(engine)() as session, session.begin():
        colleague = User(
            insurer_id=portal.insurer.id, company_id=portal.insurer.id, kind=UserKind.STAFF,
            email=f"colleague-{portal.insurer.id}@test.casegraph", name="Cora Colleague",
            password_hash="x", authority_level=portal.handler.authority_level,
        )  # fmt: skip
        session.add(colleague)
    return issue_token(user_claims(colleague), settings.signing_key(), 600)[0]


VIEWER_CAN = """subscription { viewerCaseEvents(types: [MESSAGE]) {
  message { body } case { viewerCan { receivesChatNotifications } } } }"""


async def test_what_a_case_says_about_its_viewer_is_never_shared_between_staff(
    ws_url, client, world, engine, settings
):
    """Two staff members of the same level: only the case handler receives the case's
    chat notifications, and each is told so about themselves (a render shared by portal
    and level once gave both the first one's answer)."""
    portal = world.portal
    colleague_token = await colleague_of_the_handler(engine, settings, portal)
    sockets = {
        "handler": await open_subscribed(ws_url, portal.tokens["staff"], VIEWER_CAN, {}, 1),
        "colleague": await open_subscribed(ws_url, colleague_token, VIEWER_CAN, {}, 1),
    }
    await asyncio.sleep(0.2)

    await send_message(client, portal.tokens["staff"], portal.handled_case.id, "hello")

    told = {}
    for who, [(socket, op)] in sockets.items():
        (event,) = await socket.collect(op, 1)
        told[who] = event["data"]["viewerCaseEvents"]["case"]["viewerCan"]
        await socket.close()
    assert told == {
        "handler": {"receivesChatNotifications": True},
        "colleague": {"receivesChatNotifications": False},
    }


async def test_staff_of_one_level_share_renders_of_operations_about_nobody_in_particular(
    ws_url, client, world, engine, settings, monkeypatch
):
    """Dashboards: many staff members watch the same events. Without a person-dependent
    field in the selection, one render serves them all (and ready frames carry it)."""
    portal = world.portal
    variables = {"c": gid("Case", portal.case.id)}
    colleague_token = await colleague_of_the_handler(engine, settings, portal)
    sockets = [
        *await open_subscribed(ws_url, portal.tokens["staff"], CASE_FEED, variables, 2),
        *await open_subscribed(ws_url, colleague_token, CASE_FEED, variables, 2),
    ]
    await sockets[0][0].nothing_for(sockets[0][1], 0.2)
    cursor_calls = count_calls(monkeypatch, schema.types.work, "encode_cursor")

    await send_message(client, portal.tokens["staff"], portal.case.id, "hello")

    events = [await socket.data(op) for socket, op in sockets]
    assert cursor_calls[0] == 1
    assert all(e == events[0] for e in events) and "errors" not in events[0]
    for socket, _ in sockets:
        await socket.close()


FRAGMENTED = """subscription { viewerCaseEvents(types: [MESSAGE]) { ...Said } }
fragment Said on CaseEvent { message { body } case { ...About } }
fragment About on Case { number %s }"""


@pytest.mark.parametrize("personal", [False, True])
async def test_named_fragments_render_and_are_keyed_by_what_they_select(
    ws_url, client, world, engine, settings, monkeypatch, personal
):
    """Found by review: named fragments made every event an INTERNAL error (the executor
    holds fragment details, not definitions). A viewerCan inside a nested fragment keeps
    the render per person."""
    portal = world.portal
    query = FRAGMENTED % ("viewerCan { receivesChatNotifications }" if personal else "")
    colleague_token = await colleague_of_the_handler(engine, settings, portal)
    sockets = {
        "handler": await open_subscribed(ws_url, portal.tokens["staff"], query, {}, 2),
        "colleague": await open_subscribed(ws_url, colleague_token, query, {}, 2),
    }
    await asyncio.sleep(0.2)
    case_loads = count_calls(monkeypatch, schema.subscription, "load_one")
    await send_message(client, portal.tokens["staff"], portal.handled_case.id, "hello")
    for who, subscribed in sockets.items():
        for socket, op in subscribed:
            payload = await socket.data(op)
            assert "errors" not in payload, payload
            case = payload["data"]["viewerCaseEvents"]["case"]
            if personal:
                receives = case["viewerCan"]["receivesChatNotifications"]
                assert receives is (who == "handler")
            await socket.close()
    assert case_loads[0] == (2 if personal else 1)  # rendered per person, or once for both


PERSON_READS = re.compile(r"\.user_id\b")
KNOWN_PERSON_READS = {
    # The external case handler and partner offices: partners are keyed by person.
    "permissions/rules.py": 2,
    "permissions/scopes.py": 3,
    "permissions/field_rules.py": 1,
    "permissions/comment_rules.py": 1,  # staff are answered before the author check
    "permissions/sharing.py": 2,  # the keys themselves
    "schema/types/viewer_can.py": 2,  # viewerCan: in PERSONAL_FIELDS
    # Root fields only (`viewer`, `cases(filter: {...IsMe})`): no live event reaches them.
    "schema/query.py": 4,
    "resolvers/queries/case_list.py": 2,
}


def test_every_resolver_and_rule_that_reads_a_user_id_is_accounted_for():
    """Staff share renders by portal and level. A new field or rule that reads the asking
    user's id must be added to permissions.sharing.PERSONAL_FIELDS (or be for partners
    or customers only, who are keyed by person or case); then update this list."""
    root = Path(__file__).resolve().parents[2]
    sources = [
        "permissions/*.py",
        "schema/**/*.py",
        "resolvers/loaders.py",
        "resolvers/queries/*.py",
    ]
    found = {}
    for path in (path for pattern in sources for path in root.glob(pattern)):
        reads = [
            line for line in path.read_text().splitlines()
            if "principal" in line and PERSON_READS.search(line)
        ]  # fmt: skip
        if reads:
            found[str(path.relative_to(root))] = len(reads)
    assert found == KNOWN_PERSON_READS

"""End to end, issue 7's casework through the demo data, against a real `casegraph serve`
(two worker processes sharing Redis) on a database of its own seeded with the demo:

1. the demo admin defines a self-service case type with a customer-visible CHOICE field,
   a hidden TEXT field, a default case handler and deadline, and an inspection template;
2. a demo customer (demo link token) reports a case through it and opens the new case
   with the token they get back: the visible field, never the hidden one, the customer
   label of the status, never its internal name;
3. the type's default case handler finds the case by type and field value with the
   template's task, fills the hidden field, and answers with a demo standard reply; the
   customer reads it filled in (no placeholders);
4. the SLA clock runs on the portal's default priority: first response due exactly at
   created + target before the answer, met at the answer's time after it;
5. a colleague (the demo admin) with a live `viewerNotificationAdded` socket on the OTHER
   worker process (not the one serving the handler's HTTP connection) is mentioned in an
   internal comment and receives it; the customer's page and feed never show the comment,
   nor the internal status staff moved the case to.

Everything goes through GraphQL over HTTP and WebSocket, the way an app would.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from server.db.migrate import upgrade
from server.seed.demo import DEMO_CUSTOMER_TOKENS, DEMO_PASSWORD, seed_demo_if_empty
from server.seed.demo_texts import REPLIES
from server.settings import Settings
from tests.e2e.process import SECRET_KEY, ServerProcess, serve
from tests.subscriptions.wsclient import GraphQLSocket

# The colleague mentioned in step 5 is the admin: the demo's own mention notified them
# already, so their latest notification's cursor lets the subscription start exactly
# there (nothing missed and nothing extra, whenever the server registers it).
ADMIN, HANDLER = "admin@nordlys.test", "handler1@nordlys.test"
TYPE_NAME = "Storm damage (online report)"
INTERNAL_NOTE = "Neighbour says the roof was already loose before the storm."

LOGIN = "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
ME = "{ viewer { user { id name } insurer { name } } }"
CUSTOMER_LOGIN = """mutation ($t: String!, $c: String) {
  customerLogin(accessToken: $t, code: $c) { token codeRequired errors { code message } }
}"""
SETUP = """{
  priorities { id name firstResponseMinutes resolutionMinutes isDefault }
  workflowStatuses { id name customerLabel isDefault }
  caseTypes { name taskTemplates { office { id name } } }
}"""
DEFINE = """mutation ($i: CaseTypeCreateInput!) {
  caseTypeCreate(input: $i) { caseType { id } errors { code field message } }
}"""
OFFERED = "{ caseTypes { id name fields { key label kind options } } }"
REPORT = """mutation ($t: ID!, $i: CaseReportInput!) {
  customerCaseReport(caseTypeId: $t, input: $i) { caseNumber token errors { code field message } }
}"""
CUSTOMER_VIEW = """{
  viewer { role case {
    number origin customerStatusLabel
    customFields { key label value }
    caseType { name fields { key } }
  } }
}"""
CUSTOMER_PAGE = """{ customerPage { case {
  number customerStatusLabel customFields { key label value }
  messages(first: 20) { nodes { body direction } }
  feed(first: 50) { nodes { type details } }
} } }"""
FORBIDDEN_TO_CUSTOMERS = "{ viewer { case { workflowStatus { name } } } }"
COMMENTS_TO_CUSTOMERS = "{ viewer { case { comments(first: 5) { totalCount } } } }"
FIND = """query ($t: ID!, $k: String!, $v: String!) {
  cases(filter: {caseTypeId: $t, customFields: [{key: $k, equals: $v}]}) {
    totalCount
    nodes {
      id number origin createdAt street city deadline
      caseHandler { name } caseType { name } workflowStatus { name } priority { name }
      contacts { role name }
      customFields { key value }
      tasks { kind title office { name } }
    }
  }
}"""
SET_FIELD = """mutation ($i: CaseUpdateInput!) {
  caseUpdate(input: $i) { case { customFields { key value } } errors { code field message } }
}"""
SLA = """query ($c: ID!) { case(id: $c) {
  createdAt
  sla {
    state paused pausedSeconds
    firstResponse { state minutes dueAt metAt breachedAt }
    resolution { state minutes dueAt metAt breachedAt }
  }
} }"""
REPLIES_QUERY = "{ standardReplies { id title body } }"
RENDER = "query ($r: ID!, $c: ID!) { standardReplyRender(id: $r, caseId: $c) }"
SEND = """mutation ($i: MessageSendInput!) {
  messageSend(input: $i) { message { id body createdAt } errors { code field message } }
}"""
SET_STATUS = """mutation ($i: CaseSetWorkflowStatusInput!) {
  caseSetWorkflowStatus(input: $i) { errors { code field message } }
}"""
COMMENT = """mutation ($i: CommentAddInput!) {
  commentAdd(input: $i) { comment { id body mentions { name } } errors { code field message } }
}"""
NOTIFICATIONS = """{ viewerNotifications(first: 5) {
  unreadCount edges { cursor node { kind text case { number } comment { body } } }
} }"""
NOTIFICATION_ADDED = """subscription ($a: String) {
  viewerNotificationAdded(after: $a) { kind text cursor case { number } comment { body } actor { name } }
}"""


async def test_casework_journey_through_the_demo_data(database_url, redis_url, tmp_path):
    url = await _fresh_database(database_url)
    async with contextlib.AsyncExitStack() as cleanup:
        cleanup.push_async_callback(_drop_database, database_url, url)  # runs last
        await asyncio.to_thread(upgrade, url)  # Alembic runs its own event loop
        data_dir = tmp_path / "data"
        seeding = Settings(
            database_url=url, redis_url=None, casegraph_data_dir=data_dir, secret_key=SECRET_KEY
        )
        # The server starts (in a thread: serve() waits for /readyz) while the demo loads;
        # the demo is one transaction, so the server sees all of it or nothing.
        server_context = serve(
            database_url=url, redis_url=redis_url, data_dir=data_dir, log=tmp_path / "server.log"
        )
        starting = asyncio.ensure_future(asyncio.to_thread(server_context.__enter__))

        async def stop_server() -> None:
            try:
                await starting
            except BaseException:
                return  # it never came up: serve() stopped it and failed the test
            await asyncio.to_thread(server_context.__exit__, None, None, None)

        cleanup.push_async_callback(stop_server)
        assert await seed_demo_if_empty(url, seeding) is True
        server = await starting
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
            await _journey(server, Api(http))


async def _journey(server: ServerProcess, api: Api) -> None:
    admin, handler = await api.login(ADMIN), await api.login(HANDLER)
    colleague = admin
    me = (await api.data(ME, handler))["viewer"]
    handler_name, insurer_name = me["user"]["name"], me["insurer"]["name"]
    mate = (await api.data(ME, colleague))["viewer"]["user"]

    # 1. The admin defines the type, with the inspection office the demo's own
    #    self-service type uses. (No `defaultPriorityId`: the ids `priorities` gives are
    #    refused there, see the report; the case gets the portal's default priority.)
    setup = await api.data(SETUP, admin)
    (priority,) = (p for p in setup["priorities"] if p["isDefault"])
    assert priority["firstResponseMinutes"] and priority["resolutionMinutes"]
    statuses = {s["name"]: s for s in setup["workflowStatuses"]}
    (default_status,) = (s for s in statuses.values() if s["isDefault"])
    (demo_type,) = (t for t in setup["caseTypes"] if t["taskTemplates"])
    office = demo_type["taskTemplates"][0]["office"]
    defined = await api.ok(DEFINE, admin, i={
        "name": TYPE_NAME, "description": "Roofs, windows and fences after a storm.",
        "customerReporting": True, "defaultDeadlineDays": 10,
        "defaultCaseHandlerId": me["user"]["id"],
        "fields": [
            {"key": "damagedPart", "label": "What was damaged?", "kind": "CHOICE",
             "options": ["Roof", "Windows", "Fence"], "required": True,
             "visibleToCustomer": True},
            {"key": "adjusterNote", "label": "Adjuster's note", "kind": "TEXT"},
        ],
        "taskTemplates": [{"kind": "MAIN_INSPECTION", "title": "Inspect the storm damage",
                           "officeId": office["id"], "startAfterDays": 1}],
    })  # fmt: skip
    type_id = defined["caseType"]["id"]

    # 2. A demo customer signs in with their link token and reports through the type.
    demo_token, demo_case = next((t, d) for t, d in DEMO_CUSTOMER_TOKENS if "Nordlys" in d)
    customer = await api.customer_login(server, demo_token)
    offered = {t["name"]: t for t in (await api.data(OFFERED, customer))["caseTypes"]}
    assert offered[TYPE_NAME]["fields"] == [{
        "key": "damagedPart", "label": "What was damaged?", "kind": "CHOICE",
        "options": ["Roof", "Windows", "Fence"]}]  # fmt: skip
    reported = await api.ok(REPORT, customer, t=type_id, i={
        "damageType": "STORM", "street": "Bakkegata 12", "postalCode": "0579", "city": "Oslo",
        "description": "Tiles blown off the roof tonight.",
        "customFields": [{"key": "damagedPart", "value": "Roof"}],
    })  # fmt: skip
    number, reporter = reported["caseNumber"], reported["token"]
    assert number and reporter

    mine = (await api.data(CUSTOMER_VIEW, reporter))["viewer"]
    assert mine["role"] == "CUSTOMER"
    assert mine["case"] == {
        "number": number, "origin": "CUSTOMER",
        "customerStatusLabel": default_status["customerLabel"],
        "customFields": [{"key": "damagedPart", "label": "What was damaged?", "value": "Roof"}],
        "caseType": {"name": TYPE_NAME, "fields": [{"key": "damagedPart"}]},
    }  # fmt: skip
    assert mine["case"]["customerStatusLabel"] not in statuses
    assert await api.error_code(FORBIDDEN_TO_CUSTOMERS, reporter) == "FORBIDDEN"

    # 3. The type's default case handler finds the case by type and field value, with the
    #    template's task, the default priority and status, and fills the hidden field.
    found = (await api.data(FIND, handler, t=type_id, k="damagedPart", v="Roof"))["cases"]
    assert found["totalCount"] == 1
    (case,) = found["nodes"]
    case_id = case["id"]
    assert (case["number"], case["origin"]) == (number, "CUSTOMER")
    assert case["caseHandler"] == {"name": handler_name}
    assert case["caseType"] == {"name": TYPE_NAME}
    assert case["workflowStatus"] == {"name": default_status["name"]}
    assert case["priority"] == {"name": priority["name"]}
    assert case["tasks"] == [{"kind": "MAIN_INSPECTION", "title": "Inspect the storm damage",
                              "office": {"name": office["name"]}}]  # fmt: skip
    created = _time(case["createdAt"])
    assert _time(case["deadline"]) == created + dt.timedelta(days=10)
    await api.ok(SET_FIELD, handler, i={
        "caseId": case_id, "customFields": [{"key": "adjusterNote", "value": INTERNAL_NOTE}]})  # fmt: skip
    by_note = await api.data(FIND, handler, t=type_id, k="adjusterNote", v=INTERNAL_NOTE)
    assert [c["id"] for c in by_note["cases"]["nodes"]] == [case_id]

    # 4a. The SLA clock before any answer: the case's priority, due at created + target.
    sla = await api.sla(handler, case_id)
    first_due = created + dt.timedelta(minutes=priority["firstResponseMinutes"])
    resolution_due = created + dt.timedelta(minutes=priority["resolutionMinutes"])
    assert sla["state"] == "ON_TRACK" and not sla["paused"] and sla["pausedSeconds"] == 0
    assert sla["firstResponse"] == {
        "state": "ON_TRACK", "minutes": priority["firstResponseMinutes"],
        "dueAt": sla["firstResponse"]["dueAt"], "metAt": None, "breachedAt": None}  # fmt: skip
    assert _time(sla["firstResponse"]["dueAt"]) == first_due
    assert sla["resolution"]["state"] == "ON_TRACK" and sla["resolution"]["metAt"] is None
    assert sla["resolution"]["minutes"] == priority["resolutionMinutes"]
    assert _time(sla["resolution"]["dueAt"]) == resolution_due

    # 3b. The answer: a demo standard reply, filled for the case.
    replies = {r["title"]: r for r in (await api.data(REPLIES_QUERY, handler))["standardReplies"]}
    title, template = REPLIES[0]
    reply = replies[title]
    assert reply["body"] == template
    holder = next(c["name"] for c in case["contacts"] if c["role"] == "POLICYHOLDER")
    assert f"{holder}'s case" in demo_case  # the reporting customer is the policyholder
    expected = template.format(
        customer_name=holder, case_number=number, address=f"{case['street']}, {case['city']}",
        case_handler=handler_name, insurer_name=insurer_name,
    )  # fmt: skip
    rendered = (await api.data(RENDER, handler, r=reply["id"], c=case_id))["standardReplyRender"]
    assert rendered == expected
    sent = (await api.ok(SEND, handler, i={"caseId": case_id, "standardReplyId": reply["id"]}))[
        "message"
    ]
    assert sent["body"] == expected

    page = (await api.data(CUSTOMER_PAGE, reporter))["customerPage"]["case"]
    bodies = [m["body"] for m in page["messages"]["nodes"] if m["direction"] == "TO_CUSTOMER"]
    assert bodies == [expected]
    assert not re.search(r"\{[a-z_]+\}", bodies[0]) and "None" not in bodies[0]
    assert holder in bodies[0] and number in bodies[0] and handler_name in bodies[0]

    # 4b. After the answer: the first response is met at the answer's time, due unchanged.
    sla = await api.sla(handler, case_id)
    assert sla["firstResponse"]["state"] == "MET"
    assert _time(sla["firstResponse"]["metAt"]) == _time(sent["createdAt"])
    assert _time(sla["firstResponse"]["dueAt"]) == first_due
    assert sla["firstResponse"]["breachedAt"] is None
    assert sla["resolution"]["state"] == "ON_TRACK"
    assert _time(sla["resolution"]["dueAt"]) == resolution_due
    assert sla["state"] == "ON_TRACK"

    # Staff move the case to an internal status the customer page does not show.
    (hidden,) = (s for s in statuses.values() if s["customerLabel"] is None)
    await api.ok(SET_STATUS, handler, i={"caseId": case_id, "statusId": hidden["id"]})

    # 5. The colleague listens on the worker process that does NOT serve the handler's
    #    HTTP connection; the handler mentions them in an internal comment.
    before = (await api.data(NOTIFICATIONS, colleague))["viewerNotifications"]
    assert before["edges"], "the demo data mentions the colleague once already"
    after = before["edges"][0]["cursor"]
    async with httpx.AsyncClient(
        base_url=api.http.base_url, timeout=10, limits=httpx.Limits(max_connections=1)
    ) as pinned:
        handler_api = Api(pinned)
        probe = await handler_api.response(ME, handler)
        http_port = _client_port(probe)
        http_worker = await _worker_of(server, http_port)
        sockets = await _sockets_on_other_worker(server, colleague, http_worker)
        ops = [await s.subscribe(NOTIFICATION_ADDED, {"a": after}) for s in sockets]

        body = (f"@[{mate['name']}](user:{mate['id']}) the roof may have been loose before "
                "the storm: can you check the policy's maintenance clause?")  # fmt: skip
        response = await handler_api.response(COMMENT, handler, i={"caseId": case_id, "body": body})
        assert _client_port(response) == http_port  # the same connection, so the same worker
        added = response.json()["data"]["commentAdd"]
        assert added["errors"] == [] and added["comment"]["mentions"] == [{"name": mate["name"]}]

        for socket, op in zip(sockets, ops, strict=True):
            event = await socket.data(op, timeout=10)
            assert "errors" not in event, event
            notification = event["data"]["viewerNotificationAdded"]
            assert notification["kind"] == "MENTION"
            assert (
                notification["text"]
                == f"{handler_name} mentioned you in a comment on case {number}."
            )
            assert notification["case"] == {"number": number}
            assert notification["comment"] == {"body": body}
            assert notification["actor"] == {"name": handler_name}
            await socket.close()
    listed = (await api.data(NOTIFICATIONS, colleague))["viewerNotifications"]
    assert listed["unreadCount"] == before["unreadCount"] + 1
    assert listed["edges"][0]["node"]["comment"] == {"body": body}

    # The customer: no comment in the page or its feed, comments refused, and the internal
    # status's name nowhere (its label is not shown at all).
    page = (await api.data(CUSTOMER_PAGE, reporter))["customerPage"]["case"]
    text = json.dumps(page, ensure_ascii=False)
    feed_types = {entry["type"] for entry in page["feed"]["nodes"]}
    assert "COMMENT_ADDED" not in feed_types and "WORKFLOW_STATUS_CHANGED" not in feed_types
    assert "maintenance clause" not in text and mate["name"] not in text
    assert INTERNAL_NOTE not in text and "adjusterNote" not in text
    assert page["customerStatusLabel"] is None
    assert all(name not in text for name in statuses if name != "New")
    assert page["customFields"] == [
        {"key": "damagedPart", "label": "What was damaged?", "value": "Roof"}
    ]
    assert await api.error_code(COMMENTS_TO_CUSTOMERS, reporter) == "FORBIDDEN"


class Api:
    """GraphQL over HTTP, the way an app calls it."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def response(self, query: str, token: str | None, **variables: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response

    async def data(self, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
        body = (await self.response(query, token, **variables)).json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    async def ok(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        """A mutation's payload, asserting it reported no user errors."""
        payload = next(iter((await self.data(query, token, **variables)).values()))
        assert payload["errors"] == [], payload
        return payload  # type: ignore[no-any-return]

    async def error_code(self, query: str, token: str) -> str:
        body = (await self.response(query, token)).json()
        assert body.get("errors"), body
        return body["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]

    async def login(self, email: str) -> str:
        return (await self.data(LOGIN, None, e=email, p=DEMO_PASSWORD))["login"]["token"]  # type: ignore[no-any-return]

    async def customer_login(self, server: ServerProcess, access_token: str) -> str:
        """The demo link token for a bearer token; with the portal's SMS code if it asks."""
        answer = (await self.data(CUSTOMER_LOGIN, None, t=access_token, c=None))["customerLogin"]
        if answer["codeRequired"]:
            sms = await _logged_notification(server, "customer_login_code")
            code = re.search(r"\b(\d{6})\b", sms["body"]).group(1)  # type: ignore[union-attr]
            answer = (await self.data(CUSTOMER_LOGIN, None, t=access_token, c=code))[
                "customerLogin"
            ]
        assert answer["errors"] == [] and answer["token"], answer
        return answer["token"]  # type: ignore[no-any-return]

    async def sla(self, token: str, case_id: str) -> dict[str, Any]:
        return (await self.data(SLA, token, c=case_id))["case"]["sla"]  # type: ignore[no-any-return]


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _drop_database(database_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    await _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _fresh_database(database_url: str) -> str:
    """A new empty database on the test server (the session's one has other tests' data)."""
    name = f"{urlsplit(database_url).path.lstrip('/')}_journey_{uuid.uuid4().hex[:6]}"
    await _admin(database_url, f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


async def _logged_notification(server: ServerProcess, kind: str) -> dict[str, Any]:
    """The newest notification of `kind` the console sender logged, once it has."""
    async with asyncio.timeout(10):
        while True:
            sent = [
                entry
                for entry in server.log_entries()
                if entry.get("message") == "notification" and entry.get("kind") == kind
            ]
            if sent:
                return sent[-1]
            await asyncio.sleep(0.1)


# Which worker process serves a connection. The server does not say, so the test asks the
# operating system: Linux's /proc knows which process holds the server end of a loopback
# connection. Elsewhere the answer is None and the test keeps two sockets instead.


def _client_port(response: httpx.Response) -> int:
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


async def _worker_of(server: ServerProcess, client_port: int) -> int | None:
    if not Path("/proc/net/tcp").exists():
        return None
    server_port = urlsplit(server.base).port
    ends = (f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}")
    for _ in range(100):  # the worker may not have accepted it yet
        pid = _holder_of(ends)
        if pid is not None:
            return pid
        await asyncio.sleep(0.05)
    return None  # /proc does not tell (a sandbox): fall back to two sockets


def _holder_of(ends: tuple[str, str]) -> int | None:
    inodes = {
        columns[9]
        for columns in (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
        if (columns[1], columns[2]) == ends and columns[9] != "0"
    }
    targets = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in targets:
                    return int(proc.name)
        except OSError:
            continue
    return None


async def _sockets_on_other_worker(
    server: ServerProcess, token: str, http_worker: int | None
) -> list[GraphQLSocket]:
    """One socket served by a process other than `http_worker` (connecting again until the
    kernel hands one to the other worker); two sockets when the process is unknown."""
    if http_worker is None:
        return [await GraphQLSocket.open(server.ws, token) for _ in range(2)]
    tried: list[GraphQLSocket] = []
    try:
        for _ in range(40):
            socket = await GraphQLSocket.open(server.ws, token)
            worker = await _worker_of(server, socket.ws.local_address[1])
            if worker != http_worker:
                return [socket]
            tried.append(socket)
        raise AssertionError(f"40 sockets, all on the HTTP connection's worker {http_worker}")
    finally:
        for socket in tried:
            await socket.close()

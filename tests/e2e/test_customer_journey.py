"""End to end, the customer page as an insurer runs it: the admin configures the page,
staff open a case and the inspector is named; the customer gets the link, signs in with
the SMS code, sees the feed and documents appear as milestones pass, and chats live with
the case handler while the dashboard count goes up and back down.

A real server (two worker processes sharing Redis), driven over HTTP and WebSocket; the
link and the code are read from the console sender's log lines, as a developer would.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest

from tests.e2e.process import ServerProcess, serve
from tests.factories import PASSWORD, build_portal, gid
from tests.subscriptions.wsclient import GraphQLSocket

LOGIN = "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
CUSTOMER_LOGIN = """mutation ($t: String!, $c: String) {
  customerLogin(accessToken: $t, code: $c) {
    token codeRequired codeSentTo helpText errors { code message }
  }
}"""
CONFIGURE = """mutation ($i: CustomerPageSettingsInput!) {
  customerPageSettingsUpdate(input: $i) { errors { code field message } }
}"""
CREATE_CASE = """mutation ($i: CaseCreateInput!) {
  caseCreate(input: $i) { case { id } errors { code message } }
}"""
ADD_TASK = """mutation ($i: TaskAddInput!) {
  taskAdd(input: $i) { task { id } errors { code message } }
}"""
ASSIGN_OFFICE = """mutation ($i: TaskAssignOfficeInput!) {
  taskAssignOffice(input: $i) { errors { code message } }
}"""
ASSIGN_PERSON = """mutation ($i: TaskAssignResponsibleInput!) {
  taskAssignResponsible(input: $i) { errors { code message } }
}"""
DECIDE = """mutation ($i: CaseCompensationDecisionInput!) {
  caseSetCompensationDecision(input: $i) { errors { code message } }
}"""
UPLOAD = """mutation ($i: DocumentUploadInput!) {
  documentUpload(input: $i) { document { id } errors { code message } }
}"""
SEND = """mutation ($i: MessageSendInput!) {
  messageSend(input: $i) { errors { code message } }
}"""
MARK_READ = """mutation ($i: CaseInput!) {
  messagesMarkRead(input: $i) { errors { code message } }
}"""
PAGE = """{ customerPage {
  milestones tabs { newsFeed documents communication }
  communication { canSend }
  contact { caseHandlerName }
  case {
    feed(first: 20) { edges { node { type } } }
  }
} }"""
DOCUMENTS = "{ customerPage { case { documents { edges { node { title } } } } } }"
DASHBOARD = "{ cases(filter: {customerActivity: true}) { totalCount } }"
ACTIVITY = "query ($c: ID!) { case(id: $c) { customerActivityAt unreadMessageCount } }"
MESSAGES = "subscription ($c: ID!) { caseMessages(caseId: $c) { body sender { displayName } } }"


@pytest.fixture(scope="module")
def server(database_url, redis_url, tmp_path_factory):
    with serve(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path_factory.mktemp("journey-data"),
        log=tmp_path_factory.mktemp("journey-log") / "server.log",
    ) as process:
        yield process


async def test_a_customer_follows_their_case_and_chats_live(
    server, engine, settings, app_dispatcher_paused
):
    portal = await build_portal(engine, settings, "Journey")
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        api = Api(http)
        admin = await api.login(portal.admin.email)
        staff = await api.login(portal.handler.email)
        inspector = await api.login(portal.partner_user.email)

        # The admin configures the page: the link goes out when the inspector is named,
        # signing in takes an SMS code, the feed shows from then on, documents and the
        # inspection report only after a positive decision.
        await api.ok(CONFIGURE, admin, i={
            "smsCodeRequired": True, "linkTrigger": "INSPECTOR_ASSIGNED",
            "accessRecipients": "POLICYHOLDER", "showFeed": "INSPECTOR_ASSIGNED",
            "showDocuments": "POSITIVE_DECISION", "autoShareInspectionReport": "POSITIVE_DECISION",
            "showCommunication": "CASE_CREATED", "communicationDirection": "BOTH_WAYS",
            "smsHelpText": "Call us on 22 00 00 00",
        })  # fmt: skip
        created = await api.ok(CREATE_CASE, staff, i={
            "damageType": "WATER", "street": "Elvegata 3", "postalCode": "0150", "city": "Oslo",
            "caseHandlerId": gid("User", portal.handler.id),
            "contacts": [{"role": "POLICYHOLDER", "name": "Ola Kunde",
                          "email": "ola@kunde.test", "phone": "+47 400 12 345"}],
        })  # fmt: skip
        case_id = created["case"]["id"]
        task = await api.ok(ADD_TASK, staff, i={
            "caseId": case_id, "kind": "MAIN_INSPECTION", "title": "Main inspection",
        })  # fmt: skip
        task_id = task["task"]["id"]
        await api.ok(
            ASSIGN_OFFICE, staff, i={"taskId": task_id, "officeId": gid("Office", portal.office.id)}
        )
        assert _notifications(server, "customer_link") == []  # not before the milestone

        # The office names the inspector: the milestone sends the link.
        await api.ok(ASSIGN_PERSON, inspector, i={
            "taskId": task_id, "userId": gid("User", portal.partner_user.id)})  # fmt: skip
        link = await _notification(server, "customer_link", "ola@kunde.test")
        access_token = re.search(r"token=(cgc_[A-Za-z0-9_\-]+)", link["body"]).group(1)

        # Sign in: first the code goes out by SMS, then the code gives the token.
        first = await api.data(CUSTOMER_LOGIN, None, t=access_token, c=None)
        assert first["customerLogin"]["codeRequired"] is True
        assert first["customerLogin"]["codeSentTo"].endswith("345")
        sms = await _notification(server, "customer_login_code", "+47 400 12 345")
        code = re.search(r"\b(\d{6})\b", sms["body"]).group(1)
        wrong = await api.data(
            CUSTOMER_LOGIN, None, t=access_token, c="000000" if code != "000000" else "111111"
        )
        assert wrong["customerLogin"]["helpText"] == "Call us on 22 00 00 00"
        signed_in = await api.data(CUSTOMER_LOGIN, None, t=access_token, c=code)
        customer = signed_in["customerLogin"]["token"]
        assert customer

        # Inspector assigned: the feed is there, documents are not yet.
        page = (await api.data(PAGE, customer))["customerPage"]
        assert page["milestones"] == ["CASE_CREATED", "INSPECTOR_ASSIGNED"]
        assert page["tabs"] == {"newsFeed": True, "documents": False, "communication": True}
        assert page["contact"]["caseHandlerName"] == portal.handler.name
        feed_types = [e["node"]["type"] for e in page["case"]["feed"]["edges"]]
        assert feed_types == [
            "INSPECTOR_ASSIGNED",
            "MAIN_INSPECTION_OFFICE_CHANGED",
            "NEW_TASKS_ADDED",
        ]

        # The inspector uploads the report; a positive decision opens the documents page
        # and shares the report automatically.
        await api.upload(inspector, case_id, task_id, "inspection-report.pdf")
        await api.ok(DECIDE, staff, i={"caseId": case_id, "decision": "ACCEPTED"})
        documents = await api.data(DOCUMENTS, customer)
        titles = [
            e["node"]["title"] for e in documents["customerPage"]["case"]["documents"]["edges"]
        ]
        assert titles == ["Inspection report"]

        # Live chat: each side subscribes (the two sockets may land on different worker
        # processes); the customer writes, the case handler sees it and the dashboard
        # counts the case; the handler answers and marks everything read.
        customer_socket = await GraphQLSocket.open(server.ws, customer)
        staff_socket = await GraphQLSocket.open(server.ws, staff)
        customer_op = await customer_socket.subscribe(MESSAGES, {"c": case_id})
        staff_op = await staff_socket.subscribe(MESSAGES, {"c": case_id})
        await asyncio.sleep(0.3)
        assert await api.count(DASHBOARD, staff) == 0

        await api.ok(SEND, customer, i={"caseId": case_id, "body": "Is the floor covered?"})
        event = await staff_socket.data(staff_op)
        assert "errors" not in event, event
        heard = event["data"]["caseMessages"]
        assert heard == {
            "body": "Is the floor covered?",
            "sender": {"displayName": "ola@kunde.test"},
        }
        assert (await customer_socket.data(customer_op))["data"]["caseMessages"]["body"] == heard[
            "body"
        ]
        assert await api.count(DASHBOARD, staff) == 1
        marker = (await api.data(ACTIVITY, staff, c=case_id))["case"]
        assert marker["customerActivityAt"] is not None and marker["unreadMessageCount"] == 1
        await _notification(server, "customer_message", portal.handler.email)

        await api.ok(SEND, staff, i={"caseId": case_id, "body": "Yes, it is covered."})
        reply = (await customer_socket.data(customer_op))["data"]["caseMessages"]
        assert reply == {
            "body": "Yes, it is covered.",
            "sender": {"displayName": portal.handler.name},
        }
        await api.ok(MARK_READ, staff, i={"caseId": case_id})
        assert await api.count(DASHBOARD, staff) == 0
        marker = (await api.data(ACTIVITY, staff, c=case_id))["case"]
        assert marker == {"customerActivityAt": None, "unreadMessageCount": 0}
        await customer_socket.close()
        await staff_socket.close()


class Api:
    """GraphQL over HTTP, the way an app calls it."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def data(self, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    async def ok(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        """A mutation's payload, asserting it reported no user errors."""
        payload = next(iter((await self.data(query, token, **variables)).values()))
        assert payload["errors"] == [], payload
        return payload

    async def login(self, email: str) -> str:
        return (await self.data(LOGIN, None, e=email, p=PASSWORD))["login"]["token"]

    async def count(self, query: str, token: str) -> int:
        return int((await self.data(query, token))["cases"]["totalCount"])

    async def upload(self, token: str, case_id: str, task_id: str, name: str) -> None:
        variables = {"i": {"caseId": case_id, "taskId": task_id, "file": None,
                           "type": "INSPECTION_REPORT", "title": "Inspection report"}}  # fmt: skip
        response = await self.http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": variables}),
                "map": json.dumps({"0": ["variables.i.file"]}),
            },
            files={"0": (name, b"%PDF-1.4 report", "application/pdf")},
            headers={"Authorization": f"Bearer {token}"},
        )
        payload = response.json()["data"]["documentUpload"]
        assert payload["errors"] == [], payload


def _notifications(server: ServerProcess, kind: str) -> list[dict[str, Any]]:
    """Notifications the console sender has delivered so far."""
    return [
        entry
        for entry in server.log_entries()
        if entry.get("message") == "notification" and entry.get("kind") == kind
    ]


async def _notification(server: ServerProcess, kind: str, recipient: str) -> dict[str, Any]:
    """The notification of `kind` to `recipient`, once the dispatcher has sent it."""
    async with asyncio.timeout(10):
        while True:
            for entry in _notifications(server, kind):
                if entry["recipient"] == recipient:
                    return entry
            await asyncio.sleep(0.1)

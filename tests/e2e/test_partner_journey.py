"""End to end, issue 5's partner walk through the demo data: a Nordlys case handler gives
an open case's external case handler role to the eligible office, the office names its
eligible user, who adds a repair task and hands it to the nearest partner office; that
office names its worker, who uploads a budget file and submits budgets; the external case
handler approves one at their limit and is refused one a cent over it; the staff's CSV
report shows the case with the approved total and the handler's email, and the handler's
`viewerCan` agrees with what they just did. Every step is checked in the case's feed.

A real server (two worker processes sharing Redis), driven over HTTP as an app would. The
demo is seeded into a database of its own on the session's server, not into the session
database: tests/test_seed.py (collected after tests/e2e) expects to seed that one itself.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from server.db.migrate import upgrade
from server.seed import demo
from server.seed.demo import DEMO_PASSWORD, OFFICES, USERS, seed_demo_if_empty
from server.settings import Settings
from tests.e2e.process import SECRET_KEY, serve
from tests.e2e.test_customer_journey import LOGIN, UPLOAD, Api

STAFF = "handler1@nordlys.test"
ADMIN = "admin@nordlys.test"
# Rights the walk needs from the portal's external case handler role.
NEEDED_RIGHTS = {"MANAGE_TASKS", "ASSIGN_TASKS", "APPROVE_BUDGETS"}

ME = "{ viewer { user { id email budgetApprovalLimit office { id name } } } }"
OPEN_CASES = """{ cases(filter: {status: [OPEN], hasExternalCaseHandler: false},
                        orderBy: {field: NUMBER, direction: ASC}, first: 1) {
  nodes { id number externalCaseHandlerOffice { id } externalCaseHandler { id }
          tasks { id } feed(first: 1) { totalCount } }
} }"""
ECH_OFFICES = "{ externalCaseHandlerOffices { id name } }"
ROLE = "{ externalCaseHandlerRole { rights } }"
ROLE_UPDATE = """mutation ($r: [ExternalCaseHandlerRight!]!) {
  externalCaseHandlerRoleUpdate(rights: $r) { role { rights } errors { code message } }
}"""
ASSIGN_ECH_OFFICE = """mutation ($c: ID!, $o: ID) {
  caseAssignExternalCaseHandlerOffice(caseId: $c, officeId: $o) {
    case { externalCaseHandlerOffice { name } externalCaseHandler { id } }
    errors { code message }
  }
}"""
ASSIGN_ECH = """mutation ($c: ID!, $u: ID) {
  caseAssignExternalCaseHandler(caseId: $c, userId: $u) {
    case { externalCaseHandler { email } } errors { code message }
  }
}"""
MY_ECH_CASES = "{ cases(filter: {externalCaseHandlerIsMe: true}) { nodes { id } } }"
ADD_TASK = """mutation ($i: TaskAddInput!) {
  taskAdd(input: $i) { task { id kind office { id } } errors { code message } }
}"""
RECOMMENDED = """query ($c: ID!, $s: String!) {
  recommendedOffices(caseId: $c, service: $s) {
    office { id name services availableForNewTasks } distanceKm
  }
}"""
ASSIGN_OFFICE = """mutation ($i: TaskAssignOfficeInput!) {
  taskAssignOffice(input: $i) { task { office { name } } errors { code message } }
}"""
ASSIGN_PERSON = """mutation ($i: TaskAssignResponsibleInput!) {
  taskAssignResponsible(input: $i) { task { responsible { email } } errors { code message } }
}"""
SUBMIT = """mutation ($i: BudgetSubmitInput!) {
  budgetSubmit(input: $i) { budget { id amount status } errors { code message } }
}"""
APPROVE = """mutation ($i: BudgetDecisionInput!) {
  budgetApprove(input: $i) { budget { id status } errors { code message } }
}"""
TASK_BUDGETS = """query ($t: ID!) { node(id: $t) { ... on Task {
  budgetEstimate budgets { amount status }
} } }"""
VIEWER_CAN = """query ($c: ID!) { case(id: $c) { viewerCan {
  addTasks assignTasks approveBudgets submitBudgets uploadDocuments
  assignExternalCaseHandler assignExternalCaseHandlerOffice externalCaseHandlerRights
} } }"""
FEED = """query ($c: ID!, $n: Int!) { case(id: $c) {
  feed(first: $n) { totalCount edges { node { type actor { email } } } }
} }"""


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _seed(url: str, data_dir: Path) -> bool:
    settings = Settings(database_url=url, casegraph_data_dir=data_dir, secret_key=SECRET_KEY)
    # Every demo user has the same password: hash it once, not once per user (argon2 takes
    # ~0.3 s a hash, a third of the seed's time). Any of the hashes verifies the password.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "hash_password", functools.cache(demo.hash_password))
        return asyncio.run(seed_demo_if_empty(url, settings))


@pytest.fixture(scope="module")
def server(database_url, redis_url, tmp_path_factory) -> Iterator[Any]:
    """A demo database (migrated, then seeded while the server starts) and the server."""
    name = f"{urlsplit(database_url).path.lstrip('/')}_demo_{uuid.uuid4().hex[:6]}"
    url = _with_database(database_url, name)
    asyncio.run(_admin(database_url, f'CREATE DATABASE "{name}"'))
    data_dir = tmp_path_factory.mktemp("partner-data")
    try:
        upgrade(url)
        with ThreadPoolExecutor(1) as pool:
            seeded = pool.submit(_seed, url, data_dir)  # the demo's files go to the server's dir
            with serve(
                database_url=url,
                redis_url=redis_url,
                data_dir=data_dir,
                log=tmp_path_factory.mktemp("partner-log") / "server.log",
            ) as process:
                # True: seeded now; False: already there (the walk needs neither to be so).
                seeded.result(timeout=120)
                yield process
    finally:
        asyncio.run(_admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class DemoApi(Api):
    """The customer journey's Api, signed in with the demo password; also reads refusals
    and uploads a file returning its document id."""

    async def login(self, email: str) -> str:
        return (await self.data(LOGIN, None, e=email, p=DEMO_PASSWORD))["login"]["token"]

    async def me(self, token: str) -> dict[str, Any]:
        return (await self.data(ME, token))["viewer"]["user"]

    async def errors(self, query: str, token: str, **variables: Any) -> list[dict[str, Any]]:
        """The GraphQL errors of a refused operation (its data must be null)."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        assert "errors" in body and body.get("data") is None, body
        return body["errors"]

    async def upload_file(
        self, token: str, case_id: str, task_id: str, name: str, title: str, content: bytes
    ) -> str:
        variables = {"i": {"caseId": case_id, "taskId": task_id, "file": None,
                           "type": "OTHER", "title": title}}  # fmt: skip
        response = await self.http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": variables}),
                "map": json.dumps({"0": ["variables.i.file"]}),
            },
            files={"0": (name, content, "application/pdf")},
            headers={"Authorization": f"Bearer {token}"},
        )
        payload = response.json()["data"]["documentUpload"]
        assert payload["errors"] == [], payload
        return str(payload["document"]["id"])


def _demo_users_of(office_name: str) -> list[str]:
    """Emails of the demo users of an office, in the demo's order."""
    codes = {code for code, values in OFFICES.items() if values[2] == office_name}
    return [email for email, _, _, code, _, _ in USERS if code in codes]


async def test_a_partner_budget_through_the_external_case_handler(server):
    async with httpx.AsyncClient(base_url=server.base, timeout=15) as http:
        api = DemoApi(http)
        staff = await api.login(STAFF)

        # 1. Staff pick an open case without an external case handler and give the role
        # to the one office with an eligible user.
        case = (await api.data(OPEN_CASES, staff))["cases"]["nodes"][0]
        case_id, number = case["id"], case["number"]
        assert case["externalCaseHandlerOffice"] is None and case["externalCaseHandler"] is None
        feed_before = case["feed"]["totalCount"]
        offices = (await api.data(ECH_OFFICES, staff))["externalCaseHandlerOffices"]
        ech_email, ech_office = next(
            (email, code) for email, _, key, code, *_ in USERS
            if key == "nordlys" and email.startswith("ech@")
        )  # fmt: skip
        ech_office_name = OFFICES[ech_office][2]
        assert [o["name"] for o in offices] == [ech_office_name]  # Nordlys has one
        assigned = await api.ok(ASSIGN_ECH_OFFICE, staff, c=case_id, o=offices[0]["id"])
        assert assigned["case"]["externalCaseHandlerOffice"] == {"name": ech_office_name}

        # 2. A (non-eligible) user of that office names the eligible user.
        colleague = next(e for e in _demo_users_of(ech_office_name) if e != ech_email)
        office_user = await api.login(colleague)
        ech = await api.login(ech_email)
        ech_me = await api.me(ech)
        named = await api.ok(ASSIGN_ECH, office_user, c=case_id, u=ech_me["id"])
        assert named["case"]["externalCaseHandler"] == {"email": ech_email}
        mine = (await api.data(MY_ECH_CASES, ech))["cases"]["nodes"]
        assert {"id": case_id} in mine

        # 3. The portal's role must let the handler manage and assign tasks and approve
        # budgets; if it does not, the company admin grants what is missing.
        rights = set((await api.data(ROLE, ech))["externalCaseHandlerRole"]["rights"])
        if NEEDED_RIGHTS - rights:
            admin = await api.login(ADMIN)
            updated = await api.ok(ROLE_UPDATE, admin, r=sorted(rights | NEEDED_RIGHTS))
            rights = set(updated["role"]["rights"])
        assert not NEEDED_RIGHTS - rights, rights

        # The handler adds a repair task and hands it to the nearest partner office that
        # offers repairs (other than their own), as `recommendedOffices` lists them.
        task = (await api.ok(ADD_TASK, ech, i={
            "caseId": case_id, "kind": "REPAIR", "title": "Carpentry",
            "description": "Replace the damaged floor in the living room.",
        }))["task"]  # fmt: skip
        task_id = task["id"]
        assert task["kind"] == "REPAIR" and task["office"] is None
        recommended = (await api.data(RECOMMENDED, ech, c=case_id, s="repair"))[
            "recommendedOffices"
        ]
        assert recommended, "no office offers repairs"
        assert all("repair" in r["office"]["services"] for r in recommended)
        assert all(r["office"]["availableForNewTasks"] for r in recommended)
        distances = [r["distanceKm"] for r in recommended]
        assert None not in distances and distances == sorted(distances)
        partner_office = next(
            r["office"] for r in recommended if r["office"]["name"] != ech_office_name
        )
        moved = await api.ok(
            ASSIGN_OFFICE, ech, i={"taskId": task_id, "officeId": partner_office["id"]}
        )
        assert moved["task"]["office"] == {"name": partner_office["name"]}

        # 4. A user of the partner office names themself, uploads the budget file and
        # submits a budget exactly at the handler's approval limit.
        partner_email = _demo_users_of(partner_office["name"])[0]
        partner = await api.login(partner_email)
        partner_me = await api.me(partner)
        assert partner_me["office"]["id"] == partner_office["id"]
        me_named = await api.ok(
            ASSIGN_PERSON, partner, i={"taskId": task_id, "userId": partner_me["id"]}
        )
        assert me_named["task"]["responsible"] == {"email": partner_email}
        limit = Decimal(ech_me["budgetApprovalLimit"])
        assert limit == Decimal("25000.00")  # the demo's eligible handlers approve up to 25,000
        budget_file = await api.upload_file(
            partner,
            case_id,
            task_id,
            "budget-carpentry.pdf",
            "Budget: carpentry",
            b"%PDF-1.4 budget",
        )
        submitted = await api.ok(SUBMIT, partner, i={
            "taskId": task_id, "amount": str(limit), "documentId": budget_file,
            "description": "Floor, skirting and labour.",
        })  # fmt: skip
        budget = submitted["budget"]
        assert (Decimal(budget["amount"]), budget["status"]) == (limit, "SUBMITTED")

        # 5. The handler approves it (at the limit passes) ...
        approved = await api.ok(APPROVE, ech, i={"budgetId": budget["id"]})
        assert approved["budget"] == {"id": budget["id"], "status": "APPROVED"}
        on_task = (await api.data(TASK_BUDGETS, ech, t=task_id))["node"]
        assert Decimal(on_task["budgetEstimate"]) == limit

        # ... and is refused a budget one cent over it, naming the limit; it stays waiting.
        extra_file = await api.upload_file(
            partner, case_id, task_id, "budget-extra.pdf", "Budget: extra work", b"%PDF-1.4 more"
        )
        over = limit + Decimal("0.01")
        second = (await api.ok(SUBMIT, partner, i={
            "taskId": task_id, "amount": str(over), "documentId": extra_file,
            "description": "Extra work found under the floor.",
        }))["budget"]  # fmt: skip
        [refused] = await api.errors(APPROVE, ech, i={"budgetId": second["id"]})
        assert refused["extensions"]["code"] == "FORBIDDEN"
        assert refused["message"] == (
            "Approval limit 25 000.00 NOK is below the budget 25 000.01 NOK."
        )
        assert Decimal(refused["extensions"]["approvalLimit"]) == limit
        on_task = (await api.data(TASK_BUDGETS, staff, t=task_id))["node"]
        assert Decimal(on_task["budgetEstimate"]) == limit
        assert [(Decimal(b["amount"]), b["status"]) for b in on_task["budgets"]] == [
            (limit, "APPROVED"),
            (over, "SUBMITTED"),
        ]

        # 6. The staff's CSV report: the case's row with the approved (and still waiting)
        # totals and the external case handler's office and email.
        report = await http.get(
            "/reports/case-statistics.csv", headers={"Authorization": f"Bearer {staff}"}
        )
        assert report.status_code == 200, report.text
        assert report.headers["content-type"].startswith("text/csv")
        rows = {row["case_number"]: row for row in csv.DictReader(io.StringIO(report.text))}
        row = rows[number]
        assert Decimal(row["approved_budget_total"]) == limit
        assert Decimal(row["submitted_budget_total"]) == over
        assert row["external_case_handler_email"] == ech_email
        assert row["external_case_handler_office"] == ech_office_name
        assert int(row["task_count"]) == len(case["tasks"]) + 1
        assert row["status"].lower() == "open"
        # The handler is not staff: the report is not theirs.
        assert (
            await http.get(
                "/reports/case-statistics.csv", headers={"Authorization": f"Bearer {ech}"}
            )
        ).status_code == 403

        # viewerCan agrees with what just worked for the handler (and what did not).
        can = (await api.data(VIEWER_CAN, ech, c=case_id))["case"]["viewerCan"]
        assert can["addTasks"] and can["assignTasks"] and can["approveBudgets"]
        assert can["assignExternalCaseHandler"]  # a user of the office holding the role
        assert set(can["externalCaseHandlerRights"]) == rights
        assert can["assignExternalCaseHandlerOffice"] is False  # staff only ...
        [denied] = await api.errors(ASSIGN_ECH_OFFICE, ech, c=case_id, o=None)
        assert denied["extensions"]["code"] == "FORBIDDEN"  # ... and so it is refused
        partner_can = (await api.data(VIEWER_CAN, partner, c=case_id))["case"]["viewerCan"]
        assert partner_can["submitBudgets"] and partner_can["uploadDocuments"]

        # The feed has every step, in order, each by who took it.
        walked = (await api.data(FEED, staff, c=case_id, n=20))["case"]["feed"]
        entries = [e["node"] for e in walked["edges"][: walked["totalCount"] - feed_before]]
        assert [(e["type"], e["actor"]["email"]) for e in reversed(entries)] == [
            ("EXTERNAL_CASE_HANDLER_OFFICE_ASSIGNED", STAFF),
            ("EXTERNAL_CASE_HANDLER_ASSIGNED", colleague),
            ("NEW_TASKS_ADDED", ech_email),
            ("REPAIR_TASK_OFFICE_CHANGED", ech_email),
            ("REPAIR_TASK_RESPONSIBLE_CHANGED", partner_email),
            ("DOCUMENT_UPLOADED", partner_email),
            ("BUDGET_SUBMITTED", partner_email),
            ("BUDGET_APPROVED", ech_email),
            ("DOCUMENT_UPLOADED", partner_email),
            ("BUDGET_SUBMITTED", partner_email),
        ]

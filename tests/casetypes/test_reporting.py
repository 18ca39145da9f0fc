"""Self-service reporting: a signed-in customer, and anyone with a type's public id."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from server.db.casework import Customer, EventLogEntry
from server.db.engine import make_session_factory
from server.db.enums import CaseOrigin, ContactRole
from server.db.models import Case, CaseContact, CustomerAccessGrant, Notification, Task
from tests.graphql import error_codes, gql

REPORT = {
    "damageType": "WATER",
    "street": "Fjellveien 3",
    "postalCode": "5003",
    "city": "Bergen",
    "description": "Water under the sink",
}

CUSTOMER_REPORT = """
mutation ($typeId: ID!, $input: CaseReportInput!) {
  customerCaseReport(caseTypeId: $typeId, input: $input) {
    caseNumber token expiresAt errors { code field message }
  }
}"""

PUBLIC_REPORT = """
mutation ($publicId: String!, $reporter: ReporterInput!, $input: CaseReportInput!) {
  publicCaseReport(publicId: $publicId, reporter: $reporter, input: $input) {
    caseNumber errors { code field message }
  }
}"""

REPORTER = {"name": "Ola Anonym", "email": "ola@example.no"}
REQUIRED_HIDDEN = {
    "key": "adjusterCode", "label": "Adjuster code", "kind": "TEXT", "required": True,
}  # fmt: skip


def _with(values):
    return {**REPORT, "customFields": values}


@pytest.fixture
def anonymous(app):
    """A client without credentials, from an address of its own (its own report budget)."""
    made = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        made.append(client)
        return client

    yield make


async def _case(engine, insurer_id, number):
    sessions = make_session_factory(engine)
    async with sessions() as session:
        stmt = select(Case).where(Case.insurer_id == insurer_id, Case.number == number)
        case = (await session.execute(stmt)).scalar_one()
        contacts = (
            (await session.execute(select(CaseContact).where(CaseContact.case_id == case.id)))
            .scalars()
            .all()
        )
        grants = (
            (
                await session.execute(
                    select(CustomerAccessGrant).where(CustomerAccessGrant.case_id == case.id)
                )
            )
            .scalars()
            .all()
        )
        return case, list(contacts), list(grants)


async def test_a_customer_reports_a_case_and_opens_it_with_the_token(
    client, world, engine, define_type
):
    portal = world.portal
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        customer = Customer(insurer_id=portal.insurer.id, name="Kari Nordmann")
        session.add(customer)
        await session.flush()
        customer_id = customer.id
        (await session.get(Case, portal.case.id)).customer_id = customer_id
    case_type = await define_type(
        customerReporting=True,
        fields=[{"key": "leakSource", "label": "Source", "kind": "CHOICE", "options": ["Pipe"],
                 "required": True, "visibleToCustomer": True}, REQUIRED_HIDDEN],
        taskTemplates=[{"kind": "MAIN_INSPECTION", "title": "Inspect"}],
        defaultDeadlineDays=5,
    )  # fmt: skip

    result = await gql(
        client, CUSTOMER_REPORT,
        {"typeId": case_type["id"], "input": _with([{"key": "leakSource", "value": "Pipe"}])},
        token=portal.tokens["customer"],
    )  # fmt: skip

    payload = result["data"]["customerCaseReport"]
    assert payload["errors"] == [] and payload["caseNumber"]
    opened = await gql(
        client, "{ viewer { case { number origin customFields { key value } } } }",
        token=payload["token"],
    )  # fmt: skip
    assert opened["data"]["viewer"]["case"] == {
        "number": payload["caseNumber"],
        "origin": "CUSTOMER",
        "customFields": [{"key": "leakSource", "value": "Pipe"}],
    }
    case, contacts, grants = await _case(engine, portal.insurer.id, payload["caseNumber"])
    assert case.origin is CaseOrigin.CUSTOMER and case.customer_id == customer_id
    assert case.deadline is not None
    assert [(c.role, c.name, c.email) for c in contacts] == [
        (ContactRole.POLICYHOLDER, portal.contact.name, portal.contact.email)
    ]
    assert len(grants) == 1 and grants[0].contact_id == contacts[0].id
    async with sessions() as session:
        links = (
            (
                await session.execute(
                    select(Notification).where(
                        Notification.case_id == case.id, Notification.kind == "customer_link"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(links) == 1  # the reporter can come back through their link
    async with sessions() as session:
        logged = (
            (
                await session.execute(
                    select(EventLogEntry).where(
                        EventLogEntry.insurer_id == portal.insurer.id,
                        EventLogEntry.action == "customerAccess.grant",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [(e.subject_id, e.actor_label) for e in logged] == [
        (str(grants[0].id), f"customer:{portal.ids['grant']}")
    ]
    async with sessions() as session:
        titles = (
            (await session.execute(select(Task.title).where(Task.case_id == case.id)))
            .scalars()
            .all()
        )
    assert titles == ["Inspect"]


async def test_customer_reports_are_checked_like_any_case(client, world, define_type):
    portal = world.portal
    closed = await define_type(name="Staff only")
    open_type = await define_type(
        name="Self-service", customerReporting=True,
        fields=[{"key": "leakSource", "label": "Source", "kind": "TEXT", "required": True,
                 "visibleToCustomer": True}, REQUIRED_HIDDEN],
    )  # fmt: skip
    token = portal.tokens["customer"]

    async def report(type_id, values):
        return await gql(
            client, CUSTOMER_REPORT, {"typeId": type_id, "input": _with(values)}, token=token
        )

    not_open = await report(closed["id"], [{"key": "leakSource", "value": "x"}])
    hidden = await report(
        open_type["id"],
        [{"key": "leakSource", "value": "x"}, {"key": "adjusterCode", "value": "A"}],
    )
    missing = await report(open_type["id"], [])
    staff = await gql(
        client,
        CUSTOMER_REPORT,
        {"typeId": open_type["id"], "input": _with([])},
        token=portal.tokens["staff"],
    )

    assert error_codes(not_open) == ["NOT_FOUND"]
    errors = [
        hidden["data"]["customerCaseReport"]["errors"],
        missing["data"]["customerCaseReport"]["errors"],
    ]
    assert [[(e["code"], e["field"]) for e in es] for es in errors] == [
        [("BAD_USER_INPUT", ["input", "customFields", "adjusterCode"])],  # hidden: unknown here
        [("BAD_USER_INPUT", ["input", "customFields", "leakSource"])],
    ]
    assert error_codes(staff) == ["FORBIDDEN"]


async def test_anyone_reports_with_the_public_id(anonymous, world, engine, define_type):
    case_type = await define_type(publicReporting=True, fields=[
        {"key": "leakSource", "label": "Source", "kind": "TEXT", "visibleToCustomer": True}, REQUIRED_HIDDEN])  # fmt: skip
    async with anonymous("10.7.0.1") as client:
        result = await gql(
            client, PUBLIC_REPORT,
            {"publicId": case_type["publicId"], "reporter": REPORTER,
             "input": _with([{"key": "leakSource", "value": "Roof"}])},
        )  # fmt: skip

    payload = result["data"]["publicCaseReport"]
    assert payload["errors"] == []
    assert set(payload) == {"caseNumber", "errors"}
    case, contacts, _ = await _case(engine, world.portal.insurer.id, payload["caseNumber"])
    assert case.origin is CaseOrigin.PUBLIC and case.case_type_id is not None
    assert case.custom_fields == {"leakSource": "Roof"}
    assert [(c.role, c.name, c.email) for c in contacts] == [
        (ContactRole.POLICYHOLDER, "Ola Anonym", "ola@example.no")
    ]


async def test_unknown_closed_and_inactive_public_ids_look_the_same(
    anonymous, define_type, client, world
):
    not_public = await define_type(name="Internal")
    inactive = await define_type(name="Gone", publicReporting=True, active=False)
    answers = []
    async with anonymous("10.7.0.2") as anon:
        for public_id in (
            "no-such-id",
            not_public["publicId"],
            inactive["publicId"],
            "\x00",
            "x" * 99,
        ):
            result = await gql(
                anon, PUBLIC_REPORT, {"publicId": public_id, "reporter": REPORTER, "input": REPORT}
            )
            answers.append((error_codes(result), result["errors"][0]["message"]))

    assert all(answer == answers[0] for answer in answers)
    assert answers[0][0] == ["NOT_FOUND"]


async def test_public_reports_need_a_way_to_reach_the_reporter(anonymous, define_type):
    case_type = await define_type(publicReporting=True, fields=[])
    async with anonymous("10.7.0.3") as client:
        result = await gql(
            client, PUBLIC_REPORT,
            {"publicId": case_type["publicId"], "reporter": {"name": "Ola"}, "input": REPORT},
        )  # fmt: skip

    assert result["data"]["publicCaseReport"]["errors"][0]["code"] == "BAD_USER_INPUT"


async def test_public_reports_are_rate_limited_per_address(anonymous, define_type):
    case_type = await define_type(publicReporting=True, fields=[])
    variables = {"publicId": case_type["publicId"], "reporter": REPORTER, "input": REPORT}

    async with anonymous("10.7.0.4") as client, anonymous("10.7.0.5") as neighbour:
        numbers = []
        for _ in range(5):
            result = await gql(client, PUBLIC_REPORT, variables)
            numbers.append(result["data"]["publicCaseReport"]["caseNumber"])
        refused = await client.post(
            "/graphql", json={"query": PUBLIC_REPORT, "variables": variables}
        )
        other = await gql(neighbour, PUBLIC_REPORT, variables)

    assert all(numbers) and len(set(numbers)) == 5
    body = refused.json()
    assert refused.status_code == 429
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert body["errors"][0]["extensions"]["retryAfter"] > 0
    assert other["data"]["publicCaseReport"]["errors"] == []


@pytest.mark.parametrize(
    "document",
    [
        'mutation { caseTypeCreate(input: {name: "x"}) { errors { code } } }',
        'mutation { customerCaseReport(caseTypeId: "x", input: {damageType: WATER, street: "a", postalCode: "1", city: "b"}) { errors { code } } }',
        "{ caseTypes { name } }",
    ],
)
async def test_anonymous_callers_may_only_report_publicly(anonymous, document):
    async with anonymous("10.7.0.6") as client:
        result = await client.post("/graphql", json={"query": document})

    assert [e["extensions"]["code"] for e in result.json()["errors"]] == ["UNAUTHENTICATED"]

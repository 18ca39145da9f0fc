"""End to end, a self-service case type: the admin defines water damage with two custom
fields and an inspection template; the customer reports a second case through it and
opens it with the token they get back; staff find it by its field value with the
inspection already planned; anonymous reports are limited per address across both
server processes (the buckets live in Redis)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from tests.e2e.process import serve
from tests.factories import PASSWORD, build_portal, gid

LOGIN = "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
CUSTOMER_LOGIN = "mutation ($t: String!) { customerLogin(accessToken: $t) { token } }"
DEFINE = """mutation ($i: CaseTypeCreateInput!) {
  caseTypeCreate(input: $i) { caseType { id publicId } errors { field message } }
}"""
TYPES = "{ caseTypes { id name fields { key label kind options required } } }"
REPORT = """mutation ($t: ID!, $i: CaseReportInput!) {
  customerCaseReport(caseTypeId: $t, input: $i) { caseNumber token errors { field message } }
}"""
PUBLIC = """mutation ($p: String!, $r: ReporterInput!, $i: CaseReportInput!) {
  publicCaseReport(publicId: $p, reporter: $r, input: $i) { caseNumber errors { message } }
}"""
MINE = "{ viewer { case { number origin customFields { key value } } } }"
FOUND = """query ($t: ID!) {
  cases(filter: {caseTypeId: $t, customFields: [{key: "leakSource", equals: "Pipe"}]}) {
    nodes { number origin deadline caseHandler { name } customFields { key value }
            tasks { kind title office { name } scheduledStart } }
  }
}"""
DAMAGE = {"damageType": "WATER", "street": "Elvegata 2", "postalCode": "0150", "city": "Oslo"}


@pytest.fixture(scope="module")
def server(database_url, redis_url, tmp_path_factory):
    with serve(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path_factory.mktemp("casetypes-data"),
        log=tmp_path_factory.mktemp("casetypes-log") / "server.log",
    ) as process:
        yield process


async def _data(http: httpx.AsyncClient, query: str, token: str | None, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_a_customer_reports_through_a_self_service_type(server, engine, settings, redis_url):
    portal = await build_portal(engine, settings, "SelfService")
    # The bucket is per client address and lives in the shared Redis for 15 minutes: an
    # earlier run from this machine must not have spent part of it.
    redis = aioredis.from_url(redis_url)
    await redis.delete("casegraph:bucket:public-report:127.0.0.1")
    await redis.aclose()
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        admin = (await _data(http, LOGIN, None, e=portal.admin.email, p=PASSWORD))["login"]["token"]
        staff = (await _data(http, LOGIN, None, e=portal.handler.email, p=PASSWORD))["login"][
            "token"
        ]
        customer = (await _data(http, CUSTOMER_LOGIN, None, t=portal.ids["link_token"]))[
            "customerLogin"]["token"]  # fmt: skip

        defined = await _data(http, DEFINE, admin, i={
            "name": "Water damage (self-service)", "customerReporting": True,
            "publicReporting": True, "defaultDeadlineDays": 14,
            "defaultCaseHandlerId": gid("User", portal.handler.id),
            "fields": [
                {"key": "leakSource", "label": "Where did the water come from?", "kind": "CHOICE",
                 "options": ["Pipe", "Roof"], "required": True, "visibleToCustomer": True},
                {"key": "meterReading", "label": "Meter reading", "kind": "NUMBER"},
            ],
            "taskTemplates": [{"kind": "MAIN_INSPECTION", "title": "Inspect the damage",
                               "officeId": gid("Office", portal.office.id), "startAfterDays": 2}],
        })  # fmt: skip
        case_type = defined["caseTypeCreate"]["caseType"]
        offered = (await _data(http, TYPES, customer))["caseTypes"]
        assert offered == [{
            "id": case_type["id"], "name": "Water damage (self-service)",
            "fields": [{"key": "leakSource", "label": "Where did the water come from?",
                        "kind": "CHOICE", "options": ["Pipe", "Roof"], "required": True}],
        }]  # fmt: skip

        reported = (await _data(http, REPORT, customer, t=case_type["id"], i={
            **DAMAGE, "customFields": [{"key": "leakSource", "value": "Pipe"}]}))["customerCaseReport"]  # fmt: skip
        assert reported["errors"] == []
        mine = (await _data(http, MINE, reported["token"]))["viewer"]["case"]
        assert mine == {"number": reported["caseNumber"], "origin": "CUSTOMER",
                        "customFields": [{"key": "leakSource", "value": "Pipe"}]}  # fmt: skip

        (found,) = (await _data(http, FOUND, staff, t=case_type["id"]))["cases"]["nodes"]
        assert found["number"] == reported["caseNumber"] and found["deadline"]
        assert found["caseHandler"] == {"name": portal.handler.name}
        assert found["customFields"] == [
            {"key": "leakSource", "value": "Pipe"},
            {"key": "meterReading", "value": None},
        ]
        (task,) = found["tasks"]
        assert (task["kind"], task["office"]) == ("MAIN_INSPECTION", {"name": portal.office.name})
        assert task["scheduledStart"]

        variables = {"p": case_type["publicId"], "r": {"name": "Ola", "phone": "+47 400 00 000"},
                     "i": {**DAMAGE, "customFields": [{"key": "leakSource", "value": "Roof"}]}}  # fmt: skip
        codes = []
        for _ in range(6):  # two workers answer in turn; one bucket per address in Redis
            response = await http.post("/graphql", json={"query": PUBLIC, "variables": variables})
            body = response.json()
            codes.append(body["errors"][0]["extensions"]["code"] if "errors" in body else "ok")
        assert codes == ["ok"] * 5 + ["RATE_LIMITED"]

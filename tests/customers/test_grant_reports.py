"""A customer grant holder's self-service report: the new case is reached through the
same customer grant (no link of its own), so it ends with that grant."""

from __future__ import annotations

from sqlalchemy import select

from resolvers.global_ids import decode_global_id
from server.db.casework import EventLogEntry
from server.db.engine import make_session_factory
from server.db.models import Case, CustomerAccessGrant, Notification
from tests.casetypes.conftest import define_type  # noqa: F401  (a fixture)
from tests.customer_page.helpers import set_portal_settings
from tests.customers.conftest import GRANT_REVOKE, grant_login, ok, open_case
from tests.graphql import error_codes, gql

CUSTOMER_REPORT = """
mutation ($typeId: ID!, $input: CaseReportInput!) {
  customerCaseReport(caseTypeId: $typeId, input: $input) {
    caseNumber token errors { code field message }
  }
}"""
REPORT = {"damageType": "WATER", "street": "Fjellveien 3", "postalCode": "5003", "city": "Bergen"}
OWN_CASE = "{ viewer { case { number } } customerPage { case { number } } }"


def decode_gid(global_id: str) -> int:
    return decode_global_id(global_id)[1]


async def test_a_grant_holders_report_ends_with_the_customer_grant(
    client,
    world,
    brokered,
    define_type,  # noqa: F811
    engine,
):
    portal = world.portal
    # given a portal that sends links as soon as a case is created, and a grant holder
    # signed in to a covered case (customer A)
    await set_portal_settings(engine, portal.insurer.id, link_trigger="case_created")
    case_type = await define_type(name="Self", customerReporting=True, fields=[])
    session = (await grant_login(client, brokered.access_token))["sessionToken"]
    bearer = (await open_case(client, session, portal.case.id))["data"]["grantOpenCase"]["token"]

    # when the holder reports a new case
    reported = await gql(
        client, CUSTOMER_REPORT, {"typeId": case_type["id"], "input": REPORT}, token=bearer
    )

    # then the payload's token opens it, through the same customer grant, with no link sent
    payload = reported["data"]["customerCaseReport"]
    assert payload["errors"] == [], payload
    opened = await gql(client, OWN_CASE, token=payload["token"])
    assert opened["data"]["viewer"]["case"]["number"] == payload["caseNumber"]
    sessions = make_session_factory(engine)
    async with sessions() as s:
        case = (
            await s.execute(
                select(Case).where(
                    Case.insurer_id == portal.insurer.id, Case.number == payload["caseNumber"]
                )
            )
        ).scalar_one()
        grants = (
            (
                await s.execute(
                    select(CustomerAccessGrant).where(CustomerAccessGrant.case_id == case.id)
                )
            )
            .scalars()
            .all()
        )
        links = (
            await s.execute(
                select(Notification.id).where(
                    Notification.case_id == case.id, Notification.kind == "customer_link"
                )
            )
        ).all()
        logged = (
            (
                await s.execute(
                    select(EventLogEntry.after).where(
                        EventLogEntry.insurer_id == portal.insurer.id,
                        EventLogEntry.action == "customerAccess.grant",
                        EventLogEntry.subject_id == str(grants[0].id),
                    )
                )
            )
            .scalars()
            .all()
        )
    customer_grant_id = decode_gid(brokered.grant_id)
    assert case.customer_id == decode_gid(brokered.customers["A"])
    assert [g.customer_grant_id for g in grants] == [customer_grant_id]
    assert links == []
    assert [entry["customerGrantId"] for entry in logged] == [customer_grant_id]

    # when staff revoke the customer grant
    await ok(client, GRANT_REVOKE, {"id": brokered.grant_id}, portal.tokens["staff"])

    # then the reported case is closed to the holder too, like the case they opened
    assert error_codes(await gql(client, OWN_CASE, token=bearer)) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(client, OWN_CASE, token=payload["token"])) == ["UNAUTHENTICATED"]
    async with sessions() as s:
        revoked = (
            await s.execute(
                select(CustomerAccessGrant.revoked_at).where(CustomerAccessGrant.case_id == case.id)
            )
        ).scalar_one()
    assert revoked is not None

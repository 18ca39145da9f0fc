"""Automatic links: when the case reaches the portal's link trigger, the contacts the
"who gets access" setting selects get a grant and a link, once."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from schema.node import decode_global_id
from tests.customer_access.conftest import (
    configure,
    contact_input,
    create_case,
    link_token,
    login,
    notifications,
)
from tests.factories import gid
from tests.graphql import gql

TASK_ADD = """
mutation ($input: TaskAddInput!) { taskAdd(input: $input) { task { id } errors { message } } }"""
ASSIGN_OFFICE = """
mutation ($input: TaskAssignOfficeInput!) {
  taskAssignOffice(input: $input) { task { id } errors { message } } }"""
ASSIGN_RESPONSIBLE = """
mutation ($input: TaskAssignResponsibleInput!) {
  taskAssignResponsible(input: $input) { task { id } errors { message } } }"""
DECISION = """
mutation ($input: CaseCompensationDecisionInput!) {
  caseSetCompensationDecision(input: $input) { case { id } errors { message } } }"""

CONTACTS = [
    contact_input("POLICYHOLDER", "Per Policy", "per@example.test", "+47 900 00 001"),
    contact_input("CONTACT_PERSON", "Kim Contact", None, "+47 900 00 002"),
    contact_input("OTHER", "Olav Other", "olav@example.test", None),
]
RECIPIENTS = {
    "policyholder": {"per@example.test"},
    "contact_person": {"+47 900 00 002"},
    "both": {"per@example.test", "+47 900 00 002"},
    "all_contacts": {"per@example.test", "+47 900 00 002", "olav@example.test"},
}
STEPS = ["case_created", "inspector_assigned", "positive_decision"]

# The tests read links from queued rows: the app's dispatcher would send them and remove
# the secrets first.
pytestmark = pytest.mark.usefixtures("app_dispatcher_paused")


async def assign_inspector(client, portal, case_id: int) -> None:
    staff = portal.tokens["staff"]
    added = await gql(
        client,
        TASK_ADD,
        {"input": {"caseId": gid("Case", case_id), "kind": "MAIN_INSPECTION", "title": "Main"}},
        token=staff,
    )
    task_id = added["data"]["taskAdd"]["task"]["id"]
    office = {"taskId": task_id, "officeId": gid("Office", portal.office.id)}
    result = await gql(client, ASSIGN_OFFICE, {"input": office}, token=staff)
    assert result["data"]["taskAssignOffice"]["errors"] == []
    person = {"taskId": task_id, "userId": gid("User", portal.partner_user.id)}
    result = await gql(client, ASSIGN_RESPONSIBLE, {"input": person}, token=staff)
    assert result["data"]["taskAssignResponsible"]["errors"] == []


async def decide(client, portal, case_id: int, decision: str = "ACCEPTED") -> None:
    variables = {"input": {"caseId": gid("Case", case_id), "decision": decision}}
    result = await gql(client, DECISION, variables, token=portal.tokens["staff"])
    assert result["data"]["caseSetCompensationDecision"]["errors"] == []


async def sent_to(engine, case_id: int) -> list[str]:
    return [row.recipient for row in await notifications(engine, case_id, "customer_link")]


@pytest.mark.parametrize("recipients", list(RECIPIENTS))
@pytest.mark.parametrize("trigger", [*STEPS, "manual"])
async def test_links_go_out_at_the_trigger_to_the_selected_contacts(
    client, world, engine, trigger, recipients
):
    portal = world.portal
    await configure(engine, portal.insurer.id, link_trigger=trigger, access_recipients=recipients)
    case_id = await create_case(client, portal, CONTACTS)
    progress = {
        "case_created": lambda: None,
        "inspector_assigned": lambda: assign_inspector(client, portal, case_id),
        "positive_decision": lambda: decide(client, portal, case_id),
    }
    for step in STEPS:
        if step != "case_created":
            await progress[step]()
        reached = trigger != "manual" and STEPS.index(step) >= STEPS.index(trigger)
        expected = RECIPIENTS[recipients] if reached else set()
        recipients_now = await sent_to(engine, case_id)
        assert sorted(recipients_now) == sorted(expected), (step, recipients_now)


async def test_passing_the_milestone_again_sends_nothing_new(client, world, engine):
    portal = world.portal
    await configure(engine, portal.insurer.id, link_trigger="positive_decision")
    case_id = await create_case(client, portal, CONTACTS[:1])
    await decide(client, portal, case_id)
    await decide(client, portal, case_id, "MORE_INFORMATION_NEEDED")
    await decide(client, portal, case_id)
    await assign_inspector(client, portal, case_id)  # another on_case_progress, same state
    assert await sent_to(engine, case_id) == ["per@example.test"]
    async with engine.connect() as conn:
        grants = (
            await conn.execute(
                text("SELECT link_sent_at FROM customer_access_grants WHERE case_id = :c"),
                {"c": case_id},
            )
        ).all()
    assert len(grants) == 1 and grants[0].link_sent_at is not None


async def test_the_link_works_and_email_wins_over_sms(client, world, engine):
    portal = world.portal
    await configure(engine, portal.insurer.id, link_trigger="case_created")
    case_id = await create_case(client, portal, CONTACTS[:1])
    [row] = await notifications(engine, case_id, "customer_link")
    assert row.channel == "email" and row.subject and "Your case" in row.subject
    assert "{{public_url}}/customer?token=cgc_" in row.body  # filled in when sent
    signed_in = await login(client, link_token(row.body))
    assert signed_in["errors"] == [] and signed_in["token"]
    viewer = await gql(client, "{ viewer { case { id } } }", token=signed_in["token"])
    assert decode_global_id(viewer["data"]["viewer"]["case"]["id"])[1] == case_id


async def test_a_contact_without_email_or_phone_is_left_to_staff(client, world, engine):
    portal = world.portal
    await configure(engine, portal.insurer.id, link_trigger="case_created")
    case_id = await create_case(
        client, portal, [contact_input("POLICYHOLDER", "No Reach", None, None)]
    )
    assert await sent_to(engine, case_id) == []


async def test_a_revoked_contact_gets_no_automatic_link_later(client, world, engine):
    portal = world.portal
    await configure(engine, portal.insurer.id, link_trigger="inspector_assigned")
    case_id = await create_case(client, portal, CONTACTS[:1])
    async with engine.begin() as conn:  # staff granted and revoked by hand before the trigger
        await conn.execute(
            text(
                "INSERT INTO customer_access_grants"
                " (insurer_id, case_id, contact_id, token_hash, revoked_at)"
                " SELECT insurer_id, case_id, id, md5(random()::text), now()"
                " FROM case_contacts WHERE case_id = :c"
            ),
            {"c": case_id},
        )
    await assign_inspector(client, portal, case_id)
    assert await sent_to(engine, case_id) == []


CLOSE = (
    """mutation ($input: CaseStatusInput!) { caseClose(input: $input) { errors { message } } }"""
)
OVERRIDE = """mutation ($c: ID!, $i: CustomerPageSettingsInput) {
  caseCustomerPageOverride(caseId: $c, input: $i) { errors { message } } }"""


async def test_a_closed_case_sends_no_links(client, world, engine):
    portal = world.portal
    await configure(engine, portal.insurer.id, link_trigger="manual")
    case_id = await create_case(client, portal, CONTACTS)
    staff, case = portal.tokens["staff"], gid("Case", case_id)
    closed = await gql(client, CLOSE, {"input": {"caseId": case, "reason": "Paid"}}, token=staff)
    assert closed["data"]["caseClose"]["errors"] == []

    result = await gql(
        client, OVERRIDE, {"c": case, "i": {"linkTrigger": "CASE_CREATED"}}, token=staff
    )

    assert result["data"]["caseCustomerPageOverride"]["errors"] == []
    assert await notifications(engine, case_id, "customer_link") == []

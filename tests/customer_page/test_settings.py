"""Configuring the customer page: who may, what is refused, and overrides per case."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from server.db.enums import ContactRole
from tests.customer_page.helpers import customer_token, set_case_state, set_portal_settings
from tests.factories import gid
from tests.graphql import error_codes, gql

UPDATE = """mutation Update($input: CustomerPageSettingsInput!) {
  customerPageSettingsUpdate(input: $input) {
    settings { showBudget feedFilter showCaseHandlerMobile branding { headings logoUrl } }
    errors { code field message }
  }
}"""

OVERRIDE = """mutation Override($caseId: ID!, $input: CustomerPageSettingsInput,
                               $reset: [CustomerPageSetting!]) {
  caseCustomerPageOverride(caseId: $caseId, input: $input, reset: $reset) {
    settings { showBudget showFeed }
    errors { code field message }
  }
}"""

CONFIG = """query Config($id: ID!) {
  case(id: $id) { customerPageConfig { overridden milestones settings { showBudget } } }
}"""

PAGE = """{ customerPage {
  companyName tabs { budget newsFeed } budget
  contact { caseHandlerName caseHandlerMobile helpText partners { officeName personName phone } }
  schedule { title officeName personName }
  case { number }
} }"""


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("admin", True),
        ("staff", False),  # authority level below 6
        ("partner", False),
        ("ech", False),
        ("customer", False),
        ("integration", False),
    ],
)
async def test_only_company_admins_change_the_portal_settings(client, world, who, allowed):
    result = await gql(
        client, UPDATE, {"input": {"showBudget": "CASE_CREATED"}}, token=world.portal.tokens[who]
    )
    if allowed:
        payload = result["data"]["customerPageSettingsUpdate"]
        assert payload["errors"] == []
        assert payload["settings"]["showBudget"] == "CASE_CREATED"
    else:
        assert error_codes(result) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"branding": {"headings": "red"}}, ["input", "branding", "headings"]),
        ({"branding": {"logoUrl": "http://insecure.example/logo.png"}}, None),
        ({"feedFilter": ["COMMENT_ADDED"]}, ["input", "feedFilter"]),
        ({"showCaseHandlerName": False, "showCaseHandlerMobile": True}, None),
        ({"daysVisibleAfterClosing": -1}, ["input", "daysVisibleAfterClosing"]),
        ({"showBudget": None}, ["input", "showBudget"]),
    ],
)
async def test_invalid_settings_are_refused_naming_the_setting(client, world, change, field):
    token = world.portal.tokens["admin"]
    result = await gql(client, UPDATE, {"input": change}, token=token)
    errors = result["data"]["customerPageSettingsUpdate"]["errors"]
    assert [e["code"] for e in errors] == ["BAD_USER_INPUT"]
    if field is not None:
        assert errors[0]["field"] == field
    # Nothing was stored: the next valid change starts from the defaults.
    ok = await gql(client, UPDATE, {"input": {"showFeed": "NEVER"}}, token=token)
    assert ok["data"]["customerPageSettingsUpdate"]["settings"]["showBudget"] == "NEVER"


async def test_settings_change_only_what_is_given(client, world):
    token = world.portal.tokens["admin"]
    await gql(client, UPDATE, {"input": {"branding": {"headings": "#112233"}}}, token=token)
    result = await gql(client, UPDATE, {"input": {"showCaseHandlerMobile": True}}, token=token)
    settings = result["data"]["customerPageSettingsUpdate"]["settings"]
    assert settings["branding"]["headings"] == "#112233"
    assert settings["showCaseHandlerMobile"] is True
    assert "DOCUMENT_SHARED" in settings["feedFilter"]


async def test_a_case_override_applies_to_that_case_only(client, engine, world):
    portal = world.portal
    other = await customer_token(engine, world, portal.lonely_case, ContactRole.POLICYHOLDER)
    staff = portal.tokens["staff"]
    case_id = gid("Case", portal.case.id)

    result = await gql(
        client, OVERRIDE, {"caseId": case_id, "input": {"showBudget": "CASE_CREATED"}}, token=staff
    )

    assert result["data"]["caseCustomerPageOverride"]["errors"] == []
    mine = await gql(client, PAGE, token=portal.tokens["customer"])
    theirs = await gql(client, PAGE, token=other)
    assert mine["data"]["customerPage"]["tabs"]["budget"] is True
    assert mine["data"]["customerPage"]["budget"] is not None or portal.case.budget is None
    assert theirs["data"]["customerPage"]["tabs"]["budget"] is False
    assert theirs["data"]["customerPage"]["budget"] is None
    config = await gql(client, CONFIG, {"id": case_id}, token=staff)
    assert config["data"]["case"]["customerPageConfig"]["overridden"] == ["SHOW_BUDGET"]

    reset = await gql(client, OVERRIDE, {"caseId": case_id, "reset": ["SHOW_BUDGET"]}, token=staff)
    assert reset["data"]["caseCustomerPageOverride"]["settings"]["showBudget"] == "NEVER"
    config = await gql(client, CONFIG, {"id": case_id}, token=staff)
    assert config["data"]["case"]["customerPageConfig"]["overridden"] == []


async def test_partners_and_customers_cannot_override_a_case(client, world):
    case_id = gid("Case", world.portal.case.id)
    for who in ("partner", "customer"):
        result = await gql(
            client,
            OVERRIDE,
            {"caseId": case_id, "input": {"showBudget": "CASE_CREATED"}},
            token=world.portal.tokens[who],
        )
        assert error_codes(result) == ["FORBIDDEN"], who


@pytest.mark.parametrize(
    ("page_settings", "handler_name", "handler_mobile", "partners", "schedule"),
    [
        ({}, True, False, False, True),
        ({"show_case_handler_name": False}, False, False, False, True),
        ({"show_case_handler_mobile": True}, True, True, False, True),
        ({"show_partner_contact": True, "show_schedule": False}, True, False, True, False),
    ],
)
async def test_contact_block_and_schedule_follow_the_settings(
    client, engine, world, page_settings, handler_name, handler_mobile, partners, schedule
):
    portal = world.portal
    await set_portal_settings(engine, portal.insurer.id, **page_settings)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET phone = '+47 400 00 001' WHERE id = :id"),
            {"id": portal.handler.id},
        )
        await conn.execute(
            text("UPDATE tasks SET customer_meeting_at = now() + interval '2 days' WHERE id = :t"),
            {"t": portal.ids["inspection"]},
        )

    page = (await gql(client, PAGE, token=portal.tokens["customer"]))["data"]["customerPage"]
    case = await gql(
        client,
        "query($id: ID!) { case(id: $id) { caseHandler { name } } }",
        {"id": gid("Case", portal.case.id)},
        token=portal.tokens["customer"],
    )

    contact = page["contact"]
    assert (contact["caseHandlerName"] == portal.handler.name) is handler_name
    assert (contact["caseHandlerMobile"] == "+47 400 00 001") is handler_mobile
    assert bool(contact["partners"]) is partners
    assert (page["schedule"] is not None) is schedule
    if schedule:
        assert [item["title"] for item in page["schedule"]] == ["Main inspection"]
    assert (error_codes(case) == ["FORBIDDEN"]) is not handler_name


async def test_feed_shows_only_the_filter_and_hides_what_the_guide_hides(client, engine, world):
    portal = world.portal
    await set_portal_settings(
        engine, portal.insurer.id, feed_filter=["compensation_decision", "case_closed"]
    )
    staff = portal.tokens["staff"]
    case_id = gid("Case", portal.case.id)
    decide = """mutation($id: ID!) { caseSetCompensationDecision(input: {caseId: $id,
                decision: REJECTED}) { errors { code } } }"""
    close = """mutation($id: ID!) { caseClose(input: {caseId: $id,
               reason: "Paid out; customer was difficult"}) { errors { code } } }"""
    for mutation in (decide, close):
        result = await gql(client, mutation, {"id": case_id}, token=staff)
        assert "errors" not in result, result

    feed = await gql(
        client,
        "query($id: ID!) { case(id: $id) { feed { edges { node { type details } } } } }",
        {"id": case_id},
        token=portal.tokens["customer"],
    )

    entries = [edge["node"] for edge in feed["data"]["case"]["feed"]["edges"]]
    assert [e["type"] for e in entries] == ["CASE_CLOSED", "COMPENSATION_DECISION"]
    assert [e["details"] for e in entries] == [{}, {}]
    staff_view = await gql(
        client,
        "query($id: ID!) { case(id: $id) { feed(first: 2) { edges { node { details } } } } }",
        {"id": case_id},
        token=staff,
    )
    details = [e["node"]["details"] for e in staff_view["data"]["case"]["feed"]["edges"]]
    assert details[1]["decision"] == "rejected"


@pytest.mark.parametrize(
    ("closed_days_ago", "days_visible", "visible"), [(3, 5, True), (6, 5, False), (1, 0, False)]
)
async def test_closed_cases_leave_the_page_after_the_configured_days(
    client, engine, world, closed_days_ago, days_visible, visible
):
    portal = world.portal
    await set_portal_settings(engine, portal.insurer.id, days_visible_after_closing=days_visible)
    closed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=closed_days_ago)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE cases SET status = 'closed', closed_at = :at WHERE id = :id"),
            {"at": closed_at, "id": portal.case.id},
        )

    result = await gql(
        client, "{ customerPage { case { status } } }", token=portal.tokens["customer"]
    )

    if visible:
        assert result["data"]["customerPage"]["case"]["status"] == "CLOSED"
    else:
        assert error_codes(result) == ["UNAUTHENTICATED"]


async def test_reports_are_shared_automatically_at_their_milestone(client, engine, world):
    portal = world.portal
    await set_portal_settings(
        engine, portal.insurer.id, auto_share_inspection_report="inspector_assigned"
    )
    await set_case_state(engine, portal.case, "case_created", portal.partner_user.id)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE documents SET shared_with_customer = false WHERE case_id = :c"),
            {"c": portal.case.id},
        )
    assign = """mutation($task: ID!, $user: ID!) { taskAssignResponsible(input: {taskId: $task,
                userId: $user}) { errors { code message } } }"""

    result = await gql(
        client,
        assign,
        {
            "task": gid("Task", portal.ids["inspection"]),
            "user": gid("User", portal.partner_user.id),
        },
        token=portal.tokens["staff"],
    )

    assert result["data"]["taskAssignResponsible"]["errors"] == []
    docs = await gql(
        client,
        "query($id: ID!) { case(id: $id) { documents { edges { node { title } } }"
        " feed(first: 1) { edges { node { type details } } } } }",
        {"id": gid("Case", portal.case.id)},
        token=portal.tokens["customer"],
    )
    case = docs["data"]["case"]
    assert [e["node"]["title"] for e in case["documents"]["edges"]] == ["Inspection report"]
    assert case["feed"]["edges"][0]["node"] == {
        "type": "DOCUMENT_SHARED",
        "details": {"documentId": portal.ids["docs"][1], "title": "Inspection report"},
    }


async def test_customers_never_read_task_budgets(client, engine, world):
    portal = world.portal
    await set_portal_settings(
        engine, portal.insurer.id, show_budget="case_created", show_project_plan="case_created"
    )
    token = portal.tokens["customer"]
    tasks = await gql(
        client,
        "query($id: ID!) { case(id: $id) { budget tasks { budgetEstimate } } }",
        {"id": gid("Case", portal.case.id)},
        token=token,
    )
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Task { budgetEstimate } } }",
        {"id": gid("Task", portal.ids["repair"])},
        token=token,
    )
    assert set(error_codes(tasks)) == {"FORBIDDEN"} and "taskBudget" in str(tasks["errors"])
    assert error_codes(node) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "change",
    [
        {"branding": None},
        {"smsHelpText": "call\u0000us"},
        {"branding": {"logoUrl": "https://logo.example/a\u0000b.png"}},
    ],
)
async def test_null_branding_and_nul_characters_are_bad_input(client, world, change):
    result = await gql(client, UPDATE, {"input": change}, token=world.portal.tokens["admin"])
    errors = result["data"]["customerPageSettingsUpdate"]["errors"]
    assert [e["code"] for e in errors] == ["BAD_USER_INPUT"], result


async def test_a_positive_decision_without_an_inspector_passes_both_milestones(
    client, engine, world
):
    portal = world.portal
    await set_portal_settings(engine, portal.insurer.id, show_documents="inspector_assigned")
    await set_case_state(engine, portal.case, "case_created", portal.partner_user.id)
    async with engine.begin() as conn:  # a cash settlement: accepted, never inspected
        await conn.execute(
            text("UPDATE cases SET compensation_decision = 'accepted' WHERE id = :c"),
            {"c": portal.case.id},
        )
    page = await gql(client, PAGE_TABS, token=portal.tokens["customer"])
    assert page["data"]["customerPage"] == {
        "milestones": ["CASE_CREATED", "INSPECTOR_ASSIGNED", "POSITIVE_DECISION"],
        "tabs": {"documents": True},
    }


async def test_a_stored_setting_this_version_rejects_falls_back_to_its_default(
    client, engine, world
):
    portal = world.portal
    await set_portal_settings(
        engine, portal.insurer.id, show_budget="case_created", feed_filter=["comment_added"]
    )
    page = await gql(
        client, PAGE_TABS.replace("documents", "budget newsFeed"), token=portal.tokens["customer"]
    )
    assert page["data"]["customerPage"]["tabs"] == {"budget": True, "newsFeed": True}
    config = await gql(
        client, CONFIG, {"id": gid("Case", portal.case.id)}, token=portal.tokens["staff"]
    )
    assert "errors" not in config, config


PAGE_TABS = "{ customerPage { milestones tabs { documents } } }"


SET_LOGO = """mutation ($url: String) {
  companySetLogo(logoUrl: $url) { company { logoUrl } errors { code field } } }"""
LOGO = "{ customerPage { branding { logoUrl } } }"


async def test_the_company_logo_is_the_page_default(client, world):
    portal, admin = world.portal, world.portal.tokens["admin"]
    refused = await gql(
        client, SET_LOGO, {"url": "https://x.test/a.png"}, token=portal.tokens["staff"]
    )
    assert error_codes(refused) == ["FORBIDDEN"]
    bad = await gql(client, SET_LOGO, {"url": "http://x.test/a.png"}, token=admin)
    assert [e["code"] for e in bad["data"]["companySetLogo"]["errors"]] == ["BAD_USER_INPUT"]
    result = await gql(client, SET_LOGO, {"url": "https://cdn.test/logo.svg"}, token=admin)
    assert result["data"]["companySetLogo"]["company"]["logoUrl"] == "https://cdn.test/logo.svg"
    page = await gql(client, LOGO, token=portal.tokens["customer"])
    assert page["data"]["customerPage"]["branding"]["logoUrl"] == "https://cdn.test/logo.svg"
    own = {"input": {"branding": {"logoUrl": "https://own.test/page.png"}}}
    await gql(client, UPDATE, own, token=admin)
    page = await gql(client, LOGO, token=portal.tokens["customer"])
    assert page["data"]["customerPage"]["branding"]["logoUrl"] == "https://own.test/page.png"

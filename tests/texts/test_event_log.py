"""The event log: every settings and access mutation writes one entry (who, what, when,
the changed values before and after, never a secret), readable by company admins only,
newest first, a page at a time."""

from __future__ import annotations

import json

import pytest

from tests.factories import gid
from tests.graphql import error_codes, gql

EVENT_LOG = """
query ($first: Int, $after: String, $filter: EventLogFilterInput) {
  eventLog(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    nodes {
      id action subjectType subjectId actorLabel before after createdAt
      actor { name }
    }
  }
}"""


CATEGORY_CREATE = """
mutation ($name: String!) { officeCategoryCreate(input: {name: $name}) { errors { code } } }"""


async def _category(client, admin, name):
    result = await gql(client, CATEGORY_CREATE, {"name": name}, token=admin)
    assert result["data"]["officeCategoryCreate"]["errors"] == []


def _case(portal):
    return gid("Case", portal.case.id)


# (name, document, variables(portal), action, subject type, what `after` must contain)
RETROFITTED = [
    (
        "customer page settings",
        """mutation { customerPageSettingsUpdate(input: {smsCodeRequired: true})
           { errors { code } } }""",
        lambda p: {},
        "customerPageSettings.update",
        "CustomerPageSettings",
        {"smsCodeRequired": True},
    ),
    (
        "case override",
        """mutation ($c: ID!) { caseCustomerPageOverride(caseId: $c,
           input: {smsCodeRequired: true}) { errors { code } } }""",
        lambda p: {"c": _case(p)},
        "caseCustomerPageOverride.set",
        "Case",
        {"smsCodeRequired": True},
    ),
    (
        "external case handler role",
        """mutation { externalCaseHandlerRoleUpdate(rights: [APPROVE_TASKS])
           { errors { code } } }""",
        lambda p: {},
        "externalCaseHandlerRole.update",
        "ExternalCaseHandlerRole",
        {"rights": ["approve_tasks"]},
    ),
    (
        "customer access grant",
        """mutation ($c: ID!, $k: ID!) { customerAccessGrant(input: {caseId: $c,
           contactId: $k}) { errors { code } } }""",
        lambda p: {"c": _case(p), "k": gid("CaseContact", p.contact.id)},
        "customerAccess.grant",
        "CustomerAccessGrant",
        {"hasAccess": True, "sent": False},
    ),
    (
        "customer access revoke",
        """mutation ($c: ID!, $k: ID!) { customerAccessRevoke(input: {caseId: $c,
           contactId: $k}) { errors { code } } }""",
        lambda p: {"c": _case(p), "k": gid("CaseContact", p.contact.id)},
        "customerAccess.revoke",
        "CustomerAccessGrant",
        {"hasAccess": False},
    ),
    (
        "company logo",
        """mutation { companySetLogo(logoUrl: "https://cdn.example/logo.png")
           { errors { code } } }""",
        lambda p: {},
        "company.setLogo",
        "Company",
        {"logoUrl": "https://cdn.example/logo.png"},
    ),
    (
        "API key create",
        """mutation { apiKeyCreate(input: {name: "Claims", scopes: [CASES_READ]})
           { errors { code } } }""",
        lambda p: {},
        "apiKey.create",
        "ApiKey",
        {"name": "Claims", "scopes": ["cases:read"]},
    ),
    (
        "office category create",
        """mutation { officeCategoryCreate(input: {name: "Roofers"}) { errors { code } } }""",
        lambda p: {},
        "officeCategory.create",
        "OfficeCategory",
        {"name": "Roofers"},
    ),
    (
        "office create",
        """mutation ($co: ID!) { officeCreate(input: {companyId: $co, name: "Bergen",
           city: "Bergen"}) { errors { code } } }""",
        lambda p: {"co": gid("Company", p.partner.id)},
        "office.create",
        "Office",
        {"name": "Bergen", "city": "Bergen"},
    ),
    (
        "office update",
        """mutation ($o: ID!) { officeUpdate(input: {officeId: $o, city: "Trondheim"})
           { errors { code } } }""",
        lambda p: {"o": gid("Office", p.office.id)},
        "office.update",
        "Office",
        {"city": "Trondheim"},
    ),
    (
        "standard reply create",
        """mutation { standardReplyCreate(input: {title: "Hi", body: "Hello {customer_name}"})
           { errors { code } } }""",
        lambda p: {},
        "standardReply.create",
        "StandardReply",
        {"title": "Hi", "body": "Hello {customer_name}"},
    ),
    (
        "notification text set",
        """mutation { notificationTextSet(input: {kind: CASE_CLOSED, channel: EMAIL,
           subject: "Closed", body: "Case {case_number} is closed."}) { errors { code } } }""",
        lambda p: {},
        "notificationText.set",
        "NotificationText",
        {"subject": "Closed"},
    ),
]


async def _entries(client, token, **variables):
    result = await gql(client, EVENT_LOG, variables, token=token)
    assert "errors" not in result, result
    return result["data"]["eventLog"]


@pytest.mark.parametrize(
    ("document", "variables", "action", "subject_type", "expected"),
    [case[1:] for case in RETROFITTED],
    ids=[case[0] for case in RETROFITTED],
)
async def test_each_settings_or_access_mutation_logs_one_entry(
    client, world, document, variables, action, subject_type, expected
):
    portal = world.portal
    admin = portal.tokens["admin"]
    # given nothing logged yet in the portal
    assert (await _entries(client, admin))["totalCount"] == 0
    # when the admin makes the change
    result = await gql(client, document, variables(portal), token=admin)
    assert "errors" not in result, result
    [payload] = result["data"].values()
    assert payload["errors"] == []
    # then one entry says who did what to which subject, with the changed values
    log = await _entries(client, admin)
    assert log["totalCount"] == 1
    [entry] = log["nodes"]
    assert entry["action"] == action and entry["subjectType"] == subject_type
    assert entry["actor"] == {"name": "Ada Admin"}
    assert entry["actorLabel"] == f"staff:{portal.admin.id}"
    assert entry["subjectId"] and entry["createdAt"]
    assert expected.items() <= entry["after"].items()
    # never a secret: no link or API key token, no hash
    logged = json.dumps([entry["before"], entry["after"]])
    assert "cgc_" not in logged and "cgk_" not in logged and "hash" not in logged.lower()
    # and another portal's admin sees none of it
    assert (await _entries(client, world.foreign.tokens["admin"]))["totalCount"] == 0


async def test_update_logs_only_what_changed_and_no_change_logs_nothing(client, world):
    portal = world.portal
    admin = portal.tokens["admin"]
    office = {"o": gid("Office", portal.office.id)}
    rename = (
        'mutation ($o: ID!) { officeUpdate(input: {officeId: $o, name: "%s"}) { errors { code } } }'
    )
    await gql(client, rename % "Renamed", office, token=admin)
    await gql(client, rename % "Renamed", office, token=admin)  # the same again: no change
    log = await _entries(client, admin)
    assert log["totalCount"] == 1
    [entry] = log["nodes"]
    assert entry["before"] == {"name": portal.office.name}
    assert entry["after"] == {"name": "Renamed"}


async def test_api_key_revoke_and_category_changes_are_logged(client, world):
    portal = world.portal
    admin = portal.tokens["admin"]
    created = await gql(
        client,
        'mutation { apiKeyCreate(input: {name: "K", scopes: [CASES_READ]}) { apiKey { id } } }',
        token=admin,
    )
    key = created["data"]["apiKeyCreate"]["apiKey"]["id"]
    await gql(client, "mutation ($id: ID!) { apiKeyRevoke(id: $id) { errors { code } } }",
              {"id": key}, token=admin)  # fmt: skip
    category = await gql(
        client,
        'mutation { officeCategoryCreate(input: {name: "Glass"}) { category { id } } }',
        token=admin,
    )
    cid = category["data"]["officeCategoryCreate"]["category"]["id"]
    await gql(
        client,
        'mutation ($c: ID!) { officeCategoryUpdate(input: {categoryId: $c, name: "Glazing"})'
        " { errors { code } } }",
        {"c": cid},
        token=admin,
    )
    await gql(
        client,
        "mutation ($c: ID!) { officeCategoryDelete(input: {categoryId: $c}) { errors { code } } }",
        {"c": cid},
        token=admin,
    )
    log = await _entries(client, admin)
    assert [e["action"] for e in log["nodes"]] == [
        "officeCategory.delete",
        "officeCategory.update",
        "officeCategory.create",
        "apiKey.revoke",
        "apiKey.create",
    ]
    deleted, updated = log["nodes"][0], log["nodes"][1]
    assert deleted["before"]["name"] == "Glazing" and deleted["after"] is None
    assert updated["before"] == {"name": "Glass"} and updated["after"] == {"name": "Glazing"}
    assert log["nodes"][3]["after"]["revoked"] is True


async def test_only_company_admins_read_the_event_log(client, world):
    portal = world.portal
    for label in ("staff", "partner", "ech", "customer", "integration"):
        result = await gql(client, EVENT_LOG, {}, token=portal.tokens[label])
        assert error_codes(result) == ["FORBIDDEN"], label


async def test_pages_newest_first_and_filters(client, world):
    portal = world.portal
    admin = portal.tokens["admin"]
    for n in range(5):
        await _category(client, admin, f"C{n}")
    await gql(client, 'mutation { companySetLogo(logoUrl: "https://x.example/l.png") '
              "{ errors { code } } }", token=admin)  # fmt: skip
    first = await _entries(client, admin, first=4)
    assert first["totalCount"] == 6
    assert [e["action"] for e in first["nodes"]][:2] == ["company.setLogo", "officeCategory.create"]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    rest = await _entries(client, admin, first=4, after=first["pageInfo"]["endCursor"])
    assert len(rest["nodes"]) == 2
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    names = [e["after"]["name"] for e in first["nodes"][1:] + rest["nodes"]]
    assert names == ["C4", "C3", "C2", "C1", "C0"]  # newest first, no gap, no repeat
    only = await _entries(client, admin, filter={"subjectType": "Company"})
    assert only["totalCount"] == 1
    by_action = await _entries(client, admin, filter={"action": "officeCategory.create"})
    assert by_action["totalCount"] == 5
    by_actor = await _entries(client, admin, filter={"actorUserId": gid("User", portal.handler.id)})
    assert by_actor["totalCount"] == 0
    future = await _entries(client, admin, filter={"since": "2999-01-01T00:00:00Z"})
    assert future["totalCount"] == 0
    bad = await gql(client, EVENT_LOG, {"first": 0}, token=admin)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_a_refused_change_logs_nothing(client, world):
    portal = world.portal
    result = await gql(
        client,
        'mutation { standardReplyCreate(input: {title: "x", body: "Hi {nobody}"})'
        " { errors { code field } } }",
        token=portal.tokens["admin"],
    )
    assert result["data"]["standardReplyCreate"]["errors"] == [
        {"code": "BAD_USER_INPUT", "field": ["input", "body"]}
    ]
    assert (await _entries(client, portal.tokens["admin"]))["totalCount"] == 0


async def test_event_log_pages_in_a_fixed_number_of_statements(client, world, count_statements):
    portal = world.portal
    admin = portal.tokens["admin"]

    async def statements_for(n: int) -> int:
        for i in range(n):
            await _category(client, admin, f"S{n}-{i}")
        with count_statements() as counter:
            await _entries(client, admin, first=50)
        return counter.count

    assert await statements_for(2) == await statements_for(6)


async def test_linking_an_office_to_categories_is_logged(client, world):
    portal = world.portal
    admin = portal.tokens["admin"]
    created = await gql(
        client,
        'mutation { officeCategoryCreate(input: {name: "Water"}) { category { id } } }',
        token=admin,
    )
    category = created["data"]["officeCategoryCreate"]["category"]["id"]
    linked = await gql(
        client,
        "mutation ($o: ID!, $c: [ID!]) { officeUpdate(input: {officeId: $o, categoryIds: $c})"
        " { errors { code } } }",
        {"o": gid("Office", portal.office.id), "c": [category]},
        token=admin,
    )
    assert linked["data"]["officeUpdate"]["errors"] == []
    [entry] = (await _entries(client, admin, filter={"action": "office.update"}))["nodes"]
    assert entry["before"] == {"categoryIds": []}
    assert len(entry["after"]["categoryIds"]) == 1


@pytest.mark.parametrize(
    ("log_filter", "field"),
    [
        ({"since": "2026-01-01T00:00:00", "until": "2026-01-02T00:00:00Z"}, "since"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"until": "2026-01-01T00:00:00"}, "until"),
        ({"action": "a\u0000b"}, "action"),
        ({"subjectType": "\u0000"}, "subjectType"),
    ],
)
async def test_odd_filters_are_bad_input_naming_the_field(client, world, log_filter, field):
    # given an admin of a portal with an entry in its log
    portal = world.portal
    admin = portal.tokens["admin"]
    await _category(client, admin, "C")
    # when they filter by a time without a zone (compared with an aware one it used to
    # raise, a 500) or by text with a NUL character (PostgreSQL cannot hold it)
    result = await gql(client, EVENT_LOG, {"filter": log_filter}, token=admin)
    # then it is BAD_USER_INPUT naming the filter's field
    assert error_codes(result) == ["BAD_USER_INPUT"], result
    assert result["errors"][0]["extensions"]["field"] == f"filter.{field}"


async def test_a_lone_surrogate_in_a_text_filter_is_bad_input(client, world):
    # given an admin
    portal = world.portal
    # when they filter by an action holding a lone surrogate (JSON may escape one:
    # "\\ud800"; it has no UTF-8 form, so PostgreSQL cannot take it)
    body = json.dumps({"query": EVENT_LOG, "variables": {"filter": {"action": "\ud800"}}})
    response = await client.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {portal.tokens['admin']}",
            "Content-Type": "application/json",
        },
    )
    # then it is BAD_USER_INPUT naming the filter's field, not a 500
    result = response.json()
    assert error_codes(result) == ["BAD_USER_INPUT"], result
    assert result["errors"][0]["extensions"]["field"] == "filter.action"

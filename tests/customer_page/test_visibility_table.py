"""What a customer sees, as a table: setting × milestone setting × case state × customer.

For every timed setting, each of its four values (at creation, inspector assigned,
positive decision, never) is tried at each state the case can be in; the customer either
sees the part of their case or gets FORBIDDEN naming the rule, and `customerPage.tabs`
agrees. The policyholder and another contact with access see the same; a customer whose
access was revoked sees nothing at all.
"""

from __future__ import annotations

import itertools

import pytest

from server.db.enums import ContactRole
from tests.customer_page.helpers import (
    MILESTONES,
    REACHED,
    STATES,
    customer_token,
    set_case_state,
    set_portal_settings,
)
from tests.graphql import error_codes, gql

# setting → (query over the customer's case, the tab that shows it, the rule it names)
PARTS = {
    "show_budget": ("budget", "budget", "caseBudget"),
    "show_feed": ("feed(first: 5) { edges { node { type } } }", "newsFeed", "caseFeed"),
    "show_documents": ("documents { edges { node { title } } }", "documents", "caseDocuments"),
    "show_project_plan": ("tasks { title description }", "projectPlan", "projectPlan"),
    "show_communication": ("messages { edges { node { body } } }", "communication", "customerChat"),
}

PAGE = (
    "{ customerPage { milestones tabs { budget newsFeed documents projectPlan communication } } }"
)
CASE = "query Case($id: ID!) { case(id: $id) { number %s } }"

CUSTOMERS = ("policyholder", "other_contact", "revoked")
TABLE = list(itertools.product(PARTS, MILESTONES, STATES, CUSTOMERS))


@pytest.mark.parametrize(("setting", "milestone", "state", "customer"), TABLE)
async def test_customer_sees_part_exactly_from_its_milestone(
    client, engine, world, setting, milestone, state, customer
):
    portal = world.portal
    await set_portal_settings(engine, portal.insurer.id, **{setting: milestone})
    await set_case_state(engine, portal.case, state, portal.partner_user.id)
    selection, tab, rule = PARTS[setting]
    token = await _token(engine, world, customer)

    page_result = await gql(client, PAGE, token=token)
    result = await gql(client, CASE % selection, {"id": _case_id(portal)}, token=token)

    if customer == "revoked":
        assert error_codes(page_result) == error_codes(result) == ["UNAUTHENTICATED"]
        return
    page = page_result["data"]["customerPage"]

    shown = milestone in REACHED[state]
    assert page["tabs"][tab] is shown
    assert set(m.lower() for m in page["milestones"]) == REACHED[state]
    if shown:
        assert "errors" not in result, result
        assert result["data"]["case"] is not None
    else:
        assert error_codes(result) == ["FORBIDDEN"]
        assert f"({rule})" in result["errors"][0]["message"]


async def _token(engine, world, customer):
    if customer == "policyholder":
        return world.portal.tokens["customer"]
    role = ContactRole.OTHER
    return await customer_token(
        engine, world, world.portal.case, role, revoked=customer == "revoked"
    )


def _case_id(portal):
    from tests.factories import gid

    return gid("Case", portal.case.id)

"""Staff grant, send and revoke customer access per contact, and see who has access."""

from __future__ import annotations

from tests.customer_access.conftest import case_gid, link_token, login, notifications
from tests.factories import gid
from tests.graphql import error_codes, gql
from tests.subscriptions.wsclient import GraphQLSocket

GRANT = """
mutation ($input: CustomerAccessGrantInput!) {
  customerAccessGrant(input: $input) {
    accessToken linkSent access { count } errors { code field message }
  }
}"""
REVOKE = """
mutation ($input: CustomerAccessRevokeInput!) {
  customerAccessRevoke(input: $input) {
    access { count contacts { contact { name } hasAccess } } errors { code field message }
  }
}"""
ACCESS = """
query ($caseId: ID!) {
  customerAccess(caseId: $caseId) {
    count
    contacts {
      contact { name role } hasAccess selected grantedAt linkSentAt lastLoginAt loginCount
    }
  }
}"""
VIEWER = "{ viewer { role } }"


def access_input(portal, contact_id=None, **extra):
    contact = contact_id or portal.contact.id
    return {
        "input": {
            "caseId": case_gid(portal.case.id),
            "contactId": gid("CaseContact", contact),
            **extra,
        }
    }


async def test_access_list_counts_who_has_access_with_login_statistics(client, world):
    portal = world.portal
    token = portal.ids["link_token"]
    await login(client, token)
    await login(client, token)
    result = await gql(
        client, ACCESS, {"caseId": case_gid(portal.case.id)}, token=portal.tokens["staff"]
    )
    access = result["data"]["customerAccess"]
    assert access["count"] == 1
    [kari] = access["contacts"]
    assert kari["contact"] == {"name": "Kari Kunde", "role": "POLICYHOLDER"}
    assert kari["hasAccess"] and kari["selected"] and kari["grantedAt"]
    assert kari["loginCount"] == 2 and kari["lastLoginAt"] and kari["linkSentAt"] is None


async def test_grant_and_send_then_revoke(client, world, engine, app_dispatcher_paused):
    portal = world.portal
    staff = portal.tokens["staff"]
    granted = await gql(client, GRANT, access_input(portal, send=True), token=staff)
    payload = granted["data"]["customerAccessGrant"]
    assert payload["errors"] == [] and payload["linkSent"] and payload["access"]["count"] == 1
    [sent] = await notifications(engine, portal.case.id, "customer_link")
    assert sent.recipient == "kari@example.test"
    assert link_token(sent.body) == payload["accessToken"]
    # The older grant from the factory was replaced: its link no longer works.
    assert (await login(client, portal.ids["link_token"]))["errors"][0]["code"] == "UNAUTHENTICATED"
    signed_in = await login(client, payload["accessToken"])
    bearer = signed_in["token"]
    assert (await gql(client, VIEWER, token=bearer))["data"]["viewer"]["role"] == "CUSTOMER"
    listed = await gql(client, ACCESS, {"caseId": case_gid(portal.case.id)}, token=staff)
    [kari] = listed["data"]["customerAccess"]["contacts"]
    assert kari["linkSentAt"] and kari["loginCount"] == 1

    revoked = await gql(client, REVOKE, access_input(portal), token=staff)
    payload = revoked["data"]["customerAccessRevoke"]
    assert payload["errors"] == []
    assert payload["access"] == {
        "count": 0,
        "contacts": [{"contact": {"name": "Kari Kunde"}, "hasAccess": False}],
    }
    # Revoked: the signed-in session ends at once and the link cannot sign in again.
    assert error_codes(await gql(client, VIEWER, token=bearer)) == ["UNAUTHENTICATED"]
    again = await login(client, await _token(engine, portal))
    assert again["errors"][0]["code"] == "UNAUTHENTICATED"
    twice = await gql(client, REVOKE, access_input(portal), token=staff)
    assert twice["data"]["customerAccessRevoke"]["errors"] == [
        {
            "code": "CONFLICT",
            "field": ["input", "contactId"],
            "message": "This contact has no access to revoke.",
        }
    ]


async def _token(engine, portal):
    [sent] = await notifications(engine, portal.case.id, "customer_link")
    return link_token(sent.body)


async def test_sending_needs_an_email_or_phone(client, world, engine):
    portal = world.portal
    contact_id = await _unreachable_contact(engine, portal)
    result = await gql(
        client, GRANT, access_input(portal, contact_id, send=True), token=portal.tokens["staff"]
    )
    payload = result["data"]["customerAccessGrant"]
    assert payload["accessToken"] is None and payload["linkSent"] is False
    assert payload["errors"][0]["code"] == "BAD_USER_INPUT"
    assert payload["errors"][0]["field"] == ["input", "contactId"]
    # Nothing was changed: the contact still has no grant.
    listed = await gql(
        client, ACCESS, {"caseId": case_gid(portal.case.id)}, token=portal.tokens["staff"]
    )
    assert listed["data"]["customerAccess"]["count"] == 1


async def _unreachable_contact(engine, portal) -> int:
    from sqlalchemy import text

    async with engine.begin() as conn:
        return (
            await conn.execute(
                text(
                    "INSERT INTO case_contacts (insurer_id, case_id, role, name)"
                    " VALUES (:i, :c, 'other', 'Nils Nobody') RETURNING id"
                ),
                {"i": portal.insurer.id, "c": portal.case.id},
            )
        ).scalar_one()


async def test_who_may_manage_and_see_access(client, world):
    portal, foreign = world.portal, world.foreign
    handled = {"caseId": case_gid(portal.handled_case.id)}
    ech = await gql(client, ACCESS, handled, token=portal.tokens["ech"])
    assert ech["data"]["customerAccess"]["count"] == 0
    for role in ("partner", "customer"):
        denied = await gql(
            client, ACCESS, {"caseId": case_gid(portal.case.id)}, token=portal.tokens[role]
        )
        assert error_codes(denied) == ["FORBIDDEN"], role
    unseen = await gql(
        client, ACCESS, {"caseId": case_gid(portal.case.id)}, token=foreign.tokens["staff"]
    )
    assert error_codes(unseen) == ["NOT_FOUND"]
    revoke = await gql(client, REVOKE, access_input(portal), token=portal.tokens["partner"])
    assert error_codes(revoke) == ["FORBIDDEN"]
    bad_id = await gql(client, ACCESS, {"caseId": "nonsense"}, token=portal.tokens["staff"])
    assert error_codes(bad_id) == ["BAD_USER_INPUT"]


async def test_revoking_ends_the_customers_open_subscription(ws_url, client, world):
    portal = world.portal
    socket = await GraphQLSocket.open(ws_url, portal.tokens["customer"])
    subscription = "subscription ($c: ID!) { caseMessages(caseId: $c) { id } }"
    op = await socket.subscribe(subscription, {"c": case_gid(portal.case.id)})
    await socket.nothing_for(op, 0.2)
    revoked = await gql(client, REVOKE, access_input(portal), token=portal.tokens["staff"])
    assert revoked["data"]["customerAccessRevoke"]["errors"] == []
    payload = await socket.data(op, timeout=3)  # no message needed: the revocation wakes it
    assert payload["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await socket.next(op))["type"] == "complete"
    await socket.close()

"""Sharing documents with the customer: many at once, one feed entry per change, all or
nothing; customers cannot share, and their own uploads stay shared."""

from __future__ import annotations

from sqlalchemy import text

from tests.api.test_documents import upload
from tests.db_state import portal_fingerprint
from tests.factories import Portal, gid
from tests.graphql import error_codes, gql

DOCUMENT_SHARE = """
mutation ($input: DocumentShareInput!) {
  documentShare(input: $input) {
    documents { id sharedWithCustomer }
    errors { code field message }
  }
}"""
CUSTOMER_DOCUMENTS = """
query ($id: ID!) { case(id: $id) { documents(first: 50) { edges { node { id } } } } }"""


async def share(client, portal: Portal, who: str, ids: list[str], shared: bool = True) -> dict:
    return await gql(
        client,
        DOCUMENT_SHARE,
        {"input": {"documentIds": ids, "shared": shared}},
        token=portal.tokens[who],
    )


async def feed_since(engine, case_id: int, after_id: int) -> list[tuple[str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT type, (payload->>'documentId')::bigint FROM feed_entries "
                "WHERE case_id = :c AND id > :a ORDER BY id"
            ),
            {"c": case_id, "a": after_id},
        )
        return [tuple(row) for row in rows]


async def last_feed_id(engine, case_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT coalesce(max(id), 0) FROM feed_entries WHERE case_id = :c"),
                {"c": case_id},
            )
        ).scalar_one()


async def customer_sees(client, portal: Portal) -> set[str]:
    result = await gql(
        client,
        CUSTOMER_DOCUMENTS,
        {"id": gid("Case", portal.case.id)},
        token=portal.tokens["customer"],
    )
    return {e["node"]["id"] for e in result["data"]["case"]["documents"]["edges"]}


async def test_share_and_unshare_many_with_one_feed_entry_each(client, world, engine):
    portal = world.portal
    photos, report, log = portal.ids["docs"]  # photos are shared already
    ids = [gid("Document", i) for i in (photos, report, log)]
    start = await last_feed_id(engine, portal.case.id)

    shared = await share(client, portal, "staff", ids)

    payload = shared["data"]["documentShare"]
    assert payload["errors"] == []
    # Only the changed ones come back and get an entry.
    assert payload["documents"] == [
        {"id": gid("Document", report), "sharedWithCustomer": True},
        {"id": gid("Document", log), "sharedWithCustomer": True},
    ]
    assert await feed_since(engine, portal.case.id, start) == [
        ("document_shared", report),
        ("document_shared", log),
    ]
    assert await customer_sees(client, portal) == set(ids)

    middle = await last_feed_id(engine, portal.case.id)
    unshared = await share(client, portal, "staff", ids, shared=False)

    assert unshared["data"]["documentShare"]["errors"] == []
    assert await feed_since(engine, portal.case.id, middle) == [
        ("document_sharing_revoked", photos),
        ("document_sharing_revoked", report),
        ("document_sharing_revoked", log),
    ]
    assert await customer_sees(client, portal) == set()


async def test_the_external_case_handler_shares_on_their_case(client, world, engine):
    portal = world.portal
    response = await upload(client, portal.tokens["ech"], gid("Case", portal.handled_case.id), b"x")
    document = response.json()["data"]["documentUpload"]["document"]["id"]

    result = await share(client, portal, "ech", [document])

    assert result["data"]["documentShare"]["errors"] == []


async def test_one_unknown_document_changes_nothing(client, world, engine):
    portal = world.portal
    before = await portal_fingerprint(engine, portal.insurer.id)
    foreign = gid("Document", world.foreign.ids["docs"][1])
    report = gid("Document", portal.ids["docs"][1])

    result = await share(client, portal, "staff", [report, foreign])

    assert error_codes(result) == ["NOT_FOUND"]
    assert await portal_fingerprint(engine, portal.insurer.id) == before


async def test_one_document_of_a_case_you_cannot_manage_changes_nothing(client, world, engine):
    # The external case handler manages sharing on their case only.
    portal = world.portal
    response = await upload(client, portal.tokens["ech"], gid("Case", portal.handled_case.id), b"x")
    theirs = response.json()["data"]["documentUpload"]["document"]["id"]
    elsewhere = gid("Document", portal.ids["docs"][2])  # the drying log of their office's task
    before = await portal_fingerprint(engine, portal.insurer.id)

    result = await share(client, portal, "ech", [theirs, elsewhere])

    assert error_codes(result) == ["FORBIDDEN"]
    assert await portal_fingerprint(engine, portal.insurer.id) == before


async def test_customers_cannot_share(client, world, engine):
    portal = world.portal
    before = await portal_fingerprint(engine, portal.insurer.id)

    result = await share(
        client, portal, "customer", [gid("Document", portal.ids["docs"][0])], False
    )

    assert error_codes(result) == ["FORBIDDEN"]
    assert await portal_fingerprint(engine, portal.insurer.id) == before


async def test_a_customer_upload_stays_shared(client, world, engine):
    portal = world.portal
    response = await upload(client, portal.tokens["customer"], gid("Case", portal.case.id), b"x")
    theirs = response.json()["data"]["documentUpload"]["document"]["id"]
    photos = gid("Document", portal.ids["docs"][0])
    before = await portal_fingerprint(engine, portal.insurer.id)

    result = await share(client, portal, "staff", [photos, theirs], shared=False)

    errors = result["data"]["documentShare"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("BAD_USER_INPUT", ["input", "documentIds"])
    ]
    assert "uploaded by the customer" in errors[0]["message"]
    assert await portal_fingerprint(engine, portal.insurer.id) == before
    assert theirs in await customer_sees(client, portal)

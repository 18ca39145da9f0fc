"""Uploads (GraphQL multipart request spec), the size limit, and authorized downloads."""

from __future__ import annotations

import hashlib
import json

from tests.db_state import latest_feed, portal_fingerprint
from tests.factories import gid

UPLOAD = """
mutation ($input: DocumentUploadInput!) {
  documentUpload(input: $input) {
    document { id title fileName contentType sizeBytes sha256 sharedWithCustomer downloadUrl }
    errors { code field message }
  }
}"""


async def upload(client, token, case_id, content: bytes, name="photo.jpg", **extra):
    operations = {
        "query": UPLOAD,
        "variables": {"input": {"caseId": case_id, "file": None, **extra}},
    }
    return await client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (name, content, "image/jpeg")},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_upload_then_download(client, world, engine):
    portal = world.portal
    content = b"\xff\xd8 fake jpeg " * 100
    response = await upload(
        client, portal.tokens["staff"], gid("Case", portal.case.id), content, title="Kitchen floor"
    )
    payload = response.json()["data"]["documentUpload"]
    assert payload["errors"] == []
    document = payload["document"]
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    assert document["sizeBytes"] == len(content)
    assert document["title"] == "Kitchen floor"
    assert (await latest_feed(engine, portal.case.id))[0] == "document_uploaded"

    download = await client.get(
        document["downloadUrl"], headers={"Authorization": f"Bearer {portal.tokens['staff']}"}
    )
    assert download.status_code == 200
    assert download.content == content
    assert "photo.jpg" in download.headers["content-disposition"]
    # Not shared: the customer may not download it, and cannot tell it exists.
    denied = await client.get(
        document["downloadUrl"], headers={"Authorization": f"Bearer {portal.tokens['customer']}"}
    )
    assert denied.status_code == 404
    anonymous = await client.get(document["downloadUrl"])
    assert anonymous.status_code == 401
    foreign = await client.get(
        document["downloadUrl"],
        headers={"Authorization": f"Bearer {world.foreign.tokens['staff']}"},
    )
    assert foreign.status_code == 404


async def test_customer_upload_is_theirs_and_shared(client, world):
    portal = world.portal
    response = await upload(
        client,
        portal.tokens["customer"],
        gid("Case", portal.case.id),
        b"x" * 10,
        type="INSPECTION_REPORT",
    )
    document = response.json()["data"]["documentUpload"]["document"]
    assert document["sharedWithCustomer"] is True
    download = await client.get(
        document["downloadUrl"], headers={"Authorization": f"Bearer {portal.tokens['customer']}"}
    )
    assert download.status_code == 200


async def test_oversized_upload_is_refused_and_changes_nothing(client, world, engine, settings):
    portal = world.portal
    before = await portal_fingerprint(engine, portal.insurer.id)
    files_before = sorted(p.name for p in settings.files_dir.rglob("*") if p.is_file())
    content = b"0" * (settings.max_upload_bytes + 1)
    response = await upload(client, portal.tokens["staff"], gid("Case", portal.case.id), content)
    payload = response.json()["data"]["documentUpload"]
    assert payload["document"] is None
    assert payload["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    assert "1 MB" in payload["errors"][0]["message"]
    assert await portal_fingerprint(engine, portal.insurer.id) == before
    assert sorted(p.name for p in settings.files_dir.rglob("*") if p.is_file()) == files_before


async def test_far_oversized_body_is_cut_off_with_413(client, world, settings):
    portal = world.portal
    content = b"0" * (settings.max_upload_bytes * 3)
    response = await upload(client, portal.tokens["staff"], gid("Case", portal.case.id), content)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_empty_file_and_unknown_case(client, world, engine):
    portal = world.portal
    before = await portal_fingerprint(engine, portal.insurer.id)
    empty = await upload(client, portal.tokens["staff"], gid("Case", portal.case.id), b"")
    assert empty.json()["data"]["documentUpload"]["errors"][0]["code"] == "BAD_USER_INPUT"
    unknown = await upload(client, portal.tokens["staff"], gid("Case", 10**12), b"abc")
    assert unknown.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await portal_fingerprint(engine, portal.insurer.id) == before

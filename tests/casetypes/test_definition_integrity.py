"""A case type's definition stays truthful: every change is in the event log (a rotated
public id too), a name stays unique under concurrent requests, and its defaults are
usable ones (active), also when they are deactivated after the type was saved."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text, update

from server.db.casework import CasePriority, EventLogEntry
from server.db.engine import make_session_factory
from server.db.models import Case, User
from tests.casetypes.conftest import CASE_TYPE_CREATE, type_input
from tests.factories import gid
from tests.graphql import gql

UPDATE = """mutation ($input: CaseTypeUpdateInput!) {
  caseTypeUpdate(input: $input) { caseType { publicId } errors { code field message } } }"""
VALID = [{"key": "leakSource", "value": "Pipe"}]


async def _log(engine, insurer_id):
    async with make_session_factory(engine)() as session:
        rows = await session.execute(
            select(EventLogEntry.action, EventLogEntry.before, EventLogEntry.after)
            .where(EventLogEntry.insurer_id == insurer_id, EventLogEntry.subject_type == "CaseType")
            .order_by(EventLogEntry.id)
        )
        return rows.all()


async def test_rotating_the_public_id_is_event_logged_without_the_id(
    client, world, engine, define_type
):
    portal = world.portal
    # given a type open to public reporting
    case_type = await define_type(name="Rotate", publicReporting=True)

    # when the admin rotates its public id (and changes nothing else)
    result = await gql(
        client, UPDATE, {"input": {"caseTypeId": case_type["id"], "newPublicId": True}},
        token=portal.tokens["admin"],
    )  # fmt: skip

    # then the old public forms stop working, and the event log says so
    new_id = result["data"]["caseTypeUpdate"]["caseType"]["publicId"]
    assert new_id != case_type["publicId"]
    entries = await _log(engine, portal.insurer.id)
    assert [action for action, _, _ in entries] == ["caseType.create", "caseType.update"]
    _, before, after = entries[-1]
    assert after["publicIdRotated"] is True and "publicIdRotated" not in before
    assert {k: v for k, v in after.items() if k != "publicIdRotated"} == before
    assert new_id not in str(after) and case_type["publicId"] not in str(before)


async def _waiting_on_a_lock(engine, timeout: float = 10.0) -> None:
    async with engine.connect() as conn:
        for _ in range(int(timeout / 0.05)):
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the request never waited for the concurrent insert")


async def test_a_name_taken_by_a_concurrent_request_is_bad_user_input(client, world, engine):
    portal = world.portal
    async with engine.connect() as other:
        # given another transaction that has just created a type named "Race"
        await other.execute(
            text("INSERT INTO case_types (insurer_id, name, public_id) VALUES (:i, 'Race', :p)"),
            {"i": portal.insurer.id, "p": "race-public-id"},
        )
        # when the admin creates one of the same name before it commits
        request = asyncio.create_task(
            gql(client, CASE_TYPE_CREATE, {"input": {"name": "Race"}}, token=portal.tokens["admin"])
        )
        await _waiting_on_a_lock(engine)
        await other.commit()
        result = await request

    # then the unique index's refusal is the usual BAD_USER_INPUT, nothing half-written
    assert "errors" not in result, result
    [error] = result["data"]["caseTypeCreate"]["errors"]
    assert error["code"] == "BAD_USER_INPUT" and error["field"] == ["input", "name"]
    assert [action for action, _, _ in await _log(engine, portal.insurer.id)] == []


async def _priority(engine, insurer_id, active=True):
    async with make_session_factory(engine)() as session, session.begin():
        priority = CasePriority(insurer_id=insurer_id, name="Urgent", active=active)
        session.add(priority)
        await session.flush()
        return priority.id


async def test_inactive_defaults_are_refused_when_saving(client, world, engine):
    portal = world.portal
    # given an inactive priority and a deactivated staff user
    priority_id = await _priority(engine, portal.insurer.id, active=False)
    async with engine.begin() as conn:
        await conn.execute(update(User).where(User.id == portal.handler.id).values(active=False))

    # when the admin names them as a type's defaults
    refused = {}
    for name, value in (
        ("defaultPriorityId", gid("Priority", priority_id)),
        ("defaultCaseHandlerId", gid("User", portal.handler.id)),
    ):
        result = await gql(
            client, CASE_TYPE_CREATE, {"input": type_input(**{name: value})},
            token=portal.tokens["admin"],
        )  # fmt: skip
        refused[name] = [
            (e["code"], e["field"]) for e in result["data"]["caseTypeCreate"]["errors"]
        ]

    # then each is BAD_USER_INPUT naming it
    assert refused == {
        name: [("BAD_USER_INPUT", ["input", name])]
        for name in ("defaultPriorityId", "defaultCaseHandlerId")
    }


async def test_defaults_deactivated_since_are_skipped_on_new_cases(
    client, world, engine, define_type, open_case
):
    portal = world.portal
    # given a type whose default priority and handler were active when it was saved
    priority_id = await _priority(engine, portal.insurer.id)
    case_type = await define_type(
        defaultPriorityId=gid("Priority", priority_id),
        defaultCaseHandlerId=gid("User", portal.handler.id),
    )
    # and were deactivated since
    async with engine.begin() as conn:
        await conn.execute(
            update(CasePriority).where(CasePriority.id == priority_id).values(active=False)
        )
        await conn.execute(update(User).where(User.id == portal.handler.id).values(active=False))

    # when a case of the type is opened
    payload = await open_case(case_type["id"], VALID, who="admin")

    # then it opens, without the inactive priority or handler
    assert payload["errors"] == [], payload
    async with make_session_factory(engine)() as session:
        case = (
            await session.execute(
                select(Case).where(
                    Case.insurer_id == portal.insurer.id, Case.number == payload["case"]["number"]
                )
            )
        ).scalar_one()
    assert case.priority_id != priority_id
    assert case.case_handler_id is None

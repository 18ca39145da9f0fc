"""Defining recurring case schedules: admins only, validated like caseCreate, event-logged,
listed for staff only without N+1."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server.db.casework import EventLogEntry, RecurringCaseSchedule
from server.db.enums import RecurrenceFrequency
from tests.factories import build_portal, gid
from tests.graphql import error_codes, gql
from tests.recurring.conftest import case_input, make_schedule

pytestmark = pytest.mark.usefixtures("runner_paused")

SCHEDULE_FIELDS = """
    id name frequency interval startsAt endsAt nextOccurrenceAt active
    caseData { damageType street caseHandlerId contacts { role name email } }
    runs { occurrenceAt error case { id } }
"""
CREATE = f"""
mutation ($input: RecurringCaseScheduleCreateInput!) {{
  recurringCaseScheduleCreate(input: $input) {{
    schedule {{ {SCHEDULE_FIELDS} }}
    errors {{ code field message }}
  }}
}}"""
UPDATE = f"""
mutation ($input: RecurringCaseScheduleUpdateInput!) {{
  recurringCaseScheduleUpdate(input: $input) {{
    schedule {{ {SCHEDULE_FIELDS} }}
    errors {{ code field message }}
  }}
}}"""
DELETE = """
mutation ($input: RecurringCaseScheduleDeleteInput!) {
  recurringCaseScheduleDelete(input: $input) { deletedScheduleId errors { code field } }
}"""
SCHEDULES = f"{{ recurringCaseSchedules {{ {SCHEDULE_FIELDS} }} }}"


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def soon(**delta: float) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).replace(microsecond=0)


def create_input(portal, **overrides):
    return {
        "name": "Property inspection",
        "caseData": case_input(portal),
        "frequency": "MONTHLY",
        "interval": 1,
        "startsAt": iso(soon(days=2)),
        **overrides,
    }


async def log_entries(engine, insurer_id):
    async with engine.connect() as conn:
        stmt = (
            select(EventLogEntry)
            .where(EventLogEntry.insurer_id == insurer_id)
            .order_by(EventLogEntry.id)
        )
        return list((await conn.execute(stmt)).all())


async def schedule_count(engine, insurer_id):
    async with engine.connect() as conn:
        stmt = select(func.count()).where(RecurringCaseSchedule.insurer_id == insurer_id)
        return (await conn.execute(stmt)).scalar_one()


async def test_admin_defines_a_schedule_that_staff_see_and_the_event_log_records(
    client, world, engine
):
    portal = world.portal
    start = soon(days=2)
    # when
    result = await gql(
        client, CREATE, {"input": create_input(portal, startsAt=iso(start))},
        token=portal.tokens["admin"],
    )  # fmt: skip
    # then
    payload = result["data"]["recurringCaseScheduleCreate"]
    assert payload["errors"] == []
    schedule = payload["schedule"]
    assert schedule["frequency"] == "MONTHLY" and schedule["active"] is True
    assert dt.datetime.fromisoformat(schedule["nextOccurrenceAt"]) == start
    assert schedule["caseData"] == {
        "damageType": "WATER",
        "street": "Lagerveien 3",
        "caseHandlerId": gid("User", portal.handler.id),
        "contacts": [{"role": "POLICYHOLDER", "name": "Lager AS", "email": "drift@lager.test"}],
    }
    assert schedule["runs"] == []
    listed = await gql(client, SCHEDULES, token=portal.tokens["staff"])
    assert [s["id"] for s in listed["data"]["recurringCaseSchedules"]] == [schedule["id"]]
    [entry] = await log_entries(engine, portal.insurer.id)
    assert (entry.action, entry.actor_user_id) == ("recurringCaseSchedule.create", portal.admin.id)
    assert entry.after["name"] == "Property inspection" and entry.before is None
    assert entry.after["caseData"]["street"] == "Lagerveien 3"
    # the dry run opened nothing
    cases = await gql(client, "{ cases(first: 100) { totalCount } }", token=portal.tokens["admin"])
    assert cases["data"]["cases"]["totalCount"] == 3


@pytest.mark.parametrize("who", ["staff", "partner", "ech", "customer"])
async def test_only_admins_define_schedules(client, world, engine, who):
    portal = world.portal
    result = await gql(client, CREATE, {"input": create_input(portal)}, token=portal.tokens[who])
    assert error_codes(result) == ["FORBIDDEN"]
    assert await schedule_count(engine, portal.insurer.id) == 0


@pytest.mark.parametrize("who", ["partner", "ech", "customer"])
async def test_only_staff_see_schedules(client, world, engine, who):
    portal = world.portal
    await gql(client, CREATE, {"input": create_input(portal)}, token=portal.tokens["admin"])
    result = await gql(client, SCHEDULES, token=portal.tokens[who])
    assert error_codes(result) == ["FORBIDDEN"]
    assert result["data"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"interval": 0}, ["input", "interval"]),
        ({"interval": 1001}, ["input", "interval"]),
        ({"endsAt": "2020-01-01T00:00:00Z"}, ["input", "endsAt"]),
        (  # ends before any occurrence from now on
            {"startsAt": "2021-01-01T08:00:00Z", "endsAt": "2021-06-01T08:00:00Z"},
            ["input", "endsAt"],
        ),
        ({"startsAt": "3500-01-01T00:00:00Z"}, ["input", "startsAt"]),
        ({"name": "  "}, ["input", "name"]),
        ({"caseData": {"street": "  "}}, ["input", "caseData", "street"]),
        ({"caseData": {"contacts": []}}, ["input", "caseData", "contacts"]),
        ({"caseData": {"budget": "-1"}}, ["input", "caseData", "budget"]),
        ({"caseData": {"latitude": 91.0, "longitude": 10.0}}, ["input", "caseData", "latitude"]),
        ({"caseData": {"damageDate": "2999-01-01"}}, ["input", "caseData", "damageDate"]),
        ({"caseData": {"caseHandlerId": "partner"}}, ["input", "caseData", "caseHandlerId"]),
        ({"caseData": {"caseHandlerId": "garbage"}}, ["input", "caseData", "caseHandlerId"]),
        ({"caseTypeId": "foreign-type"}, ["input", "caseTypeId"]),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    client, world, engine, overrides, field
):
    portal = world.portal
    values = create_input(portal)
    for key, value in overrides.items():
        if key == "caseData":
            if value.get("caseHandlerId") == "partner":
                value = {"caseHandlerId": gid("User", portal.partner_user.id)}
            values["caseData"] = {**values["caseData"], **value}
        elif value == "foreign-type":
            values[key] = gid("CaseType", 999_999_999)
        else:
            values[key] = value
    result = await gql(client, CREATE, {"input": values}, token=portal.tokens["admin"])
    assert "errors" not in result, result
    [error] = result["data"]["recurringCaseScheduleCreate"]["errors"]
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field), error
    assert await schedule_count(engine, portal.insurer.id) == 0
    assert await log_entries(engine, portal.insurer.id) == []


async def test_update_pause_resume_and_delete_are_logged(client, world, engine):
    portal = world.portal
    token = portal.tokens["admin"]
    created = await gql(client, CREATE, {"input": create_input(portal)}, token=token)
    schedule_id = created["data"]["recurringCaseScheduleCreate"]["schedule"]["id"]
    start = soon(days=1)
    # when: a new timing
    result = await gql(
        client, UPDATE,
        {"input": {"scheduleId": schedule_id, "frequency": "WEEKLY", "interval": 2,
                   "startsAt": iso(start), "endsAt": iso(start + dt.timedelta(weeks=4))}},
        token=token,
    )  # fmt: skip
    schedule = result["data"]["recurringCaseScheduleUpdate"]["schedule"]
    assert (schedule["frequency"], schedule["interval"]) == ("WEEKLY", 2)
    assert dt.datetime.fromisoformat(schedule["nextOccurrenceAt"]) == start
    # paused, and a new case: the whole caseData is replaced and checked again
    bad = await gql(
        client, UPDATE,
        {"input": {"scheduleId": schedule_id, "caseData": case_input(portal, city="")}},
        token=token,
    )  # fmt: skip
    [error] = bad["data"]["recurringCaseScheduleUpdate"]["errors"]
    assert error["field"] == ["input", "caseData", "city"]
    paused = await gql(
        client, UPDATE,
        {"input": {"scheduleId": schedule_id, "active": False,
                   "caseData": case_input(portal, city="Bergen"), "clearEndsAt": True}},
        token=token,
    )  # fmt: skip
    schedule = paused["data"]["recurringCaseScheduleUpdate"]["schedule"]
    assert schedule["active"] is False and schedule["endsAt"] is None
    deleted = await gql(client, DELETE, {"input": {"scheduleId": schedule_id}}, token=token)
    assert deleted["data"]["recurringCaseScheduleDelete"]["deletedScheduleId"] == schedule_id
    # then
    entries = await log_entries(engine, portal.insurer.id)
    assert [e.action for e in entries] == [
        "recurringCaseSchedule.create",
        "recurringCaseSchedule.update",
        "recurringCaseSchedule.update",
        "recurringCaseSchedule.delete",
    ]
    timing = entries[1]
    assert (timing.before["frequency"], timing.after["frequency"]) == ("monthly", "weekly")
    assert (timing.before["interval"], timing.after["interval"]) == (1, 2)
    pause = entries[2]
    assert (pause.before["active"], pause.after["active"]) == (True, False)
    assert pause.after["caseData"]["city"] == "Bergen"
    assert entries[3].before["name"] == "Property inspection" and entries[3].after is None
    assert await schedule_count(engine, portal.insurer.id) == 0


async def test_resuming_skips_occurrences_while_paused(world, engine, client):
    portal = world.portal
    t0 = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
    schedule_id = await make_schedule(engine, portal, now=t0, starts_at=t0)
    token = portal.tokens["admin"]
    sid = gid("RecurringCaseSchedule", schedule_id)
    await gql(client, UPDATE, {"input": {"scheduleId": sid, "active": False}}, token=token)
    result = await gql(client, UPDATE, {"input": {"scheduleId": sid, "active": True}}, token=token)
    schedule = result["data"]["recurringCaseScheduleUpdate"]["schedule"]
    resumed_at = dt.datetime.fromisoformat(schedule["nextOccurrenceAt"])
    assert resumed_at > dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    assert resumed_at.time() == dt.time(8)


async def test_other_portals_schedules_are_not_found(client, world):
    portal, foreign = world.portal, world.foreign
    created = await gql(
        client, CREATE, {"input": create_input(portal)}, token=portal.tokens["admin"]
    )
    schedule_id = created["data"]["recurringCaseScheduleCreate"]["schedule"]["id"]
    for document in (UPDATE, DELETE):
        variables = {"input": {"scheduleId": schedule_id}}
        result = await gql(client, document, variables, token=foreign.tokens["admin"])
        assert error_codes(result) == ["NOT_FOUND"]
    listed = await gql(client, SCHEDULES, token=foreign.tokens["admin"])
    assert listed["data"]["recurringCaseSchedules"] == []


async def test_listing_takes_the_same_statements_for_1_or_6_schedules(
    client, engine, settings, count_statements
):
    from resolvers.services.recurring_runs import run_due
    from server.db.engine import make_session_factory
    from server.pubsub.broker import InProcessBroker

    counts = {}
    for n in (1, 6):
        portal = await build_portal(engine, settings, f"List{n}")
        t0 = dt.datetime.now(dt.UTC) + dt.timedelta(days=400 + n)
        for i in range(n):
            await make_schedule(
                engine, portal, now=t0, starts_at=t0, name=f"S{i}",
                frequency=RecurrenceFrequency.WEEKLY,
            )  # fmt: skip
        await run_due(
            sessions=make_session_factory(engine), broker=InProcessBroker(),
            now=t0 + dt.timedelta(weeks=1, hours=1), limit=1000,
        )  # fmt: skip
        with count_statements() as counter:
            result = await gql(client, SCHEDULES, token=portal.tokens["staff"])
        schedules = result["data"]["recurringCaseSchedules"]
        assert len(schedules) == n
        assert all(len(s["runs"]) == 2 and s["runs"][0]["case"] for s in schedules), schedules
        counts[n] = counter.count
    assert counts[1] == counts[6], counts


@pytest.mark.parametrize(
    "override",
    [
        {"street": "Main\u0000 3"},
        {"description": "x\u0000"},
        {"contacts": [{"role": "POLICYHOLDER", "name": "A\u0000B"}]},
    ],
)
async def test_an_update_with_a_nul_in_case_data_is_bad_input_and_changes_nothing(
    client, world, engine, override
):
    # given a schedule
    portal = world.portal
    admin = portal.tokens["admin"]
    created = await gql(client, CREATE, {"input": create_input(portal)}, token=admin)
    schedule = created["data"]["recurringCaseScheduleCreate"]["schedule"]
    # when its case data is replaced by data with a NUL character (PostgreSQL JSON cannot
    # hold one: the dry run's savepoint used to flush it first, a 500)
    result = await gql(
        client, UPDATE,
        {"input": {"scheduleId": schedule["id"], "caseData": case_input(portal, **override)}},
        token=admin,
    )  # fmt: skip
    # then it is refused as input naming the field, and the schedule is as it was
    [error] = result["data"]["recurringCaseScheduleUpdate"]["errors"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"][:2] == ["input", "caseData"]
    listed = await gql(client, SCHEDULES, token=admin)
    assert listed["data"]["recurringCaseSchedules"] == [schedule]
    assert [e.action for e in await log_entries(engine, portal.insurer.id)] == [
        "recurringCaseSchedule.create"
    ]


async def test_an_update_to_an_unknown_case_type_is_bad_input(client, world):
    # given a schedule
    portal = world.portal
    admin = portal.tokens["admin"]
    created = await gql(client, CREATE, {"input": create_input(portal)}, token=admin)
    schedule = created["data"]["recurringCaseScheduleCreate"]["schedule"]
    # when it is moved to a case type that does not exist
    result = await gql(
        client, UPDATE,
        {"input": {"scheduleId": schedule["id"], "caseTypeId": gid("CaseType", 10**9)}},
        token=admin,
    )  # fmt: skip
    # then that is input naming the case type (checked before anything is written)
    assert result["data"]["recurringCaseScheduleUpdate"]["errors"] == [
        {
            "code": "BAD_USER_INPUT",
            "field": ["input", "caseTypeId"],
            "message": "No case type with that id in your portal.",
        }
    ]

"""Closing and reopening a case and its SLA clock: closing a case nobody has answered is its
first response, kept for good (a reopen does not turn it into a breach), and the time a
case was closed does not count against its resolution target."""

from __future__ import annotations

import datetime as dt

from server.sla_watcher import SlaWatcher
from tests.factories import gid
from tests.graphql import gql
from tests.sla.helpers import add_priority, add_status, case_row, feed_types, set_case
from tests.sla.test_watcher import RecordingBroker, app_watcher_paused  # noqa: F401

CLOSE = "mutation ($id: ID!) { caseClose(input: {caseId: $id}) { errors { code } } }"
REOPEN = "mutation ($id: ID!) { caseReopen(input: {caseId: $id}) { errors { code } } }"
SLA = """
query ($id: ID!) { node(id: $id) { ... on Case {
  sla { state pausedSeconds firstResponse { state } resolution { state } } } } }"""

DAY = dt.timedelta(days=1)


async def _sla(client, token, case_id):
    result = await gql(client, SLA, {"id": gid("Case", case_id)}, token=token)
    return result["data"]["node"]["sla"]


async def _days_pass(engine, case_id, delta):
    """Everything that happened to the case happened `delta` earlier."""
    row = await case_row(engine, case_id)
    await set_case(
        engine,
        case_id,
        created_at=row.created_at - delta,
        first_response_at=row.first_response_at - delta,
        closed_at=row.closed_at - delta,
    )


async def _breaches(engine, case_id):
    return [p["target"] for t, p in await feed_types(engine, case_id) if t == "sla_breached"]


async def test_closing_in_time_is_the_first_response_and_a_later_reopen_keeps_it(
    client,
    world,
    engine,
    app_watcher_paused,  # noqa: F811
):
    # given a case nobody has answered yet, 10 minutes into a 60-minute first response
    # and an 8-hour resolution target
    portal = world.portal
    case_id = portal.lonely_case.id
    token = portal.tokens["staff"]
    priority = await add_priority(
        engine, portal.insurer.id, "P", first_response_minutes=60, resolution_minutes=480
    )
    now = dt.datetime.now(dt.UTC)
    await set_case(
        engine, case_id, priority_id=priority, created_at=now - dt.timedelta(minutes=10),
        first_response_at=None, closed_at=None,
    )  # fmt: skip
    # when staff close it
    result = await gql(client, CLOSE, {"id": gid("Case", case_id)}, token=token)
    assert result["data"]["caseClose"]["errors"] == []
    # then closing is its first response, stored as such, and both targets are met
    row = await case_row(engine, case_id)
    assert row.first_response_at == row.closed_at
    sla = await _sla(client, token, case_id)
    assert (sla["firstResponse"]["state"], sla["resolution"]["state"]) == ("MET", "MET")

    # when two days pass and staff reopen it, and the breach watcher runs
    await _days_pass(engine, case_id, 2 * DAY)
    result = await gql(client, REOPEN, {"id": gid("Case", case_id)}, token=token)
    assert result["data"]["caseReopen"]["errors"] == []
    await SlaWatcher(engine, RecordingBroker()).run_once()
    # then the first response stays met, with no breach on the feed
    sla = await _sla(client, token, case_id)
    assert sla["firstResponse"]["state"] == "MET"
    assert await _breaches(engine, case_id) == []
    # and the resolution clock runs on from the 10 minutes it had used: the two days the
    # case was closed count as paused
    assert sla["resolution"]["state"] == "ON_TRACK"
    assert 2 * 86400 - 60 <= sla["pausedSeconds"] <= 2 * 86400 + 60


async def test_closing_late_records_the_first_response_breach_at_once_and_reopen_keeps_it(
    client,
    world,
    engine,
    app_watcher_paused,  # noqa: F811
):
    # given a case nobody answered within its 60-minute first response target
    portal = world.portal
    case_id = portal.lonely_case.id
    token = portal.tokens["staff"]
    priority = await add_priority(
        engine, portal.insurer.id, "P", first_response_minutes=60, resolution_minutes=480
    )
    now = dt.datetime.now(dt.UTC)
    await set_case(
        engine, case_id, priority_id=priority, created_at=now - dt.timedelta(hours=2),
        first_response_at=None, closed_at=None,
    )  # fmt: skip
    # when staff close it (no watcher running)
    result = await gql(client, CLOSE, {"id": gid("Case", case_id)}, token=token)
    assert result["data"]["caseClose"]["errors"] == []
    # then the late first response is a breach on the feed at once
    assert await _breaches(engine, case_id) == ["firstResponse"]
    # and reopening it later neither hides nor repeats that breach
    await _days_pass(engine, case_id, 2 * DAY)
    result = await gql(client, REOPEN, {"id": gid("Case", case_id)}, token=token)
    assert result["data"]["caseReopen"]["errors"] == []
    await SlaWatcher(engine, RecordingBroker()).run_once()
    sla = await _sla(client, token, case_id)
    assert sla["firstResponse"]["state"] == "BREACHED"
    assert sla["resolution"]["state"] == "ON_TRACK"
    assert await _breaches(engine, case_id) == ["firstResponse"]


async def test_a_pause_running_through_the_closed_time_is_not_counted_twice(
    client,
    world,
    engine,
    app_watcher_paused,  # noqa: F811
):
    # given a case waiting on the customer (a status that pauses the SLA) since an hour
    # after it was opened, with no paused time before
    portal = world.portal
    case_id = portal.lonely_case.id
    token = portal.tokens["staff"]
    priority = await add_priority(engine, portal.insurer.id, "P", resolution_minutes=480)
    waiting = await add_status(engine, portal.insurer.id, "Waiting", pauses_sla=True)
    now = dt.datetime.now(dt.UTC)
    await set_case(
        engine, case_id, priority_id=priority, workflow_status_id=waiting,
        created_at=now - 3 * DAY, sla_paused_since=now - 3 * DAY + dt.timedelta(hours=1),
        sla_paused_seconds=0, first_response_at=now - 3 * DAY, closed_at=None,
    )  # fmt: skip
    # when it is closed, and reopened after a day
    result = await gql(client, CLOSE, {"id": gid("Case", case_id)}, token=token)
    assert result["data"]["caseClose"]["errors"] == []
    await set_case(engine, case_id, closed_at=now - DAY)
    result = await gql(client, REOPEN, {"id": gid("Case", case_id)}, token=token)
    assert result["data"]["caseReopen"]["errors"] == []
    # then the running pause already covers the closed day: nothing is added for it
    row = await case_row(engine, case_id)
    assert row.sla_paused_seconds == 0
    sla = await _sla(client, token, case_id)
    assert sla["resolution"]["state"] == "PAUSED"
    assert 3 * 86400 - 3600 - 60 <= sla["pausedSeconds"] <= 3 * 86400 - 3600 + 60

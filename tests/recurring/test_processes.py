"""End to end: real `casegraph serve` processes and the `casegraph recurring run-due`
command open a due occurrence exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
from contextlib import ExitStack

import httpx
import pytest

from tests.e2e.process import CASEGRAPH, serve
from tests.factories import PASSWORD, build_portal
from tests.recurring.conftest import case_input, make_schedule, runs_of

pytestmark = pytest.mark.usefixtures("runner_paused")

LOGIN = "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
CREATE = """
mutation ($input: RecurringCaseScheduleCreateInput!) {
  recurringCaseScheduleCreate(input: $input) { schedule { id } errors { field message } }
}"""
SCHEDULES = "{ recurringCaseSchedules { id nextOccurrenceAt runs { occurrenceAt case { id } } } }"
RECURRING_CASES = "{ cases(first: 100) { totalCount } }"


async def _post(http, query, variables=None, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_two_server_processes_open_a_due_occurrence_once(
    engine, settings, database_url, redis_url, tmp_path
):
    portal = await build_portal(engine, settings, "TwoProcs")
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                serve(
                    database_url=database_url, redis_url=redis_url,
                    data_dir=tmp_path / f"data{n}", log=tmp_path / f"server{n}.log", workers=1,
                )
            )
            for n in range(2)
        ]  # fmt: skip
        async with (
            httpx.AsyncClient(base_url=servers[0].base, timeout=10) as first,
            httpx.AsyncClient(base_url=servers[1].base, timeout=10) as second,
        ):
            login = await _post(first, LOGIN, {"e": portal.admin.email, "p": PASSWORD})
            token = login["login"]["token"]
            before = (await _post(second, RECURRING_CASES, token=token))["cases"]["totalCount"]
            # when: a daily schedule whose first occurrence is two seconds from now
            due = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=2)
            created = await _post(
                first, CREATE,
                {"input": {"name": "Daily check", "caseData": case_input(portal),
                           "frequency": "EVERY_N_DAYS", "startsAt": due.isoformat()}},
                token=token,
            )  # fmt: skip
            assert created["recurringCaseScheduleCreate"]["errors"] == []
            # then: the runners (woken by NOTIFY, sleeping until it is due) open it once
            runs: list = []
            for _ in range(100):
                await asyncio.sleep(0.2)
                [schedule] = (await _post(second, SCHEDULES, token=token))["recurringCaseSchedules"]
                runs = schedule["runs"]
                if runs:
                    break
            await asyncio.sleep(1.5)  # time for a second, wrong case to appear
            [schedule] = (await _post(second, SCHEDULES, token=token))["recurringCaseSchedules"]
            after = (await _post(first, RECURRING_CASES, token=token))["cases"]["totalCount"]
    [run] = schedule["runs"]
    assert dt.datetime.fromisoformat(run["occurrenceAt"]) == due
    assert run["case"]["id"]
    assert after == before + 1
    assert dt.datetime.fromisoformat(schedule["nextOccurrenceAt"]) == due + dt.timedelta(days=1)


async def test_the_run_due_command_opens_due_occurrences_once(
    engine, settings, database_url, tmp_path
):
    portal = await build_portal(engine, settings, "Cli")
    now = dt.datetime.now(dt.UTC)
    schedule_id = await make_schedule(
        engine, portal, now=now, starts_at=now + dt.timedelta(seconds=1)
    )
    env = {**os.environ, "DATABASE_URL": database_url, "CASEGRAPH_DATA_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)

    def run_due() -> subprocess.CompletedProcess[str]:
        command = [CASEGRAPH, "recurring", "run-due"]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    await asyncio.sleep(1.2)
    # when: run twice
    first = await asyncio.to_thread(run_due)
    second = await asyncio.to_thread(run_due)
    # then
    assert first.returncode == 0, first.stderr
    assert f"schedule {schedule_id} at " in first.stdout and ": case " in first.stdout
    assert f"schedule {schedule_id} at " not in second.stdout, second.stdout
    [run] = await runs_of(engine, schedule_id)
    assert run.case_id is not None

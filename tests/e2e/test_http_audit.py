"""GraphQL over HTTP: graphql-http's server audits (every MUST, SHOULD and MAY of the spec
it checks) against a real `casegraph serve` process. The runner is tests/http_audit/
(package.json + lockfile); `npm ci` installs it into its ignored node_modules."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import IN_CI, ROOT
from tests.factories import build_portal
from tests.subscriptions.servers import start_servers

AUDIT = ROOT / "tests" / "http_audit"


@pytest.fixture(scope="module")
def npm_installed() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed: the GraphQL-over-HTTP audit needs them"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", "--cache", ".npm-cache"],
        cwd=AUDIT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def server(database_url, redis_url, settings, tmp_path_factory):
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CASEGRAPH_DATA_DIR": str(tmp_path_factory.mktemp("audit-data")),
        "SECRET_KEY": settings.signing_key(),
    }
    (process,) = start_servers(env, tmp_path_factory.mktemp("audit-logs"), 1)
    yield process
    assert "Traceback" not in process.stop()


def run_audit(url: str, token: str | None = None) -> tuple[list[dict], dict]:
    done = subprocess.run(
        ["node", "audit.mjs", url, *([token] if token else [])],
        cwd=AUDIT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines and "summary" in lines[-1], done.stdout + done.stderr
    return lines[:-1], lines[-1]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "staff"])
async def test_graphql_over_http_audit(npm_installed, server, engine, settings, signed_in):
    token = None
    if signed_in:  # a signed-in client also takes the lean read path
        token = (await build_portal(engine, settings, "Audit")).tokens["staff"]
    audits, summary = run_audit(f"{server.http}/graphql", token)
    not_ok = [a for a in audits if a["status"] != "ok"]
    print(f"graphql-http audit ({'staff' if signed_in else 'anonymous'}): {summary['summary']}")
    assert summary["failedMusts"] == [], not_ok
    assert not_ok == []  # every SHOULD and MAY it checks is met as well
    assert summary["summary"]["ok"] == len(audits) >= 60

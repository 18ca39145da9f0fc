"""The bench database and the server process (loopback only, always stopped)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from cpu import parent_of

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".casegraph" / "bench"  # gitignored, like every .casegraph folder
DATABASE = "casegraph_bench"
HOST = "127.0.0.1"


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(server_url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database `postgres`."""
    conn = await asyncpg.connect(_plain(_with_database(server_url, "postgres")))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _exists(server_url: str) -> bool:
    conn = await asyncpg.connect(_plain(_with_database(server_url, "postgres")))
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
    finally:
        await conn.close()
    return found is not None


def prepare_database(fresh: bool) -> str:
    """URL of `casegraph_bench`: recreated empty when `fresh`, else kept; migrated either way.

    On DATABASE_URL's server if set, else on an embedded PostgreSQL in .casegraph/bench that
    lives as long as this process."""
    given = os.environ.get("DATABASE_URL")
    if given:
        url = _with_database(given, DATABASE)
        where = f"the server of DATABASE_URL ({urlsplit(given).hostname or 'local socket'})"
    else:
        from server.db.embedded import start_embedded_postgres

        url = start_embedded_postgres(BENCH_DIR, database=DATABASE)
        where = f"embedded PostgreSQL in {BENCH_DIR.relative_to(ROOT)}"
    drop = f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'
    if fresh:
        asyncio.run(_admin(url, drop, f'CREATE DATABASE "{DATABASE}"'))
        print(f"database: fresh {DATABASE} on {where}")
    elif not asyncio.run(_exists(url)):
        raise SystemExit(f"--skip-seed: there is no {DATABASE} on {where}; run without it once")
    else:
        print(f"database: reusing {DATABASE} on {where}")
    from server.db.migrate import upgrade

    upgrade(url)
    return url


async def vacuum_analyze(url: str) -> None:
    """Fresh statistics and visibility maps, as autovacuum would give a long-lived database."""
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's main process when it runs on this machine, for CPU meters."""
    conn = await asyncpg.connect(_plain(url))
    try:
        parent = parent_of(int(await conn.fetchval("SELECT pg_backend_pid()")))
    finally:
        await conn.close()
    try:
        name = Path(f"/proc/{parent}/comm").read_text().strip()
    except OSError:
        return None
    return parent if "postgres" in name else None


class SessionCounter:
    """PostgreSQL's count of sessions ever opened on the bench database (PostgreSQL 14+):
    its growth during a run is how many connections the client under test opened."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: asyncpg.Connection | None = None

    async def __call__(self) -> float | None:
        sql = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        try:
            if self.conn is None:
                self.conn = await asyncpg.connect(_plain(self.url))
            await self.conn.execute("SELECT pg_stat_clear_snapshot()")
            value = await self.conn.fetchval(sql)
        except asyncpg.PostgresError:
            return None
        return float(value) if value is not None else None

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`casegraph serve` on a free loopback port; its output goes to `log_path`."""

    ready_path = "/readyz"

    def __init__(self, url: str, workers: int, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        env = os.environ | {
            "DATABASE_URL": url,
            "CASEGRAPH_DATA_DIR": str(BENCH_DIR / "data"),  # its own token signing key
            # One client sends thousands of requests a second: measure the server, not
            # its rate limit (admission and cost still run).
            "RATE_LIMIT_POINTS": "0",
        }
        command = [
            str(Path(sys.executable).parent / "casegraph"),
            *("serve", "--host", HOST, "--port", str(self.port), "--workers", str(workers)),
        ]
        self._start(command, env)

    def _start(self, command: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log: IO[bytes] = self.log_path.open("wb")
        # Its own process group, so the workers can be killed with it if it will not stop.
        self.proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
                try:
                    if http.get(self.ready_path).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{self.tail()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, then SIGKILL to the process group this object started (workers too)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # any worker left behind
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(10)
        self._log.close()


class CeilingProcess(ServerProcess):
    """bench/ceiling_app.py on uvicorn, configured as `casegraph serve` configures it."""

    ready_path = "/"

    def __init__(self, url: str, insurer_id: int, pool: int, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        env = os.environ | {
            "CEILING_DATABASE_URL": url,
            "CEILING_INSURER": str(insurer_id),
            "CEILING_POOL": str(pool),
        }
        command = [
            str(Path(sys.executable).parent / "uvicorn"),
            "ceiling_app:app",
            *("--app-dir", str(Path(__file__).resolve().parent)),
            *("--host", HOST, "--port", str(self.port), "--workers", "1"),
            *("--loop", "uvloop", "--http", "httptools", "--no-access-log"),
            *("--log-level", "warning", "--proxy-headers"),
        ]
        self._start(command, env)

"""Start `casegraph serve` as a real process on loopback, and read what it logged."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CASEGRAPH = str(Path(sys.executable).with_name("casegraph"))
SECRET_KEY = "e2e-secret-key-0123456789-0123456789-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServerProcess:
    base: str  # http://127.0.0.1:<port>
    log: Path

    @property
    def ws(self) -> str:
        return self.base.replace("http://", "ws://") + "/graphql"

    def log_entries(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far."""
        entries = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries


@contextmanager
def serve(
    *, database_url: str, redis_url: str, data_dir: Path, log: Path, workers: int = 2
) -> Iterator[ServerProcess]:
    """A server with `workers` processes sharing Redis; stopped (and its log checked for
    tracebacks) on exit."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CASEGRAPH_DATA_DIR": str(data_dir),
        "SECRET_KEY": SECRET_KEY,
    }
    command = [CASEGRAPH, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"server did not become ready:\n{log.read_text()}")
        yield ServerProcess(base, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        server_log = log.read_text()
        assert "Traceback" not in server_log, server_log

"""Start real `casegraph serve` processes for tests, and stop them; every wait bounded."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.subscriptions.conftest import free_port

CASEGRAPH = str(Path(sys.executable).with_name("casegraph"))


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def stop(self, timeout: float = 15) -> str:
        """Terminate (SIGTERM, as a supervisor would); returns the server's log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        return self.log.read_text()


def start_servers(env: dict[str, str], logs: Path, count: int) -> list[ServerProcess]:
    """`count` single-worker servers on free loopback ports, once all answer /readyz."""
    servers = []
    for n in range(count):
        port, log = free_port(), logs / f"server-{n}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [CASEGRAPH, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        servers.append(ServerProcess(process, port, log))
    deadline = time.monotonic() + 60
    for server in servers:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log.read_text()}")
            try:
                if httpx.get(f"{server.http}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become ready:\n{server.log.read_text()}")
            time.sleep(0.1)
    return servers

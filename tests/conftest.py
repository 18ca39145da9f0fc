"""Test infrastructure: a fresh, migrated PostgreSQL database per session, the app
in-process over httpx, and Redis when a test needs it.

Database: DATABASE_URL names a server to create a throwaway database on; without it, an
embedded PostgreSQL starts in .casegraph/test-pg. Tests isolate by tenancy: each test
builds its own insurer with the factories, so nothing needs cleaning between tests.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.db.migrate import upgrade
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from server.db.embedded import start_embedded_postgres

    return start_embedded_postgres(ROOT / ".casegraph" / "test-pg", database="postgres")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def database_url() -> Any:
    """A new database, migrated with Alembic (the same path production takes)."""
    server_url = _server_url()
    name = f"casegraph_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_plain(server_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL at {server_url} is not reachable: {exc}", pytrace=False)
    url = _with_database(server_url, name)
    upgrade(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """REDIS_URL (default 127.0.0.1:6379). Unreachable: skip locally, fail in CI."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2):
            pass
    except OSError as exc:
        message = f"Redis at {url} is not reachable: {exc}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=None,
        casegraph_data_dir=tmp_path_factory.mktemp("data"),
        secret_key="test-secret-key-not-for-production-0123456789",
        max_upload_bytes=1024 * 1024,  # 1 MB keeps the oversized-upload tests fast
        # Every query the suite sends is answered by both read paths and compared.
        compare_read_paths=True,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def engine(app: Any) -> AsyncEngine:
    return app.state.services.engine


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def client_factory(app: Any) -> Any:
    """New clients on demand (hypothesis runs many examples within one test)."""

    def make() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )

    return make


class StatementCounter:
    """Counts SQL statements the app's engine sends, for N+1 tests."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(engine: AsyncEngine) -> Any:
    return lambda: StatementCounter(engine)


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> Any:
    """A fresh insurer portal with people of every role (see tests/factories.py)."""
    from tests.factories import build_world

    return await build_world(engine, settings)


@pytest.fixture
async def app_dispatcher_paused(app: Any) -> AsyncIterator[None]:
    """Stop the in-process app's notification dispatcher for one test (tests run one at a
    time), so that the dispatchers the test runs (its own, or a server process's) are the
    only ones claiming rows."""
    notifier = app.state.services.notifier
    await notifier.stop()
    try:
        yield
    finally:
        await notifier.start()

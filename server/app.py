"""The composition root: `create_app(settings)` wires infrastructure to the schema."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from resolvers.compiled.executor import CompiledReads
from resolvers.loaders import Loaders
from resolvers.subscriptions.live import LiveEvents
from schema.node import decode_global_id
from schema.root import build_schema
from server.admission import Admission
from server.body_limit import BodyLimit
from server.db.engine import make_engine, make_session_factory
from server.fast_path import CompiledFastPath
from server.graphql_view import CasegraphGraphQL, authenticate
from server.idempotency import IdempotencyStore
from server.notify.dispatcher import Dispatcher, plain_dsn
from server.notify.senders import senders_from_settings
from server.pubsub.broker import Broker, make_broker
from server.pubsub.hub import Hub
from server.ratelimit import Buckets, make_buckets
from server.recurring import RecurringRunner
from server.reports import case_statistics_csv, cases_csv
from server.reports_customers import customer_grants_csv
from server.settings import Settings
from server.sla_watcher import SlaWatcher
from server.storage.files import LocalFileStorage
from server.trusted_documents import TrustedDocuments
from server.websocket import OPEN_SOCKETS

log = logging.getLogger(__name__)
MAX_SUBSCRIPTIONS_PER_SOCKET = 100


@dataclass
class Services:
    """Infrastructure built once per process in the lifespan, reached through the app."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: Broker
    storage: LocalFileStorage
    # The compiled SQL read path; None answers every query through the resolvers.
    reads: CompiledReads | None = None
    live: LiveEvents | None = None  # live subscriptions of this process (set in the lifespan)
    notifier: Dispatcher | None = None  # sends queued emails and SMS (set in the lifespan)
    # The public API's guards (set in the lifespan): see server/admission.py.
    buckets: Buckets | None = None
    admission: Admission | None = None
    idempotency: IdempotencyStore | None = None
    recurring: RecurringRunner | None = None  # opens recurring cases (set in the lifespan)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    services: Services = request.app.state.services
    checks: dict[str, str] = {}
    try:
        async with services.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        checks["broker"] = "ok" if await services.broker.ping() else "error"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", **checks}, 200 if ready else 503
    )


async def download_document(request: Request) -> Response:
    """Stream a document's bytes to a principal who may see it (same rules as GraphQL)."""
    services: Services = request.app.state.services
    principal, auth_error = await authenticate(request)
    if principal is None:
        message = auth_error.message if auth_error else "Sign in first: send a Bearer token."
        return _error(401, "UNAUTHENTICATED", message)
    try:
        type_name, row_id = decode_global_id(request.path_params["document_id"])
    except Exception:
        type_name, row_id = "", 0
    row = None
    if type_name == "Document":
        row = await Loaders(services.engine, principal).document_by_id.load(row_id)
    if row is None or not services.storage.exists(row.storage_key):
        return _error(404, "NOT_FOUND", "No document with that id.")
    disposition = "attachment; filename*=UTF-8''" + _quote(row.file_name)
    return StreamingResponse(
        services.storage.stream(row.storage_key),
        media_type=row.content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(row.size_bytes),
            "ETag": f'"{row.sha256}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set; `casegraph serve` starts an embedded one.")
    schema = build_schema()
    graphql = CasegraphGraphQL(
        schema,
        multipart_uploads_enabled=True,
        keep_alive=True,  # legacy protocol "ka" frames; uvicorn pings every socket too
        keep_alive_interval=15,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        connection_init_wait_timeout=dt.timedelta(seconds=10),
        max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_SOCKET,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url or "", pool_size=settings.db_pool_size)
        broker = make_broker(settings.redis_url)
        app.state.services = Services(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            broker=broker,
            storage=LocalFileStorage(settings.files_dir),
            reads=await CompiledReads.open(
                schema._schema, settings.database_url or "", size=settings.db_pool_size
            )
            if settings.compiled_reads
            else None,
        )
        services = app.state.services
        services.buckets = make_buckets(settings.redis_url)
        documents = TrustedDocuments(engine)
        services.admission = Admission(schema._schema, settings, services.buckets, documents)
        services.idempotency = IdempotencyStore(engine, settings.idempotency_ttl_seconds)
        # One Redis subscription for the whole process, fanned out to the live tails.
        live = LiveEvents(engine)
        hub = Hub(broker, settings.redis_url)
        hub.add_listener(live)
        app.state.services.live = live
        await live.start()
        await hub.start()
        # Its own small pool: background polls never take a request's connection (and
        # never show up in a request's statement count).
        notify_engine = make_engine(settings.database_url or "", pool_size=2)
        notifier = Dispatcher(
            notify_engine,
            senders_from_settings(settings),
            public_url=settings.public_url,
            listen_dsn=plain_dsn(settings.database_url or ""),
            poll_seconds=settings.notify_poll_seconds,
        )
        app.state.services.notifier = notifier
        await notifier.start()
        # --- recurring: opens due recurring cases; its own pool, like the notifier's ---
        recurring_engine = make_engine(settings.database_url or "", pool_size=1)
        services.recurring = RecurringRunner(
            recurring_engine, broker, listen_dsn=plain_dsn(settings.database_url or "")
        )
        await services.recurring.start()
        # --- sla: marks SLA breaches and writes their feed entries (server/sla_watcher.py)
        app.state.sla_watcher = SlaWatcher(notify_engine, broker)
        await app.state.sla_watcher.start()
        try:
            yield
        finally:
            await services.recurring.stop()
            await recurring_engine.dispose()
            await app.state.sla_watcher.stop()
            await notifier.stop()
            await notify_engine.dispose()
            await OPEN_SOCKETS.close_all()  # 1001 to sockets still open (if uvicorn has not)
            await hub.stop()
            await live.stop()
            await broker.close()
            await services.buckets.close()
            if app.state.services.reads is not None:
                await app.state.services.reads.close()
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/documents/{document_id}", download_document),
            Route("/reports/case-statistics.csv", case_statistics_csv),
            Route("/reports/customer-grants.csv", customer_grants_csv),  # customers
            Route("/reports/cases.csv", cases_csv),  # casetypes
        ],
        lifespan=lifespan,
    )
    app.state.schema = schema
    # Reads the compiled path answers skip Starlette and Strawberry (server/fast_path.py).
    fast = CompiledFastPath(app)
    return BodyLimit(fast, max_bytes=settings.max_upload_bytes + 1024 * 1024)  # type: ignore[return-value]

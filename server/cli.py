"""The `casegraph` command: serve, db upgrade, seed, schema export, documents register,
recurring run-due."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from server.settings import Settings


def _database_url(settings: Settings) -> tuple[str, bool]:
    """(URL, embedded?) — DATABASE_URL if set, else an embedded PostgreSQL in the data dir."""
    if settings.database_url:
        return settings.database_url, False
    from server.db.embedded import start_embedded_postgres

    print(f"DATABASE_URL is not set: using embedded PostgreSQL in {settings.data_dir}/pgdata")
    return start_embedded_postgres(settings.data_dir), True


def _upgrade(url: str) -> None:
    from server.db.migrate import upgrade

    upgrade(url)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    url, _ = _database_url(Settings())
    _upgrade(url)
    print("database is at the latest migration")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    settings = Settings()
    url, _ = _database_url(settings)
    _upgrade(url)
    if args.demo:
        from server.seed.demo import print_demo_logins, seed_demo_if_empty

        created = asyncio.run(seed_demo_if_empty(url, settings))
        print("demo data created" if created else "demo data already present; nothing added")
        print_demo_logins()
    if args.cases:
        from server.seed.bulk import seed_bulk

        asyncio.run(seed_bulk(url, cases=args.cases))
    if not args.demo and not args.cases:
        print("nothing to do: pass --demo and/or --cases N", file=sys.stderr)
        return 2
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings()
    url, embedded = _database_url(settings)
    # Workers are separate processes: they read the URL from the environment.
    os.environ["DATABASE_URL"] = url
    _upgrade(url)
    if embedded or args.demo:
        from server.seed.demo import print_demo_logins, seed_demo_if_empty

        asyncio.run(seed_demo_if_empty(url, settings))
        print_demo_logins()
    print(f"GraphiQL: http://{args.host}:{args.port}/graphql")
    # uvicorn re-raises the signal that stopped it after shutting down; make SIGTERM a
    # normal exit so atexit handlers run (they stop the embedded PostgreSQL).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        "server.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers or _default_workers(settings),
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_ping_interval=20.0,  # protocol-level pings: dead or stuck clients are closed
        ws_ping_timeout=20.0,
        # Events are small JSON frames: compressing each one per socket costs more CPU
        # than the bytes it saves on fan-out.
        ws_per_message_deflate=False,
        log_level=args.log_level,
        access_log=False,  # the app logs one structured line per operation
        proxy_headers=True,
    )
    return 0


def _default_workers(settings: Settings) -> int:
    return (os.cpu_count() or 1) if settings.redis_url else 1


def cmd_schema_export(args: argparse.Namespace) -> int:
    from schema.root import build_schema

    sdl = str(build_schema()) + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        print(f"wrote {args.output}")
    return 0


def cmd_documents_register(args: argparse.Namespace) -> int:
    import json

    from server.db.engine import make_engine
    from server.trusted_documents import parse_manifest, register_documents

    try:
        documents = parse_manifest(json.loads(Path(args.manifest).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"{args.manifest}: not a usable manifest: {exc}", file=sys.stderr)
        return 2
    url, _ = _database_url(Settings())
    _upgrade(url)
    client = args.client or Path(args.manifest).stem

    async def register() -> int:
        engine = make_engine(url, pool_size=1)
        try:
            return await register_documents(engine, client, documents)
        finally:
            await engine.dispose()

    added = asyncio.run(register())
    print(f"{client}: {len(documents)} documents in the manifest, {added} newly registered")
    return 0


def cmd_recurring_run_due(args: argparse.Namespace) -> int:
    """One pass of the recurring case runner (what every server process does in the
    background): safe next to running servers, each occurrence opens once."""
    from server.db.engine import make_engine
    from server.pubsub.broker import make_broker
    from server.recurring import RecurringRunner

    settings = Settings()
    url, _ = _database_url(settings)
    _upgrade(url)

    async def run() -> int:
        engine = make_engine(url, pool_size=1)
        broker = make_broker(settings.redis_url)
        try:
            done = await RecurringRunner(engine, broker, limit=args.limit).run_once()
        finally:
            await broker.close()
            await engine.dispose()
        for item in done.runs:
            outcome = f"case {item.case_id}" if item.case_id else f"no case: {item.error}"
            print(f"schedule {item.schedule_id} at {item.occurrence_at.isoformat()}: {outcome}")
        for schedule_id in sorted(done.failed):
            print(f"schedule {schedule_id}: failed (see the log); retried on the next pass")
        print(f"{len(done.runs)} occurrences handled")
        return 1 if done.failed else 0

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casegraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: one per CPU core with REDIS_URL, else 1: without "
        "Redis, live subscriptions only reach sockets of the same process)",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--demo", action="store_true", help="seed demo data if the DB is empty")
    serve.set_defaults(run=cmd_serve)

    db = commands.add_parser("db", help="database administration")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply all migrations")
    upgrade.set_defaults(run=cmd_db_upgrade)

    seed = commands.add_parser("seed", help="load demo or bulk data")
    seed.add_argument("--demo", action="store_true", help="deterministic demo data (once)")
    seed.add_argument("--cases", type=int, default=0, help="add N bulk cases for benchmarks")
    seed.set_defaults(run=cmd_seed)

    schema = commands.add_parser("schema", help="the GraphQL schema")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True)
    export = schema_commands.add_parser("export", help="print the SDL")
    export.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
    export.set_defaults(run=cmd_schema_export)

    documents = commands.add_parser("documents", help="trusted documents (persisted queries)")
    documents_commands = documents.add_subparsers(dest="documents_command", required=True)
    register = documents_commands.add_parser(
        "register",
        help="register a client's documents: an Apollo persisted-query manifest "
        "(generate-persisted-query-manifest) or a {sha256: document} map",
    )
    register.add_argument("manifest", help="the manifest's JSON file")
    register.add_argument("--client", help="the client's name (default: the file's name)")
    register.set_defaults(run=cmd_documents_register)

    recurring = commands.add_parser("recurring", help="recurring case schedules")
    recurring_commands = recurring.add_subparsers(dest="recurring_command", required=True)
    run_due = recurring_commands.add_parser(
        "run-due", help="open the due occurrences of recurring schedules once, then exit"
    )
    run_due.add_argument(
        "--limit", type=int, default=1000, help="at most this many occurrences (default 1000)"
    )
    run_due.set_defaults(run=cmd_recurring_run_due)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())

"""The case statistics CSV over many cases: rows/s and memory while it streams.

Not a test. Seeds its own database (`casegraph_bench_stats`, never the main bench's) with
`server.seed.bulk.seed_bulk` (each case with 5 tasks, documents, feed and messages), then
streams the report the way `GET /reports/case-statistics.csv` does and prints rows/s, the
resident set size at every 10% of the rows, and the peak.

    .venv/bin/python bench/case_statistics.py                  # 100,000 cases
    .venv/bin/python bench/case_statistics.py --cases 20000    # quicker
    .venv/bin/python bench/case_statistics.py --skip-seed      # reuse the seeded database
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import infra  # noqa: E402 - bench/ modules import each other as scripts do

from permissions.principal import Principal, Role  # noqa: E402
from resolvers.queries.case_statistics import StatisticsFilter, stream_csv  # noqa: E402
from server.db.engine import make_engine  # noqa: E402
from server.seed.bulk import seed_bulk  # noqa: E402

infra.DATABASE = "casegraph_bench_stats"


def rss_mb() -> float:
    """Resident set size now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def stream(url: str, expected: int) -> None:
    engine = make_engine(url, pool_size=2)
    async with engine.connect() as conn:
        insurer_id, user_id = (
            await conn.exec_driver_sql(
                "SELECT u.insurer_id, u.id FROM users u JOIN companies c ON c.id = u.insurer_id "
                "WHERE u.kind = 'staff' AND c.name = 'Bench Insurance' ORDER BY u.id LIMIT 1"
            )
        ).one()
    principal = Principal(role=Role.STAFF, insurer_id=insurer_id, user_id=user_id)
    rows = size = chunks = 0
    marks = {max(1, expected * tenth // 10) for tenth in range(1, 11)}
    print(f"rss before: {rss_mb():.1f} MB")
    began = time.perf_counter()
    stream_rows = stream_csv(engine=engine, principal=principal, report_filter=StatisticsFilter())
    async for chunk in stream_rows:
        before = rows
        rows += chunk.count(b"\r\n")
        size += len(chunk)
        chunks += 1
        if any(before < mark <= rows for mark in marks):
            print(f"  {rows - 1:>8} rows  {size / 1e6:7.1f} MB sent  rss {rss_mb():6.1f} MB")
    elapsed = time.perf_counter() - began
    rows -= 1  # the header
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{rows} rows in {chunks} chunks, {size / 1e6:.1f} MB of CSV in {elapsed:.2f} s: "
        f"{rows / elapsed:,.0f} rows/s; peak rss {peak:.1f} MB"
    )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--skip-seed", action="store_true")
    args = parser.parse_args()
    url = infra.prepare_database(fresh=not args.skip_seed)
    if not args.skip_seed:
        began = time.perf_counter()
        asyncio.run(seed_bulk(url, cases=args.cases))
        asyncio.run(infra.vacuum_analyze(url))
        print(f"seeded {args.cases} cases in {time.perf_counter() - began:.0f} s")
    asyncio.run(stream(url, args.cases))


if __name__ == "__main__":
    main()

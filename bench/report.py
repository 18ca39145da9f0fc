"""The printed table, the CPU lines, the shape check and server log excerpts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from driver import Result

WORKLOADS = ("W1", "W2", "W3", "MIXED")


def first_difference(a: Any, b: Any, path: str = "data") -> str | None:
    """Where two JSON values first differ, or None when they are equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if a == b:
        return None
    return f"{path}: {a!r} != {b!r}"


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def table(
    server: dict[str, Result], floor: dict[str, Result], ceiling: dict[str, Result] | None = None
) -> str:
    ceiling = ceiling or {}
    head = ["workload", "server req/s", "p50 ms", "p99 ms", "floor q/s", "p50 ms", "p99 ms"]
    head += ["server/floor"]
    if ceiling:
        head += ["ceiling req/s", "p50 ms", "p99 ms", "ceiling/floor"]
    rows = [tuple(head)]
    for name in WORKLOADS:
        s, f, c = server.get(name), floor.get(name), ceiling.get(name)
        if s is None and f is None:
            continue
        label = name + (f"  !! {s.errors} ERRORS" if s and s.errors else "")
        row = [label, *_cells(s), *_cells(f), _ratio(s, f)]
        if ceiling:
            row += [*_cells(c), _ratio(c, f)]
        rows.append(tuple(row))
    return _render(rows)


def _render(rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell, a rule under the head."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def same_load_table(server: dict[str, Result], floor: dict[str, Result], fraction: float) -> str:
    """Latencies of both sides paced at the same rate (open loop, from when each was due)."""
    head = (
        "workload",
        "offered/s",
        "server p50",
        "p99 ms",
        "floor p50",
        "p99 ms",
        "p99 server/floor",
    )
    rows = [head]
    for name in WORKLOADS:
        s, f = server.get(name), floor.get(name)
        if s is None or f is None:
            continue
        p99 = s.percentile(0.99) / f.percentile(0.99) if f.latencies_ms else float("nan")
        rows.append((name, fmt(s.rate, 0), *_cells(s)[1:], *_cells(f)[1:], fmt(p99, 2)))
    title = (
        f"\nAt the same load: both sides paced at {fraction:g} x the server's rate above "
        "(open loop; latency from when each request was due):\n"
    )
    return title + _render(rows)


def _cells(result: Result | None) -> list[str]:
    if result is None:
        return ["-", "-", "-"]
    return [fmt(result.rate), fmt(result.percentile(0.5)), fmt(result.percentile(0.99))]


def _ratio(part: Result | None, whole: Result | None) -> str:
    if part is None or whole is None or not whole.rate or not part.rate:
        return "-"
    ratio = part.rate / whole.rate
    return f"{ratio:.3f} (1/{1 / ratio:.1f})"


def cpu_report(
    server: dict[str, Result], floor: dict[str, Result], ceiling: dict[str, Result] | None = None
) -> str:
    """Cores used while counting, per workload and side; `other` is the rest of the machine."""
    lines = [
        "",
        "CPU cores used while counting (client = this load generator; other = the rest of the",
        "machine, including processes that exited meanwhile such as short-lived PG backends):",
    ]
    worst = 0.0
    runs_by_side = (("server run", server), ("floor run", floor), ("ceiling run", ceiling or {}))
    for name in WORKLOADS:
        sides = []
        for side, runs in runs_by_side:
            if name not in runs:
                continue
            cpu = runs[name].cpu
            if "machine" in cpu:
                cpu["other"] = max(0.0, cpu.pop("machine") - sum(cpu.values()))
                worst = max(worst, cpu["other"])
            text = ", ".join(f"{m} {c:.2f}" for m, c in cpu.items())
            opened = runs[name].per_second.get("pg_connections_opened")
            if opened is not None:
                text += f"; {opened:.0f} new PG conn/s"
            sides.append(f"{side}: {text}")
        if sides:
            lines.append(f"  {name:<6} " + " | ".join(sides))
    if worst > 0.25:
        lines.append(
            f"note: 'other' reached {worst:.2f} cores: short-lived PG backends (see new PG "
            "conn/s), kernel work, or other programs; if other programs were busy, run again"
        )
    return "\n".join(lines)


def server_error_lines(log_path: Path, results: dict[str, Result], limit: int = 20) -> list[str]:
    """Server log lines that are errors or name a request id seen in a failed response."""
    wanted = {i for r in results.values() for ids in r.request_ids.values() for i in ids}
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        if '"level":"error"' in line or "Traceback" in line or any(w in line for w in wanted):
            found.append(line[:4000])
            if len(found) >= limit:
                break
    return found

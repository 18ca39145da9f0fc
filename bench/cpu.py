"""Where the CPU went: cumulative CPU seconds of process trees, read from /proc (Linux).

A meter returns {pid: CPU seconds} for the processes it watches now; `cores` turns two
readings into cores used in between. Processes that exit between readings are lost.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

Meter = Callable[[], dict[int, float]]
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_seconds(pid: int) -> float | None:
    """utime + stime of one live process, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after "(comm)": state is fields[0]
    return (int(fields[11]) + int(fields[12])) / TICKS


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def tree(pid: int, limit: int = 500) -> list[int]:
    """`pid` and its descendants (at most `limit` processes)."""
    found: list[int] = []
    todo = [pid]
    while todo and len(found) < limit:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except (OSError, ValueError):
                pass
    return found


def tree_meter(pid: int) -> Meter:
    def read() -> dict[int, float]:
        readings = {p: process_seconds(p) for p in tree(pid)}
        return {p: s for p, s in readings.items() if s is not None}

    return read


def machine_meter() -> dict[int, float]:
    """Busy CPU seconds of the whole machine (all processes, the kernel's work included)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return {}
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return {0: (user + nice + system + irq + softirq + steal) / TICKS}


def own_meter() -> dict[int, float]:
    """This process alone (its children, the server and maybe PostgreSQL, are not it)."""
    return {os.getpid(): time.process_time()}


def cores(before: dict[int, float], after: dict[int, float], seconds: float) -> float:
    used = sum(s - before.get(pid, 0.0) for pid, s in after.items())
    return used / seconds if seconds > 0 else 0.0

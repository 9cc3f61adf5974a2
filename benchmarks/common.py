"""What the benchmarks share: timing, percentiles, and the 1M-member demo database.

The demo database (`benchmarks/data/demo-1m.db`, git-ignored) takes many minutes to build,
so it is built once with `vipdesk demo` and reused read-only by every benchmark. Its build
time and size are kept beside it in `demo-1m.json`.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
DEMO_1M = DATA / "demo-1m.db"
ONE_MILLION = 1_000_000


@dataclass(frozen=True)
class Stats:
    n: int
    median_us: float
    p99_us: float
    max_us: float


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def stats(samples_ns: Sequence[int]) -> Stats:
    values = sorted(ns / 1000 for ns in samples_ns)
    return Stats(len(values), percentile(values, 50), percentile(values, 99), values[-1])


def time_each(fn: Callable[[Any], object], args: Sequence[Any]) -> list[int]:
    """Nanoseconds of `fn(arg)` for each argument, measured with perf_counter_ns."""
    out = []
    clock = time.perf_counter_ns
    for arg in args:
        start = clock()
        fn(arg)
        out.append(clock() - start)
    return out


def time_each_with_cpu(fn: Callable[[Any], object], args: Sequence[Any]
                       ) -> tuple[list[int], list[int]]:
    """Wall and this thread's CPU nanoseconds per call. On a shared machine a call that is
    preempted shows in wall time only: the CPU time is the code's own cost."""
    wall, cpu = [], []
    clock, thread_clock = time.perf_counter_ns, time.thread_time_ns
    for arg in args:
        start, start_cpu = clock(), thread_clock()
        fn(arg)
        cpu.append(thread_clock() - start_cpu)
        wall.append(clock() - start)
    return wall, cpu


def median_p99_ms(fn: Callable[[], object], runs: int, warmup: int = 5) -> tuple[float, float]:
    """Median and p99 (nearest rank) of `runs` calls in ms, after a warm-up."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return percentile(times, 50), percentile(times, 99)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (f"{os.cpu_count()} cores {cpu}, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, load {os.getloadavg()[0]:.1f}")


def member_count(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM members").fetchone()[0])


def ensure_demo(path: Path = DEMO_1M, members: int = ONE_MILLION) -> dict[str, Any]:
    """Build the demo database unless a complete one is there; returns its build facts."""
    facts_file = path.with_suffix(".json")
    if path.exists() and facts_file.exists():
        facts: dict[str, Any] = json.loads(facts_file.read_text())
        if facts.get("members") == members:
            return facts
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {path} with {members:,} members (takes a while)…", file=sys.stderr)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vipdesk.cli.main", "demo", "--members", str(members),
                    "--db", str(path), "--force"], check=True)
    facts = record_demo_facts(path, members, time.perf_counter() - start)
    return facts


def record_demo_facts(path: Path, members: int, build_seconds: float) -> dict[str, Any]:
    with sqlite3.connect(path) as conn:  # fold the WAL in, so the size is the file's
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    facts = {"members": members, "build_seconds": round(build_seconds, 1),
             "size_bytes": path.stat().st_size, "machine": machine(),
             "built_at": time.strftime("%Y-%m-%d %H:%M")}
    if member_count(path) != members:
        raise RuntimeError(f"{path} has {member_count(path):,} members, expected {members:,}")
    path.with_suffix(".json").write_text(json.dumps(facts, indent=2))
    return facts


def open_raw(path: Path) -> sqlite3.Connection:
    """The baseline: stdlib sqlite3 on the same file with the app's read pragmas."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA mmap_size=268435456")
    return conn


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pasted into docs as is)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)

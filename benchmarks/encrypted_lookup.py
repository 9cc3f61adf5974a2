"""Member lookup on an SQLCipher-encrypted desk database against the same data in plain
SQLite: does encryption at rest keep the desk fast?

    python -m benchmarks.encrypted_lookup [--db benchmarks/data/demo-1m.db] [--queries 1000]

Makes (once) an encrypted copy of the demo database with `vipdesk.crypto.encrypt_copy`
(timed, verified), then times `LookupService.search` on both files for every query kind
of `benchmarks.lookup` — same queries, interleaved in chunks so both see the same
machine load. Prints median and p99 per kind and the encrypted/plain p99 ratio; the
target is p99 within 1.5× of plain. Without a finished 1M-member database it falls
back to a 200k-member one (built here) and says so.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.common import DATA, DEMO_1M, ensure_demo, machine, open_raw, stats, table
from benchmarks.common import time_each as timed
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


def compare(plain: LookupService, enc: LookupService, queries: list[str],
            rounds: int = 2) -> tuple[list[int], list[int]]:
    for query in queries[:50]:  # warm both statement caches and page caches a little
        plain.search(query)
        enc.search(query)
    a: list[int] = []
    b: list[int] = []
    for _ in range(rounds):
        for start in range(0, len(queries), 100):
            chunk = queries[start:start + 100]
            a += timed(plain.search, chunk)
            b += timed(enc.search, chunk)
    return a, b


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
        p, e = (stats(x) for x in compare(plain, enc, kind.queries))
        ratio = e.p99_us / p.p99_us
        rows.append([kind.name, f"{p.median_us:,.0f}", f"{p.p99_us:,.0f}", f"{e.median_us:,.0f}",
                     f"{e.p99_us:,.0f}", f"{e.median_us / p.median_us:,.2f}×", f"{ratio:,.2f}×",
                     "ok" if ratio <= TARGET_RATIO else f"MISS (> {TARGET_RATIO}×)"])
        print(f"  {kind.name}: plain p99 {p.p99_us:,.0f} µs, encrypted p99 {e.p99_us:,.0f} µs",
              flush=True)
    print()
    print(table(["query", "plain median µs", "plain p99 µs", "encrypted median µs",
                 "encrypted p99 µs", "ratio median", "ratio p99", "target"], rows))


if __name__ == "__main__":
    main()

"""Member CSV import throughput: `python -m benchmarks.import_members [--rows 100000]`.

Writes a realistic CSV (Chinese names, phones written with spaces, cards, birthdays, spend
with ¥ and thousands separators, 1% bad rows), imports it into a fresh desk database
through `vipdesk.services.importer` and prints rows/s and the peak memory (ru_maxrss), so
one can see the import streams: memory stays flat as the row count grows.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import tracemalloc
from pathlib import Path

from benchmarks.common import machine
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.services import auth
from vipdesk.services.importer import import_members
from vipdesk.services.tiers import seed_default_tiers

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


def write_csv(path: Path, rows: int, seed: int = 3) -> int:
    """The file, written line by line; returns how many rows are deliberately bad."""
    rng = random.Random(seed)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("会员号,姓名,手机,卡号,生日,性别,近12个月消费\r\n")
        for i in range(rows):
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
            phone = f"139 {i // 10000:04d} {i % 10000:04d}"
            if i % 100 == 99:
                phone, bad = "12345", bad + 1
            spend = f'"¥{rng.randrange(10_000, 400_000):,}"'
            birthday = f"{rng.randrange(1950, 2000)}-{rng.randrange(1, 13):02d}-" \
                       f"{rng.randrange(1, 29):02d}"
            fh.write(f"B{i:07d},{name},{phone},77{i:010d},{birthday},"
                     f"{rng.choice('男女')},{spend}\r\n")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--trace-memory", action="store_true",
                        help="also report the Python heap's peak (tracemalloc; ~2× slower)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "members.csv"
        bad = write_csv(csv_path, args.rows)
        engine = open_desk_db(Path(tmp) / "desk.db")
        factory = session_factory(engine)
        with unit_of_work(factory) as session:
            seed_default_tiers(session)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if args.trace_memory:
            tracemalloc.start()
        report = import_members(factory, csv_path, auth.SYSTEM)
        heap = tracemalloc.get_traced_memory()[1] if args.trace_memory else 0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        engine.dispose()
    print(f"machine: {machine()}")
    rate = report.rows / report.seconds
    print(f"{report.rows:,} rows in {report.seconds:,.1f} s = {rate:,.0f} rows/s; "
          f"imported {report.imported_count:,}, rejected {report.rejected_count:,} "
          f"(expected {bad:,}); peak RSS {before / 1024:,.0f} → {peak / 1024:,.0f} MiB")
    if heap:
        print(f"Python heap peak during the import: {heap / 2**20:,.1f} MiB "
              "(RSS also counts SQLite's 64 MiB page cache and the mmap'd file)")
    assert report.rejected_count == bad, "the bad rows, and only them, must be rejected"


if __name__ == "__main__":
    main()

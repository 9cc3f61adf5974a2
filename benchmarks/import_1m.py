"""A chain's first load: `python -m benchmarks.import_1m [--rows 1000000]`.

Writes a realistic member CSV (benchmarks/import_members.py's generator: Chinese names,
spaced phones, cards, birthdays, `"¥123,456"` spends, 1% bad rows), imports it into a
fresh desk database with full validation, the name index and the sync outbox, in a child
process (so its peak RSS is the import's own), checks exactly the bad rows were rejected
and every imported member has its outbox op, then measures the baseline in the same run:
stdlib `sqlite3` executemany of the very rows the import wrote (read back from its
database) into another fresh desk database, same pragmas, same batch size. Prints rows/s,
both times, their ratio and the machine's load.

The desk is fresh, so the import takes its first-load path (one transaction, indexes
built after the rows); `--batched` measures the per-batch path instead.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks.common import machine
from benchmarks.import_members import write_csv

TARGET_ROWS_PER_S = 20_000  # 1M rows in ≤ 60 s (about 16,700/s; the requirement rounds up)
TARGET_MIB = 300
TABLES = ("members", "member_phones", "member_cards", "member_terms", "tier_changes",
          "sync_outbox")
# The import's ops only (both databases hold the tier table's seeding ops already).
OUTBOX_FILTER = (" WHERE table_name IN ('members', 'member_phones', 'member_cards', "
                 "'tier_changes')")


def import_child(csv_path: Path, db_path: Path, out: dict[str, object],
                 first_load: bool) -> None:
    from vipdesk.db import open_desk_db, session_factory, unit_of_work
    from vipdesk.services import auth
    from vipdesk.services.importer import import_members
    from vipdesk.services.tiers import seed_default_tiers

    engine = open_desk_db(db_path)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        seed_default_tiers(session)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    report = import_members(factory, csv_path, auth.SYSTEM, first_load=first_load)
    out.update(rows=report.rows, seconds=report.seconds, imported=report.imported_count,
               rejected=report.rejected_count, cpu=time.process_time() - cpu,
               rss_before=before, rss_peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    engine.dispose()


def run_import(csv_path: Path, db_path: Path, first_load: bool) -> dict[str, object]:
    with multiprocessing.Manager() as manager:
        out = manager.dict()
        child = multiprocessing.get_context("fork").Process(
            target=import_child, args=(csv_path, db_path, out, first_load))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"the import process failed ({child.exitcode})")
        return dict(out)


def raw_baseline(source: Path, target: Path, batch: int) -> tuple[float, int]:
    """Seconds spent in sqlite3 executemany + commit writing `source`'s rows of the
    import's tables into `target` (an empty migrated desk), and how many rows."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL",
                   "cache_size=-65536"):
        dst.execute(f"PRAGMA {pragma}")
    spent, written = 0.0, 0
    for table in TABLES:
        columns = [r[1] for r in src.execute(f"PRAGMA table_info({table})") if r[1] != "seq"]
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' * len(columns))})")
        cursor = src.execute(f"SELECT {', '.join(columns)} FROM {table}"
                             + (OUTBOX_FILTER if table == "sync_outbox" else ""))
        while rows := cursor.fetchmany(batch):
            start = time.perf_counter()
            dst.execute("BEGIN IMMEDIATE")
            dst.executemany(sql, rows)
            dst.execute("COMMIT")
            spent += time.perf_counter() - start
            written += len(rows)
    src.close()
    dst.close()
    return spent, written


def fresh_desk(path: Path) -> None:
    from vipdesk.db import open_desk_db, session_factory, unit_of_work
    from vipdesk.services.tiers import seed_default_tiers

    engine = open_desk_db(path)
    with unit_of_work(session_factory(engine)) as session:
        seed_default_tiers(session)
    engine.dispose()


def check(db_path: Path, imported: int) -> None:
    with sqlite3.connect(db_path) as conn:
        members = conn.execute("SELECT count(*) FROM members").fetchone()[0]
        ops = conn.execute("SELECT count(*) FROM sync_outbox WHERE table_name='members'"
                           ).fetchone()[0]
    assert members == ops == imported, (members, ops, imported)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batched", action="store_true",
                        help="the per-batch path (a desk that has members), not a first load")
    args = parser.parse_args()
    from vipdesk.services.import_batches import BATCH_ROWS

    with tempfile.TemporaryDirectory() as tmp:
        csv_path, db_path, raw_path = (Path(tmp) / n for n in ("m.csv", "desk.db", "raw.db"))
        bad = write_csv(csv_path, args.rows)
        load_before = os.getloadavg()[0]
        result = run_import(csv_path, db_path, first_load=not args.batched)
        load_after = os.getloadavg()[0]
        assert result["rejected"] == bad, "the bad rows, and only them, must be rejected"
        check(db_path, int(str(result["imported"])))
        fresh_desk(raw_path)
        raw_load = os.getloadavg()[0]
        raw_seconds, raw_rows = raw_baseline(db_path, raw_path, BATCH_ROWS * 8)
        raw_load_after = os.getloadavg()[0]
        size = db_path.stat().st_size / 2**20
    seconds = float(str(result["seconds"]))
    rows = int(str(result["rows"]))
    cpu = float(str(result["cpu"]))
    peak = int(str(result["rss_peak"])) / 1024
    print(f"machine: {machine()}; load during the import {load_before:.1f} → {load_after:.1f}"
          f"; {'batched' if args.batched else 'first load'}")
    print(f"import: {rows:,} rows in {seconds:,.1f} s = {rows / seconds:,.0f} rows/s "
          f"(CPU {cpu:,.1f} s, {cpu / rows * 1e6:,.0f} µs a row); "
          f"imported {result['imported']:,}, "
          f"rejected {result['rejected']:,}; peak RSS {int(str(result['rss_before'])) / 1024:,.0f}"
          f" → {peak:,.0f} MiB; database {size:,.0f} MiB")
    print(f"raw sqlite3 executemany of the same {raw_rows:,} table rows: {raw_seconds:,.1f} s "
          f"({rows / raw_seconds:,.0f} CSV rows/s; load {raw_load:.1f} → {raw_load_after:.1f}); "
          f"import / raw = {seconds / raw_seconds:.1f}×")
    met = rows / seconds >= TARGET_ROWS_PER_S and peak <= TARGET_MIB
    print(f"target ≥ {TARGET_ROWS_PER_S:,} rows/s and ≤ {TARGET_MIB} MiB: "
          f"{'met' if met else 'not met'}")


if __name__ == "__main__":
    main()

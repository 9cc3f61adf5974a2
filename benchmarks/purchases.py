"""POS purchase import and re-tiering: `python -m benchmarks.purchases [--rows 100000]`.

Builds a desk with members (imported from a CSV, as a store would), writes a POS export
of `--rows` purchases over the last two years (members named by phone, card or member
number in turn; 0.5% rows naming an unknown card), then measures, in one run:

- the import through `vipdesk.services.purchases` (ORM, outbox, points, re-tier once
  per member), rows/s;
- the same file again (idempotent: every row unchanged), rows/s;
- the daily pass a year later (members whose purchases left the window move down);
- the baseline: the same rows, members already resolved, with raw sqlite3
  `executemany` into a table of the same shape and unique index, in one transaction.

`--rows 1000000` for the large run (takes minutes and a few hundred MB of disk).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import machine
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.models import Store
from vipdesk.services import auth
from vipdesk.services.clock import FixedClock
from vipdesk.services.importer import import_members
from vipdesk.services.purchases import import_purchases
from vipdesk.services.tiers import daily_pass, load_tier_table, seed_default_tiers

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ITEMS = ("手袋", "丝巾", "腕表", "皮鞋", "香水", "大衣", "钱包", "项链")


def write_members(path: Path, members: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("会员号,姓名,手机,卡号\r\n")
        for i in range(members):
            fh.write(f"P{i:07d},会员{i},139{i:08d},66{i:010d}\r\n")


def write_purchases(path: Path, rows: int, members: int, seed: int = 5
                    ) -> tuple[int, list[tuple[int, str, int, str, str]]]:
    """The export; returns the bad-row count and the good rows for the baseline
    (member index, local time, cents, items, receipt)."""
    rng = random.Random(seed)
    bad, good = 0, []
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("手机,卡号,会员号,消费时间,金额,商品,门店,小票号\r\n")
        for i in range(rows):
            m = rng.randrange(members)
            who = [f"139 {m // 10**4:04d} {m % 10**4:04d}", "", ""]
            if i % 3 == 1:
                who = ["", f"66{m:010d}", ""]
            elif i % 3 == 2:
                who = ["", "", f"P{m:07d}"]
            if i % 200 == 199:
                who, bad = ["", "99999999", ""], bad + 1
            at = (NOW - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))).astimezone(
                UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            cents = rng.randrange(500, 50_000) * 100
            items = rng.choice(ITEMS)
            fh.write(f"{who[0]},{who[1]},{who[2]},{at},{cents / 100:.2f},{items},SH01,"
                     f"R{i:08d}\r\n")
            if i % 200 != 199:
                good.append((m, at, cents, items, f"R{i:08d}"))
    return bad, good


def raw_baseline(path: Path, good: list[tuple[int, str, int, str, str]]) -> float:
    """Seconds for sqlite3 executemany of the same rows into a same-shaped table."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE purchases (id BLOB PRIMARY KEY, member_id BLOB, store_id BLOB,"
                 " occurred_at TEXT, amount_cents INTEGER, description TEXT, receipt_no TEXT,"
                 " created_at TEXT)")
    conn.execute("CREATE UNIQUE INDEX ux ON purchases (store_id, receipt_no)")
    conn.execute("CREATE INDEX ix ON purchases (member_id, occurred_at, amount_cents)")
    member_ids = {m: uuid.uuid4().bytes for m, *_ in good}
    store = uuid.uuid4().bytes
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO purchases VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((uuid.uuid4().bytes, member_ids[m], store, at, cents, items, receipt, at)
             for m, at, cents, items, receipt in good))
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = open_desk_db(folder / "desk.db")
        factory = session_factory(engine)
        with unit_of_work(factory) as session:
            seed_default_tiers(session)
            session.add(Store(code="SH01", name="上海一店"))
        write_members(folder / "members.csv", args.members)
        import_members(factory, folder / "members.csv", auth.SYSTEM)
        bad, good = write_purchases(folder / "pos.csv", args.rows, args.members)
        clock = FixedClock(NOW)
        first = import_purchases(factory, folder / "pos.csv", auth.SYSTEM, "SH01", clock=clock)
        again = import_purchases(factory, folder / "pos.csv", auth.SYSTEM, "SH01", clock=clock)
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            passed = daily_pass(session, load_tier_table(session), NOW + timedelta(days=365))
        pass_seconds = time.perf_counter() - started
        engine.dispose()
        raw = raw_baseline(folder / "raw.db", good)
    print(f"machine: {machine()}")
    rate = first.rows / first.seconds
    print(f"import: {first.rows:,} rows in {first.seconds:,.1f} s = {rate:,.0f} rows/s; "
          f"imported {first.imported:,}, rejected {len(first.rejected):,} (expected {bad:,}); "
          f"{first.members:,} members re-tiered, {sum(first.tier_moves.values()):,} moved")
    print(f"re-import: {again.rows:,} rows in {again.seconds:,.1f} s = "
          f"{again.rows / again.seconds:,.0f} rows/s; unchanged {again.unchanged:,}, "
          f"imported {again.imported}")
    print(f"daily pass a year on: {passed.members:,} members in {pass_seconds:.2f} s, "
          f"{passed.moved:,} moved")
    raw_rate = len(good) / raw
    print(f"raw sqlite3 executemany: {len(good):,} rows in {raw:.2f} s = {raw_rate:,.0f} rows/s"
          f" (the import is {raw_rate / rate:,.0f}× slower: parsing, member look-up, ORM, "
          "outbox, points, re-tiering)")
    assert len(first.rejected) == bad and again.imported == 0


if __name__ == "__main__":
    main()

"""Sync throughput against a real PostgreSQL, with raw psycopg baselines in the same run.

    python -m benchmarks.sync [--push 10000] [--pull 100000] [--server URL]

- push: a desk holding N new visits (written through the ORM, so N outbox ops) pushes
  them all (`push_all`, batches of 500: read outbox, merge at the centre with
  applied-ops, hash check, change log, ack, delete). Baseline: raw psycopg
  `executemany` of the same N rows into `visits`, one commit per 500 rows.
- pull: a fresh desk pulls the N changes of a centre that holds nothing else (the push
  side runs on another database) (`pull_all`, batches of 2000: one commit-safe
  statement per batch, apply, cursor in the same transaction). Baseline: raw psycopg
  `COPY (SELECT … FROM visits) TO STDOUT` + stdlib sqlite3 `executemany` into a desk file,
  one commit per 2000 rows.

Sync and raw run interleaved, --repeat rounds (default 5): each round times the sync
and then its raw baseline, back to back, so both see the same machine load. The verdict
uses the median of the per-round ratios (min and max shown), not a single lucky or
unlucky run of either side.

Creates and drops its own database `vipdesk_bench_<random>` on the server
(default postgresql+psycopg://postgres@127.0.0.1:5432). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from benchmarks.common import machine, table
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.models import Member, Visit
from vipdesk.outbox import tables
from vipdesk.outbox.ops import Op
from vipdesk.sync.central import CentreSettings, connect
from vipdesk.sync.engine import bind_store
from vipdesk.sync.pull import pull_all
from vipdesk.sync.push import push_all

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_RATIO = 3.0
VISIT_COLUMNS = ("id", "member_id", "checked_in_at", "purpose", "offered", "created_at")


def _dsn(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(
        hide_password=False)


class Bench:
    def __init__(self, server: str, folder: Path) -> None:
        self.server = server
        self.folder = folder
        folder.mkdir(exist_ok=True)
        self.name = f"vipdesk_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_dsn(server, "postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = make_url(server).set(drivername="postgresql+psycopg",
                                        database=self.name).render_as_string(hide_password=False)
        self.centre = connect(CentreSettings(self.url))
        self.centre.init_schema()
        self.dsn = _dsn(server, self.name)
        self.template = folder / "template.db"
        open_desk_db(self.template).dispose()

    def drop(self) -> None:
        self.centre.dispose()
        with psycopg.connect(_dsn(self.server, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def desk(self, name: str, store: str) -> Engine:
        path = self.folder / f"{name}.db"
        path.write_bytes(self.template.read_bytes())
        engine = open_desk_db(path, migrate=False)
        bind_store(engine, store)
        return engine


def _member(desk: Engine) -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        member = Member(member_no=f"B{uuid.uuid4().hex[:8]}", name_zh="基准")
        s.add(member)
        s.flush()
        return member.id


def _visits(desk: Engine, member_id: uuid.UUID, n: int) -> None:
    start = datetime(2026, 11, 25, 2, tzinfo=UTC)
    for chunk in range(0, n, 1000):  # one unit of work per 1,000 check-ins
        with unit_of_work(session_factory(desk)) as s:
            s.add_all(Visit(member_id=member_id, checked_in_at=start + timedelta(seconds=i),
                            purpose="browse", offered="龙井")
                      for i in range(chunk, min(n, chunk + 1000)))


Rounds = list[tuple[float, float]]  # (sync s, raw s) of each interleaved round


def bench_push(bench: Bench, n: int, repeat: int) -> Rounds:
    return [_push_once(bench, n, i) for i in range(repeat)]


def _push_once(bench: Bench, n: int, i: int) -> tuple[float, float]:
    desk = bench.desk(f"pusher{i}", f"S{i}")
    member_id = _member(desk)
    push_all(desk, bench.centre, f"S{i}")  # the member first, untimed
    _visits(desk, member_id, n)
    t0 = time.perf_counter()
    report = push_all(desk, bench.centre, f"S{i}")
    sync_s = time.perf_counter() - t0
    assert report.outcomes == {"applied": n}, report.outcomes
    raw_s = raw_push(bench, member_id, n)
    with psycopg.connect(bench.dsn) as conn:
        copy_rows = _raw_rows(member_id, n)
        t0 = time.perf_counter()
        for batch in _chunks(copy_rows, 500):
            with conn.cursor() as cur, cur.copy(
                    "COPY visits (id, member_id, checked_in_at, purpose, offered, created_at)"
                    " FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            conn.commit()
        COPY_PUSH_S.append(time.perf_counter() - t0)
    desk.dispose()
    return sync_s, raw_s


def raw_push(bench: Bench, member_id: uuid.UUID, n: int) -> float:
    """The push baseline: psycopg `executemany` of n visit rows, one commit per 500."""
    rows = _raw_rows(member_id, n)
    with psycopg.connect(bench.dsn) as conn:
        t0 = time.perf_counter()
        for batch in _chunks(rows, 500):
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO visits (id, member_id, checked_in_at, purpose,"
                                " offered, created_at) VALUES (%s, %s, %s, %s, %s, %s)", batch)
            conn.commit()
        return time.perf_counter() - t0


COPY_PUSH_S: list[float] = []  # the COPY baseline for push, reported alongside


def _raw_rows(member_id: uuid.UUID, n: int) -> list[tuple[Any, ...]]:
    start = datetime(2026, 11, 25, 2, tzinfo=UTC)
    now = datetime.now(UTC)
    return [(uuid.uuid4(), member_id, start + timedelta(seconds=i), "browse", "龙井", now)
            for i in range(n)]


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def seed_centre(bench: Bench, n: int) -> uuid.UUID:
    """n visit inserts through the real push path (untimed), from a synthetic desk."""
    desk = bench.desk("seeder", "HQ")
    member_id = _member(desk)
    push_all(desk, bench.centre, "HQ")
    now = datetime.now(UTC)
    for batch in _chunks(list(range(n)), 2000):
        ops = []
        for i in batch:
            record_id = uuid.uuid4()
            row = {"id": record_id, "member_id": member_id, "store_id": None,
                   "checked_in_at": now - timedelta(seconds=i), "checked_out_at": None,
                   "received_by": None, "purpose": "browse", "offered": "龙井",
                   "purchase_id": None, "created_at": now}
            encoded = tables.encode_row("visits", row)
            ops.append(Op(uuid.uuid4(), "insert", "visits", record_id, {"row": encoded},
                          f"{int(now.timestamp() * 1000):015d}.{i % 999999:06d}.HQ"))
        bench.centre.push("HQ", ops)
    desk.dispose()
    return member_id


def bench_pull(bench: Bench, n: int, repeat: int) -> Rounds:
    seed_centre(bench, n)
    rounds = []
    for i in range(repeat):
        desk = bench.desk(f"puller{i}", f"P{i}")
        t0 = time.perf_counter()
        report = pull_all(desk, bench.centre)
        sync_s = time.perf_counter() - t0
        # The n visits plus the seeding desk's member: the same records the raw copy moves.
        assert n <= report.applied <= n + 1, report.applied
        desk.dispose()
        rounds.append((sync_s, raw_pull(bench, n)))
    return rounds


def raw_pull(bench: Bench, n: int) -> float:
    target = bench.folder / f"raw-{uuid.uuid4().hex[:6]}.db"
    target.write_bytes(bench.template.read_bytes())
    lite = sqlite3.connect(target)
    lite.execute("PRAGMA journal_mode=WAL")
    lite.execute("PRAGMA synchronous=NORMAL")
    lite.execute("PRAGMA foreign_keys=OFF")  # the raw copy skips the member row
    cols = ", ".join(VISIT_COLUMNS)
    t0 = time.perf_counter()
    with psycopg.connect(bench.dsn) as conn, conn.cursor() as cur:
        rows: list[tuple[Any, ...]] = []
        with cur.copy(f"COPY (SELECT {cols} FROM visits LIMIT {n}) TO STDOUT") as copy:
            for row in copy.rows():
                rows.append(tuple(r.replace("-", "") if i < 2 else r for i, r in enumerate(row)))
                if len(rows) == 2000:
                    _lite_insert(lite, cols, rows)
                    rows = []
        if rows:
            _lite_insert(lite, cols, rows)
    raw_s = time.perf_counter() - t0
    lite.close()
    return raw_s


def _lite_insert(lite: sqlite3.Connection, cols: str, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" * len(VISIT_COLUMNS))
    lite.executemany(f"INSERT INTO visits ({cols}) VALUES ({marks})", rows)
    lite.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--push", type=int, default=10_000)
    parser.add_argument("--pull", type=int, default=100_000)
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL")
    parser.add_argument("--repeat", type=int, default=5,
                        help="interleaved sync/raw rounds; the median ratio counts (default 5)")
    args = parser.parse_args()
    push: Rounds = []
    pull: Rounds = []
    with tempfile.TemporaryDirectory() as folder:
        # Each side on its own fresh centre: pulling from the push run's database would
        # also pull the pushed visits, many more records than the raw copy moves.
        for run, n in (("push", args.push), ("pull", args.pull)):
            if not n:  # --push 0 / --pull 0: that side is not run
                continue
            bench = Bench(args.server, Path(folder) / run)
            try:
                if run == "push":
                    push = bench_push(bench, n, args.repeat)
                else:
                    pull = bench_pull(bench, n, args.repeat)
            finally:
                bench.drop()
    rows = []
    if push:
        rows += [result_row("push", args.push, push),
                 result_row("push vs raw COPY", args.push,
                            [(sync_s, copy_s) for (sync_s, _), copy_s
                             in zip(push, COPY_PUSH_S, strict=True)], verdict=False)]
    if pull:
        rows.append(result_row("pull", args.pull, pull))
    print(machine())
    print(table(["", "records", "sync s (median)", "records/s", "raw s (median)",
                 "ratio median (min–max)", "target ≤ 3"], rows))


def result_row(label: str, n: int, rounds: Rounds, verdict: bool = True) -> list[str]:
    sync_s = statistics.median(s for s, _ in rounds)
    raw_s = statistics.median(r for _, r in rounds)
    ratios = [s / r for s, r in rounds]
    ratio = statistics.median(ratios)
    judged = ("ok" if ratio <= TARGET_RATIO else f"> {TARGET_RATIO}") if verdict else "(ref.)"
    return [label, f"{n:,}", f"{sync_s:.2f}", f"{n / sync_s:,.0f}", f"{raw_s:.2f}",
            f"{ratio:.2f} ({min(ratios):.2f}–{max(ratios):.2f})", judged]


if __name__ == "__main__":
    main()

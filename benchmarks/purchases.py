"""POS purchase import and re-tiering:
`python -m benchmarks.purchases [--members 10000] [--rows 100000] [--profile]`.

Builds a desk with `--members` members (the member CSV import's first load, as a chain
loads its members; kept in `benchmarks/data/` and copied for each run, since a million
takes minutes), writes a POS export of `--rows` purchases over the last two years
(members named by phone, card or member number in turn; 0.5% rows naming an unknown
card; amounts ¥500–¥150,000, so a purchase in the last year often earns a tier), then
measures, each in a fresh child process (its own peak RSS) on its own copy of the desk:

- the import (`vipdesk.services.purchases`: checks, points, outbox, re-tier once per
  member with new purchases), then the same file again (every row unchanged);
- the daily pass a year later (every member whose purchases left the window moves);
- the baselines in stdlib sqlite3 (`benchmarks/purchases_raw.py`): executemany of the
  very rows and ops the import wrote, and the same pass as SQL alone.

Each figure comes with wall time, CPU time (the child's user + system), peak RSS and the
load average before and after: the machine is shared, so wall time alone says little.
`--profile` prints the import's and the pass's top functions by cProfile.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import DATA, machine

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
YEAR_ON = NOW + timedelta(days=365)
ITEMS = ("手袋", "丝巾", "腕表", "皮鞋", "香水", "大衣", "钱包", "项链")


def write_members(path: Path, members: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("会员号,姓名,手机,卡号\r\n")
        for i in range(members):
            fh.write(f"P{i:07d},会员{i},139{i:08d},66{i:010d}\r\n")


def write_purchases(path: Path, rows: int, members: int, seed: int = 5) -> int:
    """The export; returns how many rows name nobody (the expected rejections)."""
    rng = random.Random(seed)
    bad = 0
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
            at = (NOW - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))).strftime(
                "%Y-%m-%dT%H:%M:%S+00:00")
            cents = rng.randrange(500, 150_000) * 100
            fh.write(f"{who[0]},{who[1]},{who[2]},{at},{cents / 100:.2f},"
                     f"{rng.choice(ITEMS)},SH01,R{i:08d}\r\n")
    return bad


# -- the desk ---------------------------------------------------------------------------


def member_desk(members: int, folder: Path) -> tuple[Path, dict[str, Any]]:
    """The desk with its members, built once per size (its build facts kept beside it
    in a .json; the build is setup, not measured work); returns it and the facts."""
    cached = DATA / f"purchases-desk-{members}.db"
    facts_file = cached.with_suffix(".json")
    if cached.exists():
        facts = json.loads(facts_file.read_text()) if facts_file.exists() else {}
        return cached, {**facts, "reused": True}
    DATA.mkdir(parents=True, exist_ok=True)
    built = _in_child(_build_desk, cached, folder / "members.csv", members)
    facts = {"seconds": round(built["wall"], 1), "cpu": round(built["cpu"], 1),
             "load": built["load"], "built_at": time.strftime("%Y-%m-%d %H:%M")}
    facts_file.write_text(json.dumps(facts))
    return cached, facts


def _build_desk(path: Path, members_csv: Path, members: int) -> dict[str, Any]:
    from vipdesk.db import open_desk_db, session_factory, unit_of_work
    from vipdesk.models import Store
    from vipdesk.services import auth
    from vipdesk.services.importer import import_members
    from vipdesk.services.tiers import seed_default_tiers

    engine = open_desk_db(path)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        seed_default_tiers(session)
        session.add(Store(code="SH01", name="上海一店"))
    write_members(members_csv, members)
    wall, cpu = time.perf_counter(), time.process_time()
    report = import_members(factory, members_csv, auth.SYSTEM)
    engine.dispose()
    return {"imported": report.imported_count, "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu}


def copy_desk(source: Path, dest: Path) -> None:
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{dest}{suffix}")


# -- the measured work, each in a child --------------------------------------------------


def _import(db: Path, pos: Path, profile: bool) -> dict[str, Any]:
    from vipdesk.db import open_desk_db, session_factory
    from vipdesk.services import auth
    from vipdesk.services.clock import FixedClock
    from vipdesk.services.purchases import import_purchases

    engine = open_desk_db(db)
    factory = session_factory(engine)
    with engine.connect() as conn:
        since = conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM sync_outbox").scalar()
    report, timing = _measured(profile, import_purchases, factory, pos, auth.SYSTEM, "SH01",
                               clock=FixedClock(NOW))
    engine.dispose()
    return {"rows": report.rows, "imported": report.imported, "unchanged": report.unchanged,
            "rejected": len(report.rejected), "members": report.members,
            "moved": sum(report.tier_moves.values()), "since": since, **timing}


def _pass(db: Path, profile: bool) -> dict[str, Any]:
    from vipdesk.db import open_desk_db, session_factory, unit_of_work
    from vipdesk.services.tiers import daily_pass, load_tier_table

    engine = open_desk_db(db)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        table = load_tier_table(session)
        report, timing = _measured(profile, daily_pass, session, table, YEAR_ON)
    engine.dispose()  # the commit is in the timing: it is part of the pass
    return {"members": report.members, "moved": report.moved, **timing}


def _measured(profile: bool, fn: Any, *args: Any, **kwargs: Any
              ) -> tuple[Any, dict[str, float]]:
    """`fn`'s result and its wall and CPU seconds; under cProfile when asked (the top 25
    by own time printed)."""
    wall, cpu = time.perf_counter(), time.process_time()
    if not profile:
        result = fn(*args, **kwargs)
    else:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(fn, *args, **kwargs)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return result, {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def _raw_import(imported: Path, target: Path, since: int) -> dict[str, Any]:
    from benchmarks.purchases_raw import raw_import

    return raw_import(imported, target, since)


def _raw_pass(db: Path) -> dict[str, Any]:
    from benchmarks.purchases_raw import raw_pass

    ladder = [(20_000_000, "black"), (10_000_000, "diamond"), (5_000_000, "senior")]
    return raw_pass(db, YEAR_ON, ladder)


def _child(out: Any, fn: Any, args: tuple[Any, ...]) -> None:
    import resource

    load = os.getloadavg()[0]
    out.update(fn(*args))
    out.update(rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               load=(load, os.getloadavg()[0]))


def _in_child(fn: Any, *args: Any) -> dict[str, Any]:
    """`fn(*args)` in a fresh interpreter: what it returns (its measured part's wall and
    CPU seconds among it), the process's peak RSS, the load average before and after."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        out = manager.dict()
        child = context.Process(target=_child, args=(out, fn, args))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"{fn.__name__} failed (exit {child.exitcode})")
        return dict(out)


# -- the run ---------------------------------------------------------------------------


def _line(name: str, m: dict[str, Any], what: str) -> str:
    return (f"{name}: {m['wall']:,.1f} s wall, {m['cpu']:,.1f} s CPU, peak RSS "
            f"{m['rss_mib']:,.0f} MiB, load {m['load'][0]:.1f} → {m['load'][1]:.1f}; {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        folder = Path(tmp)
        cached, built = member_desk(args.members, folder)
        how = "reused, " if built.get("reused") else ""
        load = " → ".join(f"{x:.1f}" for x in built.get("load", ()))
        print(f"setup: desk with {args.members:,} members ({how}built by the member CSV "
              f"first load in {built.get('seconds', '?')} s wall, {built.get('cpu', '?')} s "
              f"CPU, load {load or '?'})")
        started = time.perf_counter()
        bad = write_purchases(folder / "pos.csv", args.rows, args.members)
        print(f"setup: POS export of {args.rows:,} rows written in "
              f"{time.perf_counter() - started:,.1f} s")
        run(args, folder, cached, bad)


def run(args: argparse.Namespace, folder: Path, cached: Path, bad: int) -> None:
    desk, pos = folder / "desk.db", folder / "pos.csv"
    copy_desk(cached, desk)
    first = _in_child(_import, desk, pos, args.profile)
    print(_line("import", first, f"{first['rows']:,} rows = "
                f"{first['rows'] / first['wall']:,.0f} rows/s; imported {first['imported']:,}, "
                f"rejected {first['rejected']:,} (expected {bad:,}); {first['members']:,} "
                f"members re-tiered, {first['moved']:,} moved"))
    again = _in_child(_import, desk, pos, False)
    print(_line("re-import", again, f"{again['rows'] / again['wall']:,.0f} rows/s; "
                f"unchanged {again['unchanged']:,}, imported {again['imported']:,}"))
    raw_target = folder / "raw-import.db"
    copy_desk(cached, raw_target)
    raw = _in_child(_raw_import, desk, raw_target, first["since"])
    raw_target.unlink()
    print(_line("raw sqlite3 executemany of the import's rows and ops", raw,
                f"{raw['rows']:,} rows; the import takes {first['wall'] / raw['wall']:,.1f}× its "
                f"wall time, {first['cpu'] / raw['cpu']:,.1f}× its CPU time"))
    raw_desk = folder / "raw-pass.db"
    copy_desk(desk, raw_desk)
    passed = _in_child(_pass, desk, args.profile)
    print(_line("daily pass a year on", passed, f"{passed['members']:,} members, "
                f"{passed['moved']:,} moved"))
    raw_pass = _in_child(_raw_pass, raw_desk)
    print(_line("raw SQL pass", raw_pass, f"{raw_pass['moved']:,} moved; the pass takes "
                f"{passed['wall'] / raw_pass['wall']:,.1f}× its wall time, "
                f"{passed['cpu'] / raw_pass['cpu']:,.1f}× its CPU time"))
    assert first["rejected"] == bad and again["imported"] == 0
    assert raw_pass["moved"] == passed["moved"]


if __name__ == "__main__":
    main()

"""Member lookup on a 1,000,000-member desk: the service against raw sqlite3.

    python -m benchmarks.lookup [--db benchmarks/data/demo-1m.db] [--queries 2000]

For every query kind (exact phone typed with spaces, card, member number, last 4
digits, a Chinese name substring, pinyin initials, a Latin name, a rare name that
matches nothing) it samples many distinct real queries from the database, then times
`LookupService.search` and the same statements on a stdlib `sqlite3` connection to the
same file (same SQL text, so the same indexes), interleaved in one run. Prints median
and p99 in microseconds and the service/raw ratio of medians, as a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from benchmarks.common import (
    DEMO_1M,
    ensure_demo,
    machine,
    open_raw,
    stats,
    table,
    time_each,
    time_each_with_cpu,
)
from vipdesk.db import open_desk_db
from vipdesk.models import Member
from vipdesk.services import lookup as lk
from vipdesk.services.lookup import LookupService
from vipdesk.services.names import pinyin_initials, query_term

TARGET_P99_US = {"phone": 2000, "card": 2000, "member_no": 2000}
NAME_P99_US = 30_000
RARE = "龘靐齉爩鱻麤龗灪"


@dataclass
class Kind:
    name: str
    queries: list[str]  # what staff type
    raw_args: list[Any]  # what the raw baseline binds (already normalised)
    raw: Callable[[sqlite3.Connection, Any], object]


def compiled(engine: Engine, statement: Any) -> lk.CompiledSql:
    """The SQL text the service sends for a statement, with its positional parameters."""
    return lk.CompiledSql.of(statement, engine.dialect)


def sample(raw: sqlite3.Connection, query: str, n: int, rng: random.Random) -> list[Any]:
    """n rows of `query` (which selects by rowid between ? and ?) from random places."""
    top = raw.execute("SELECT max(rowid) FROM members").fetchone()[0]
    out: list[Any] = []
    while len(out) < n:
        start = rng.randrange(1, top)
        out += raw.execute(query, (start, start + 40)).fetchall()[:3]
    rng.shuffle(out)
    return out[:n]


def spaced(e164: str) -> str:
    """`+8613800138000` → `138 0013 8000`, the way a number is read out at the desk."""
    national = e164[3:] if e164.startswith("+86") else e164
    return f"{national[:3]} {national[3:7]} {national[7:]}" if len(national) == 11 else e164


def build_kinds(engine: Engine, raw: sqlite3.Connection, n: int, seed: int) -> list[Kind]:
    rng = random.Random(seed)
    phones = [r[0] for r in sample(raw, "SELECT p.e164 FROM members m JOIN member_phones p "
                                   "ON p.member_id = m.id WHERE m.rowid BETWEEN ? AND ?", n, rng)]
    cards = [r[0] for r in sample(raw, "SELECT c.card_no FROM members m JOIN member_cards c "
                                  "ON c.member_id = m.id WHERE m.rowid BETWEEN ? AND ?", n, rng)]
    numbers = [r[0] for r in sample(raw, "SELECT member_no FROM members "
                                    "WHERE rowid BETWEEN ? AND ?", n, rng)]
    names = sample(raw, "SELECT name_zh, name_latin FROM members WHERE rowid BETWEEN ? AND ?",
                   n * 3, rng)
    zh = [z for z, _ in names if z][:n]
    latin = [word for _, la in names if la for word in la.split()[-1:]][:n]
    substrings = [z[1:] if len(z) > 2 else z for z in zh]  # the given name: 小明 for 王小明
    initials = [pinyin_initials(z) for z in zh]
    rare = ["".join(rng.sample(RARE, 3)) for _ in range(n)]

    def one(statement: Any, key: str) -> Callable[[sqlite3.Connection, Any], object]:
        c = compiled(engine, statement)
        return lambda conn, arg: conn.execute(c.text, c.params({key: arg})).fetchall()

    name_raw = raw_names(engine)
    return [
        Kind("phone", [spaced(p) for p in phones], phones, one(lk.BY_PHONE, "e164")),
        Kind("card", cards, cards, one(lk.BY_CARD, "code")),
        Kind("member_no", numbers, numbers, one(lk.BY_MEMBER_NO, "code")),
        Kind("last-4", [p[-4:] for p in phones], [p[-4:] for p in phones],
             one(lk.BY_SUFFIX, "suffix")),
        Kind("name (zh substring)", substrings, [query_term(s) for s in substrings], name_raw),
        Kind("pinyin initials", initials, initials, name_raw),
        Kind("latin name", latin, [query_term(w) for w in latin], name_raw),
        Kind("rare name (no match)", rare, [query_term(r) for r in rare], name_raw),
    ]


def raw_names(engine: Engine) -> Callable[[sqlite3.Connection, Any], object]:
    """The name path's two statements: the term range scan, then the members by id."""
    terms = compiled(engine, lk.TERMS)
    columns = compiled(engine, select(*lk._HIT_COLUMNS).where(Member.erased_at.is_(None)))

    def run(conn: sqlite3.Connection, term: str) -> object:
        found = conn.execute(terms.text, terms.params({"lo": term, "hi": term + lk._TOP}))
        ids = list(dict.fromkeys(r[0] for r in found.fetchall()[: lk.CANDIDATE_LIMIT]))
        if not ids:
            return []
        sql = f"{columns.text} AND members.id IN ({','.join('?' * len(ids))})"
        return conn.execute(sql, columns.params({}) + tuple(ids)).fetchall()

    return run


def measure(service: LookupService, raw: sqlite3.Connection, kind: Kind,
            rounds: int = 2) -> tuple[list[int], list[int], list[int], int]:
    """Service and raw timings of the same queries, warm, interleaved chunk by chunk.

    One unmeasured pass first reads every page both will touch (otherwise whichever runs
    a query first pays the disk read and the other looks fast); then each 100-query chunk
    runs on both sides, the side going first alternating from chunk to chunk.
    """
    svc: list[int] = []
    svc_cpu: list[int] = []
    base: list[int] = []

    def run_raw(arg: Any) -> object:
        return kind.raw(raw, arg)

    for query, arg in zip(kind.queries, kind.raw_args, strict=True):
        service.search(query)
        run_raw(arg)
    for _ in range(rounds):
        for n, start in enumerate(range(0, len(kind.queries), 100)):
            chunk = slice(start, start + 100)
            if n % 2:
                base += time_each(run_raw, kind.raw_args[chunk])
            wall, cpu = time_each_with_cpu(service.search, kind.queries[chunk])
            svc += wall
            svc_cpu += cpu
            if not n % 2:
                base += time_each(run_raw, kind.raw_args[chunk])
    hits = sum(1 for q in kind.queries[:200] if service.search(q).hits)
    return svc, svc_cpu, base, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEMO_1M)
    parser.add_argument("--queries", type=int, default=2000, help="distinct queries per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", help="measure only the query kinds containing this word")
    args = parser.parse_args()
    if args.db == DEMO_1M:
        facts = ensure_demo()
        print(f"demo db: {facts['members']:,} members, {facts['size_bytes'] / 2**20:,.0f} MiB, "
              f"built in {facts['build_seconds']:,.0f} s")
    engine = open_desk_db(args.db, migrate=False)
    service = LookupService(engine)
    raw = open_raw(args.db)
    print(f"machine: {machine()}")
    rows = []
    for kind in build_kinds(engine, raw, args.queries, args.seed):
        if args.only and args.only not in kind.name:
            continue
        svc, svc_cpu, base, hits = measure(service, raw, kind)
        s, c, b = stats(svc), stats(svc_cpu), stats(base)
        target = TARGET_P99_US.get(kind.name, NAME_P99_US)
        verdict = ("ok" if s.p99_us <= target else
                   "ok in CPU time (wall p99: preempted)" if c.p99_us <= target else
                   f"MISS (p99 > {target:,} µs)")
        rows.append([kind.name, len(set(kind.queries)), f"{s.median_us:,.0f}",
                     f"{s.p99_us:,.0f}", f"{c.p99_us:,.0f}", f"{b.median_us:,.1f}",
                     f"{b.p99_us:,.0f}", f"{s.median_us / b.median_us:,.1f}×", f"{hits}/200",
                     verdict])
        print(f"  {kind.name}: median {s.median_us:,.0f} µs, p99 {s.p99_us:,.0f} µs", flush=True)
    print()
    print(table(["query", "distinct", "median µs", "p99 µs", "p99 CPU µs", "raw median µs",
                 "raw p99 µs", "ratio (median)", "found", "target"], rows))


if __name__ == "__main__":
    main()

"""The baselines of `benchmarks.purchases`, in stdlib sqlite3 on copies of the same desk.

- Import: the very rows the import wrote (purchases, points, tier changes, the members'
  new tier and spend, and every outbox op), read back from the imported desk and written
  with `executemany` into a copy of the desk as it was before the import, 5,000 rows a
  transaction as the import commits. Only the writes are timed.
- Re-tier: the same daily pass as SQL alone on a copy of the imported desk: trailing spend
  aggregated per member, the cached spend rewritten where it moved, one tier change
  inserted per mover and the movers' tier set by the same CASE ladder, in one
  transaction. No outbox ops (the pass writes three rows a mover; this writes two).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

BATCH = 5000
# The import's writes by table: (SELECT on the imported desk, statement on the copy).
IMPORT_WRITES = (
    ("SELECT * FROM purchases", "purchases"),
    ("SELECT * FROM points_entries", "points_entries"),
    ("SELECT * FROM tier_changes WHERE reason LIKE 'purchase:%'", "tier_changes"),
    ("SELECT * FROM sync_outbox WHERE seq > ?", "sync_outbox"),
)


def _desk_pragmas(conn: sqlite3.Connection) -> None:
    """The desk's own (vipdesk.db): WAL, NORMAL sync, a 64 MiB page cache, foreign keys."""
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536",
                   "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]
          ) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
    cursor = conn.execute(sql, params)
    columns = [c[0] for c in cursor.description]
    while chunk := cursor.fetchmany(BATCH):
        yield columns, chunk


def raw_import(imported: Path, target: Path, since_seq: int) -> dict[str, Any]:
    """Wall and CPU seconds of executemany for the rows the import wrote (see the
    module's text)."""
    source = sqlite3.connect(imported)
    dest = sqlite3.connect(target, isolation_level=None)
    _desk_pragmas(dest)
    timing = {"wall": 0.0, "cpu": 0.0, "rows": 0}
    for select, table in IMPORT_WRITES:
        params = (since_seq,) if "?" in select else ()
        for columns, chunk in _rows(source, select, params):
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            _timed_batch(dest, sql, chunk, timing)
    members = "SELECT tier_code, spend_12m_cents, id FROM members WHERE spend_12m_cents != 0"
    for _columns, chunk in _rows(source, members, ()):
        _timed_batch(dest, "UPDATE members SET tier_code = ?, spend_12m_cents = ? "
                     "WHERE id = ?", chunk, timing)
    source.close()
    dest.close()
    return timing


def _timed_batch(conn: sqlite3.Connection, sql: str, chunk: list[tuple[Any, ...]],
                 timing: dict[str, Any]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(sql, chunk)
    conn.execute("COMMIT")
    timing["wall"] += time.perf_counter() - wall
    timing["cpu"] += time.process_time() - cpu
    timing["rows"] += len(chunk)


def raw_pass(desk: Path, as_of: datetime, ladder: list[tuple[int, str]]) -> dict[str, Any]:
    """The daily pass in SQL alone; its wall and CPU seconds and movers."""
    conn = sqlite3.connect(desk, isolation_level=None)
    _desk_pragmas(conn)
    start = (as_of - timedelta(days=365)).strftime("%Y-%m-%d %H:%M:%S.%f")
    end = as_of.strftime("%Y-%m-%d %H:%M:%S.%f")
    computed = "CASE " + " ".join(f"WHEN spend_12m_cents >= {cents} THEN '{code}'"
                                  for cents, code in ladder) + " ELSE NULL END"
    movers = ("erased_at IS NULL AND tier_override_code IS NULL "
              f"AND ({computed}) IS NOT tier_code")
    spend = "coalesce((SELECT spend FROM spend s WHERE s.member_id = members.id), 0)"
    wall, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("CREATE TEMP TABLE spend (member_id TEXT PRIMARY KEY, spend INTEGER) "
                 "WITHOUT ROWID")
    conn.execute("INSERT INTO spend SELECT member_id, sum(amount_cents) FROM purchases "
                 "WHERE occurred_at > ? AND occurred_at <= ? GROUP BY member_id", (start, end))
    conn.execute(f"UPDATE members SET spend_12m_cents = {spend} "
                 f"WHERE spend_12m_cents != {spend}")
    moved = conn.execute(
        "INSERT INTO tier_changes (id, member_id, from_tier, to_tier, kind, reason, "
        "created_by, created_at) SELECT lower(hex(randomblob(16))), id, tier_code, "
        f"{computed}, 'auto', 'lapse: 12m spend ¥' || (spend_12m_cents / 100), NULL, ? "
        f"FROM members WHERE {movers}", (end,)).rowcount
    conn.execute(f"UPDATE members SET tier_code = {computed} WHERE {movers}")
    conn.execute("COMMIT")
    timing = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
    conn.close()
    return {"moved": moved, **timing}

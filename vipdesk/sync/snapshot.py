"""Retention of the centre's change log and the snapshot a desk rebuilds from when its
cursor is older than what the log still holds (the horizon).

Centre side (PostgreSQL): `trim` marks the pullable head now and deletes the log up to
the newest mark older than the retention; `read_snapshot` copies every synced table
under one REPEATABLE READ snapshot (binary COPY) as insert changes, after a header with
the cursor to continue the log from. Desk side: `rebuild` applies them through the
ordinary pull path (an existing row is refreshed to the centre's values) and only then
moves the cursor, so an interrupted rebuild starts over instead of leaving a gap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, text

from vipdesk.models import utcnow
from vipdesk.outbox import state, tables
from vipdesk.outbox.hlc import HybridClock, Stamp
from vipdesk.outbox.ops import INSERT, Change

# Continue the log from every transaction the snapshot may not have seen: those at or
# above its xmin. Ones it did see come again; applying a change twice is harmless
# (inserts of present rows are reconciled, updates set the same values).
LAST_SEQ = 2**63 - 1


class BehindHorizon(Exception):
    """The desk's cursor is older than the trimmed change log: rebuild from a snapshot."""

    def __init__(self, horizon: tuple[int, int]) -> None:
        super().__init__(f"this desk is behind the centre's change-log horizon "
                         f"{horizon[0]}:{horizon[1]}; it rebuilds from a snapshot")
        self.horizon = horizon


@dataclass(frozen=True)
class SnapshotHead:
    cursor: tuple[int, int]
    hlc: str  # the newest field stamp: the desk's clock moves past it


def horizon(conn: Connection) -> tuple[int, int] | None:
    row = conn.execute(text("SELECT txid, seq FROM sync_log_marks WHERE trimmed_at IS NOT"
                            " NULL ORDER BY id DESC LIMIT 1")).first()
    return (int(row[0]), int(row[1])) if row else None


def check_horizon(conn: Connection, cursor: tuple[int, int]) -> None:
    edge = horizon(conn)
    if edge is not None and cursor < edge:
        raise BehindHorizon(edge)


def trim(engine: Engine, keep: timedelta) -> dict[str, Any]:
    """Mark the pullable head now; delete the log up to the newest mark older than
    `keep` (run it daily: with `keep` = 0 it trims up to now)."""
    with engine.begin() as conn:
        head = conn.execute(text(
            "SELECT txid::text::bigint, seq FROM sync_change_log"
            " WHERE txid < pg_snapshot_xmin(pg_current_snapshot())"
            " ORDER BY txid DESC, seq DESC LIMIT 1")).first()
        if head is not None:
            conn.execute(text("INSERT INTO sync_log_marks (taken_at, txid, seq)"
                              " VALUES (:at, :txid, :seq)"),
                         {"at": utcnow(), "txid": head[0], "seq": head[1]})
        mark = conn.execute(text(
            "SELECT id, txid, seq FROM sync_log_marks WHERE taken_at <= :before"
            " ORDER BY id DESC LIMIT 1"), {"before": utcnow() - keep}).first()
        if mark is None:
            return {"trimmed": 0, "horizon": None}
        deleted = conn.execute(text(
            "DELETE FROM sync_change_log WHERE (txid, seq) <= (CAST(:txid AS text)::xid8,"
            " :seq)"), {"txid": str(mark.txid), "seq": mark.seq}).rowcount
        conn.execute(text("UPDATE sync_log_marks SET trimmed_at = :at WHERE id = :id"),
                     {"at": utcnow(), "id": mark.id})
        conn.execute(text("DELETE FROM sync_log_marks WHERE id < :id"), {"id": mark.id})
    return {"trimmed": int(deleted or 0), "horizon": f"{mark.txid}:{mark.seq}"}


@contextmanager
def consistent_view(engine: Engine) -> Iterator[tuple[SnapshotHead, Connection]]:
    """One read-only REPEATABLE READ transaction at the centre, and the cursor a desk
    holding exactly what it sees continues the log from."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # The first statement fixes the snapshot; a read-only transaction gets no
            # transaction id, so it does not hold back the other desks' pull watermark.
            conn.execute(text("SET TRANSACTION READ ONLY"))
            xmin, hlc = conn.execute(text(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
                " (SELECT max(hlc) FROM sync_field_stamps)")).one()
            yield SnapshotHead((int(xmin) - 1, LAST_SEQ), hlc or ""), conn


def tables_parents_first() -> list[str]:
    return sorted(tables.synced_tables(), key=tables.dependency_rank)


def read_snapshot(engine: Engine) -> Iterator[Any]:
    """The `SnapshotHead`, then (0, 0, "insert", table, id, payload text, "") rows —
    the change-log row shape — for every synced table, parents first."""
    with consistent_view(engine) as (head, conn):
        yield head
        for name in tables_parents_first():
            for row in copy_rows(conn, name):
                payload = json.dumps({"row": row}, ensure_ascii=False, sort_keys=True)
                yield (0, 0, INSERT, name, row["id"], payload, "")


def copy_rows(conn: Connection, name: str) -> Iterator[dict[str, Any]]:
    """Every row of a synced table in wire form, by binary COPY."""
    columns = [c.name for c in tables.synced_columns(name)]
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(f'SELECT {names} FROM "{name}" LIMIT 0')
        types = [d.type_code for d in cur.description]
        with cur.copy(f'COPY (SELECT {names} FROM "{name}") TO STDOUT (FORMAT BINARY)') \
                as copy:
            copy.set_types(types)
            for values in copy.rows():
                yield tables.encode_row(name, dict(zip(columns, values, strict=True)))


def rebuild(desk: Engine, head: SnapshotHead, changes: Iterable[Change],
            batch: int = 2000) -> int | None:
    """Apply a snapshot; returns how many rows it held, or None when a local change
    came first (push it, then pull again: the cursor was not moved)."""
    from vipdesk.sync.pull import apply_changes

    total = 0
    stream = iter(changes)
    while chunk := list(islice(stream, batch)):
        if apply_changes(desk, chunk) is None:
            return None
        total += len(chunk)
    with desk.begin() as conn:
        if head.hlc:
            clock = HybridClock(state.node(conn), state.last_stamp(conn))
            clock.observe(Stamp.parse(head.hlc))
            state.save_stamp(conn, clock.last)
        state.save_cursor(conn, head.cursor)
    return total

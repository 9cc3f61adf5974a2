"""Outbox ops for rows written with the DB-API's executemany (the bulk paths of the
purchase import and of re-tiering): the ops the capture would have written for the same
rows, stamped by the desk's hybrid logical clock, in one statement.

The caller builds each op's payload as the capture does (`tables.encode_row` for an
insert, `{"set": …, "base": …}` for an update) and hands the ops over in the order the
capture would have sorted them (inserts parents first, then updates).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from vipdesk.outbox import state as sync_state
from vipdesk.outbox.capture import NO_CAPTURE, physical_clock
from vipdesk.outbox.hlc import HybridClock
from vipdesk.outbox.ops import PROTOCOL

OUTBOX_COLUMNS = ("op_id", "kind", "table_name", "record_id", "payload", "hlc", "protocol",
                  "created_at")
# kind, table, record id (32 hex digits, as stored), payload (canonical JSON)
BulkOp = tuple[str, str, str, str]


class Ids:
    """UUIDv7 for bulk rows and ops, as the 32 hex digits SQLAlchemy stores and the
    dashed form payloads carry, from one urandom call per batch (a uuid.UUID object
    costs ~2 µs, and a million-row import makes three ids a row)."""

    def __init__(self, count: int) -> None:
        self.hex = os.urandom(10 * count).hex()  # 20 digits an id, 19 of them used
        self.used = 0
        ms = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
        self.prefix = f"{ms:012x}7"  # 48-bit milliseconds, version 7
        self.dashed = f"{ms:012x}"[:8] + "-" + f"{ms:012x}"[8:] + "-7"

    def v7(self) -> tuple[str, str]:
        """(hex, dashed), by string slicing: 12 random bits, the variant digit (10xx, two
        random bits), 60 random bits."""
        at = self.used * 20
        self.used += 1
        r = self.hex
        a, v, b, c = r[at:at + 3], _VARIANT[r[at + 3]], r[at + 4:at + 7], r[at + 7:at + 19]
        return f"{self.prefix}{a}{v}{b}{c}", f"{self.dashed}{a}-{v}{b}-{c}"

    def hexes(self, count: int) -> list[str]:
        """`count` ids in the stored form only (outbox op ids)."""
        start = self.used * 20
        self.used += count
        r, p, var = self.hex, self.prefix, _VARIANT
        return [f"{p}{r[at:at + 3]}{var[r[at + 3]]}{r[at + 4:at + 19]}"
                for at in range(start, start + 20 * count, 20)]


_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def insert_sql(table: str, columns: Sequence[str]) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


def canonical(payload: dict[str, Any]) -> str:
    """`tables.canonical` (sorted keys, compact, UTF-8 as is), by orjson: bulk payloads
    hold only strings, ints, booleans and nulls, which both write alike."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()


def write_ops(conn: Connection, ops: Sequence[BulkOp], ids: Ids, created_at: str) -> None:
    """Append the ops to the outbox, each with the next HLC stamp of this desk and an op
    id from `ids`. `created_at` is the stored form of the time they were written."""
    if not ops:
        return
    clock = HybridClock(sync_state.node(conn), sync_state.last_stamp(conn),
                        physical_clock(conn.engine))
    rows = [(op_id, kind, table, record, payload, stamp, PROTOCOL, created_at)
            for op_id, stamp, (kind, table, record, payload) in zip(
                ids.hexes(len(ops)), clock.ticks(len(ops)), ops, strict=True)]
    conn.exec_driver_sql(insert_sql("sync_outbox", OUTBOX_COLUMNS), rows)
    sync_state.save_stamp(conn, clock.last)


def captures(session: Session) -> bool:
    """Whether the capture would record this session's writes (a desk's database, and
    not a session applying pulled changes): what bulk writers ask before adding ops."""
    if session.info.get(NO_CAPTURE):
        return False
    found = session.connection().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sync_outbox'").first()
    return found is not None

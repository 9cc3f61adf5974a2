"""Writing a batch of imported purchases with the DBAPI's executemany: each purchase, the
points it earns, and both rows' outbox ops, in the caller's transaction.

The rows are the ones the ORM path wrote (a `Purchase` and an `earn` `PointsEntry`
pointing back to it, then the capture's insert ops, points before purchases as the
tables' dependency order sorts them); `tests/services/test_purchase_bulk.py` compares
the two row by row. It exists because the ORM path cost ~1.2 ms a purchase (unit of
work, capture) and a POS history is millions of receipts. The statements go through
SQLAlchemy's connection, so the change stream sees the tables they write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from vipdesk.outbox.bulk import BulkOp, Ids, canonical, insert_sql, write_ops
from vipdesk.outbox.ops import INSERT
from vipdesk.outbox.tables import dependency_rank

PURCHASE_COLUMNS = ("id", "member_id", "store_id", "occurred_at", "amount_cents",
                    "description", "delivered_at", "receipt_no", "created_at")
POINTS_COLUMNS = ("id", "member_id", "delta", "kind", "reason", "ref_id", "created_by",
                  "created_at")
_TABLE_ORDER = sorted(("purchases", "points_entries"), key=dependency_rank)
# A file this large is written in one transaction with the tables' secondary indexes
# built after the rows (`indexes_built_after`), when it is also large beside the desk's
# purchases: rebuilding sorts every entry once, while updating an index keyed by member
# or time costs a random page per row (and a page written per row at each commit).
LARGE_FILE_ROWS = 200_000
REBUILT_TABLES = ("purchases", "points_entries")


@dataclass(frozen=True)
class PurchaseToWrite:
    member_id: str  # 32 hex digits, as stored
    store_id: str
    store_code: str
    occurred_at: datetime  # UTC
    occurred_db: str  # as stored (what the receipt check compares)
    amount_cents: int
    description: str | None
    receipt_no: str
    points: int


def dashed(hex_id: str) -> str:
    """A stored id (32 hex digits) as payloads write it."""
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def stored_datetime(at: datetime) -> str:
    """A UTC time as SQLAlchemy's SQLite DATETIME stores it (`2026-11-20 07:30:00.000000`:
    the text the window's comparisons run on), formatted directly: the column type's
    processors cost ~5 µs a value, a tenth of a row's whole budget."""
    u = at.astimezone(UTC)
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d} {u.hour:02d}:{u.minute:02d}:"
            f"{u.second:02d}.{u.microsecond:06d}")


class PurchaseWriter:
    """One per batch transaction: `write(purchases)` inserts what the ORM path did."""

    def __init__(self, conn: Connection, capture: bool) -> None:
        self.conn = conn
        self.capture = capture
        now = datetime.now(UTC)
        self.now_db = stored_datetime(now)
        self.now_wire = now.isoformat()

    def write(self, batch: list[PurchaseToWrite]) -> None:
        ids = Ids(count=4 * len(batch))  # two rows and two ops each
        purchases: list[tuple[Any, ...]] = []
        points: list[tuple[Any, ...]] = []
        ops: dict[str, list[BulkOp]] = {"purchases": [], "points_entries": []}
        for item in batch:
            purchase_hex, purchase_wire = ids.v7()
            purchases.append((purchase_hex, item.member_id, item.store_id, item.occurred_db,
                              item.amount_cents, item.description, None, item.receipt_no,
                              self.now_db))
            if self.capture:
                ops["purchases"].append(self._purchase_op(item, purchase_hex, purchase_wire))
            if item.points:
                points_hex, points_wire = ids.v7()
                reason = f"purchase {item.store_code}/{item.receipt_no}"
                points.append((points_hex, item.member_id, item.points, "earn", reason,
                               purchase_hex, None, self.now_db))
                if self.capture:
                    ops["points_entries"].append(self._points_op(
                        item, points_hex, points_wire, reason, purchase_wire))
        run = self.conn.exec_driver_sql
        run(insert_sql("purchases", PURCHASE_COLUMNS), purchases)
        if points:
            run(insert_sql("points_entries", POINTS_COLUMNS), points)
        if self.capture:
            write_ops(self.conn, [op for table in _TABLE_ORDER for op in ops[table]],
                      ids, self.now_db)

    def _purchase_op(self, item: PurchaseToWrite, hex_id: str, wire_id: str) -> BulkOp:
        return (INSERT, "purchases", hex_id, canonical({"row": {
            "id": wire_id, "member_id": dashed(item.member_id),
            "store_id": dashed(item.store_id),
            "occurred_at": item.occurred_at.astimezone(UTC).isoformat(),
            "amount_cents": item.amount_cents, "description": item.description,
            "delivered_at": None, "receipt_no": item.receipt_no,
            "created_at": self.now_wire}}))

    def _points_op(self, item: PurchaseToWrite, hex_id: str, wire_id: str, reason: str,
                   purchase_wire: str) -> BulkOp:
        return (INSERT, "points_entries", hex_id, canonical({"row": {
            "id": wire_id, "member_id": dashed(item.member_id), "delta": item.points,
            "kind": "earn", "reason": reason, "ref_id": purchase_wire, "created_by": None,
            "created_at": self.now_wire}}))


def is_large(conn: Connection, path: Path) -> bool:
    """Whether the file's rows are many, and at least a quarter of the purchases held."""
    lines = count_lines(path)
    if lines < LARGE_FILE_ROWS:
        return False
    held = conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM purchases").scalar_one()
    return lines * 4 >= int(held)


def count_lines(path: Path) -> int:
    """Line breaks in the file (~0.1 s a million rows): a row count before reading."""
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count


class IndexesBuiltAfter:
    """Within the caller's transaction: the purchases' and points' non-unique indexes
    dropped before the first write (`drop`, idempotent) and built again at `rebuild`;
    a file whose rows are all known already drops nothing. The unique receipt index
    stays (it is the duplicate check the database makes per row). SQLite's DDL is
    transactional: a kill or an error rolls the dropped indexes back with the rows."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dropped: list[tuple[str, str]] | None = None

    def drop(self) -> None:
        if self.dropped is not None:
            return
        marks = ", ".join("?" * len(REBUILT_TABLES))
        self.dropped = [(name, sql) for name, sql in self.conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name", REBUILT_TABLES)
            if not sql.lstrip().upper().startswith("CREATE UNIQUE")]
        for name, _sql in self.dropped:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')

    def rebuild(self) -> None:
        for _name, sql in self.dropped or ():
            self.conn.exec_driver_sql(sql)
        self.dropped = None

"""Which store may change which record, checked at the centre for an enrolled desk.

A lounge records its own visits, purchases, complaints (and their steps), queue, care
contacts and staff; members and everything in a member's file (phones,
cards, preferences, points, tiers, follow-ups) are shared by the chain, so any store
may edit them. A record names its store in a `store_id` column, or through the record
it hangs on (a complaint step through its complaint, a care contact through the staff
member who made it). A record with no store (a chain-wide account, an old visit without
one) is not bound to any store. Audit entries are not bound either: they are the desk's
evidence of who did what there (an administrator of the chain signed in at another
store's desk included), chained per desk and checked by `chain_watch`; refusing one
would lose the evidence and break the desk's chain at the centre.

The service passes the desk's enrolled store; the direct-to-database mode (tests, a
single-store installation) passes none and is not checked. An op on another store's
record — or one that moves a record to another store — is refused: rejected (the desk
keeps it as a refused change) and never applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, select

from vipdesk.outbox import tables
from vipdesk.outbox.ops import DELETE, INSERT, UPDATE, Op, Outcome


class Decides(Protocol):
    """The merge's batch, as far as a refusal needs it (no import of the merge)."""

    def decide(self, op: Op, outcome: Outcome, reason: str = "",
               centre_note: str = "") -> None: ...

# The record's own store column.
STORE_COLUMNS = {"visits": "store_id", "purchases": "store_id", "complaints": "store_id",
                 "queue_entries": "store_id", "staff": "store_id"}
# No store column of its own: the store of the record a column points at.
PARENTS = {"complaint_events": ("complaint_id", "complaints"),
           "care_contacts": ("by", "staff")}
REFUSED = "another store's record"  # how the reason begins (dead_letters.classify)


@dataclass(frozen=True)
class Enrolled:
    """The desk the service authenticated: its store's code and its device id."""

    store: str
    device: str


def reason(table_name: str, other: str, own: str) -> str:
    return (f"{REFUSED}: this {table_name} belongs to store {other}; "
            f"this desk is enrolled for store {own}")


class Screen:
    """Decides the ops of one batch that touch another store's records (rejected, with
    the device in the centre's copy) and returns the others, in order."""

    def __init__(self, conn: Connection, enrolled: Enrolled, ops: list[Op]) -> None:
        self.conn = conn
        self.enrolled = enrolled
        # Rows inserted earlier in this batch are not at the centre yet (parents first).
        self.pending = {(op.table_name, str(op.record_id)): _row(op)
                        for op in ops if op.kind == INSERT}
        self.rows: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.codes: dict[str, str | None] = {}

    def allowed(self, batch: Decides, ops: list[Op]) -> list[Op]:
        kept = []
        for op in ops:
            other = self.foreign_store(op)
            if other is None:
                kept.append(op)
                continue
            batch.decide(op, Outcome.REJECTED,
                         reason(op.table_name, other, self.enrolled.store),
                         centre_note=f" (device {self.enrolled.device})")
        return kept

    def foreign_store(self, op: Op) -> str | None:
        """The other store's code when `op` touches (or would move a record to) a store
        other than the enrolled one."""
        if op.table_name == "stores":
            codes = self._store_row_codes(op)
        elif op.table_name in STORE_COLUMNS or op.table_name in PARENTS:
            codes = [self._code(sid) for sid in self._store_ids(op)]
        else:
            return None  # shared by the chain
        return next((c for c in codes if c is not None and c != self.enrolled.store), None)

    def _store_row_codes(self, op: Op) -> list[str | None]:
        stored = self._stored(op)
        changed = _row(op) if op.kind == INSERT else _set(op)
        return [stored.get("code") if stored else None, changed.get("code")]

    def _store_ids(self, op: Op) -> list[str | None]:
        """The store the record belongs to now, and the one an insert or edit gives it."""
        ids = [self._owner(op.table_name, self._stored(op))] if op.kind != INSERT else []
        if op.kind != DELETE:
            values = _row(op) if op.kind == INSERT else _set(op)
            ids.append(self._owner(op.table_name, values))
        return ids

    def _stored(self, op: Op) -> dict[str, Any] | None:
        if op.kind == INSERT:
            return None
        return self._record(op.table_name, str(op.record_id))

    def _owner(self, table_name: str, values: dict[str, Any] | None) -> str | None:
        if not values:
            return None
        if table_name in STORE_COLUMNS:
            return _text(values.get(STORE_COLUMNS[table_name]))
        column, parent = PARENTS[table_name]
        parent_id = _text(values.get(column))
        return self._owner(parent, self._record(parent, parent_id)) if parent_id else None

    def _record(self, table_name: str, record_id: str) -> dict[str, Any] | None:
        key = (table_name, record_id)
        if key in self.pending:
            return self.pending[key]
        if key not in self.rows:
            self.rows[key] = self._read(table_name, record_id)
        return self.rows[key]

    def _read(self, table_name: str, record_id: str) -> dict[str, Any] | None:
        table = tables.table(table_name)
        try:
            wanted = uuid.UUID(record_id)
        except ValueError:
            return None
        row = self.conn.execute(select(table).where(table.c.id == wanted)).mappings().first()
        return {k: _text(v) for k, v in row.items()} if row else None

    def _code(self, store_id: str | None) -> str | None:
        if store_id is None:
            return None
        if store_id not in self.codes:
            row = self._record("stores", store_id)
            self.codes[store_id] = str(row["code"]) if row and row.get("code") else None
        return self.codes[store_id]


def _row(op: Op) -> dict[str, Any]:
    row = op.payload.get("row") if isinstance(op.payload, dict) else None
    return row if isinstance(row, dict) else {}


def _set(op: Op) -> dict[str, Any]:
    if op.kind != UPDATE or not isinstance(op.payload, dict):
        return {}
    changed = op.payload.get("set")
    return changed if isinstance(changed, dict) else {}


def _text(value: Any) -> Any:
    """Ids compare as canonical text whether they came from a payload or the database."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) in (32, 36):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value
    return value

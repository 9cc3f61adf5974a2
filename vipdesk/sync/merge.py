"""Applying a batch of one store's ops at the centre, inside the caller's transaction.

- Inserts (the append-only records and new members) upsert on their UUID with
  ON CONFLICT DO NOTHING; when the id is already there, the stored row's hash must
  equal the payload's, else the op is rejected (same id, other content).
- Updates merge field by field: the value with the later HLC stamp wins whatever order
  ops arrive in; an edit that did not see the value it replaces (its base differs, or it
  lost) leaves a conflict record. A losing desk is sent the winning value through the
  change log, so it converges too.
- Deletes leave a tombstone: a late insert or edit of the same record is obsolete.
- An erased member stays erased: personal fields and contact rows cannot come back.

Every decision is written to `sync_applied_ops`, so a retried op gets the same answer,
and every effective change to `sync_change_log`, which desks pull.

Why one module (~430 lines): the steps of one merge (insert, update, delete, tombstones,
conflicts) share the batch's state and run in one transaction; read together they are
the protocol.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Connection, Table, delete, exc, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from vipdesk.models import (
    SyncAppliedOp,
    SyncChangeLog,
    SyncConflict,
    SyncDeadLetter,
    SyncFieldStamp,
    SyncTombstone,
    utcnow,
    uuid7,
)
from vipdesk.outbox import tables
from vipdesk.outbox.hlc import Stamp, clamp
from vipdesk.outbox.ops import DELETE, INSERT, UPDATE, Ack, Op, Outcome
from vipdesk.services import erasure
from vipdesk.sync import authority, bulk, chain_watch

CLOCK_LEEWAY_MS = 60_000  # stamps further ahead of the centre's clock are pulled back


@dataclass
class Batch:
    """What one push transaction will write besides the records themselves."""

    store: str
    now_ms: int
    enrolled: authority.Enrolled | None = None  # set by the service: records are checked
    acks: dict[uuid.UUID, Ack] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    dead: list[dict[str, Any]] = field(default_factory=list)

    def decide(self, op: Op, outcome: Outcome, reason: str = "", centre_note: str = "") -> None:
        """`centre_note` goes only into the centre's own dead letter (the device)."""
        self.acks[op.op_id] = Ack(op.op_id, outcome, reason)
        if outcome is Outcome.REJECTED:
            self.dead.append({"id": uuid7(), "op_id": op.op_id, "store": self.store,
                              "kind": op.kind, "table_name": op.table_name,
                              "record_id": op.record_id, "payload": op.payload_json(),
                              "reason": reason + centre_note, "at": utcnow()})

    def changed(self, kind: str, table_name: str, record_id: uuid.UUID,
                payload: dict[str, Any]) -> None:
        self.log.append({"kind": kind, "table_name": table_name, "record_id": record_id,
                         "payload": tables.canonical(payload), "store": self.store})

    def log_insert(self, op: Op) -> None:
        """An applied insert's log entry: the desk's canonical payload text is reused
        (a push moves thousands of these), with the stamp added."""
        text = op.payload_text
        if text and text.startswith('{"row":') and text.endswith("}"):
            payload = f'{{"hlc":{_json_string(op.hlc)},"row":{text[7:-1]}}}'
        else:
            payload = tables.canonical({"row": op.payload["row"], "hlc": op.hlc})
        self.log.append({"kind": INSERT, "table_name": op.table_name,
                         "record_id": op.record_id, "payload": payload, "store": self.store})

    def stamp(self, op: Op) -> Stamp:
        return clamp(Stamp.parse(op.hlc), self.now_ms + CLOCK_LEEWAY_MS)


def _json_string(text: str) -> str:
    """`json.dumps(text)`, without the encoder for the usual stamp (ASCII, printable, no
    quote or backslash: nothing to escape) — a push writes one per applied insert."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text)


def dialect_insert(conn: Connection, target: Any) -> Any:
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(target)


class Merger:
    """Applies ops in order; `careful` runs each op in a savepoint so one bad op (a
    foreign key to a missing record, a value too long) is rejected alone."""

    def __init__(self, conn: Connection, batch: Batch, careful: bool = False) -> None:
        self.conn = conn
        self.batch = batch
        self.careful = careful

    def run(self, ops: list[Op]) -> None:
        fresh = self._skip_decided(ops)
        for group in _runs(self._within_authority(fresh)):
            if group[0].kind == INSERT and not self.careful:
                self._apply(group)  # one statement; a failure reruns the batch carefully
            else:
                for op in group:
                    self._guarded(op)
        chain_watch.check_pushed(self.conn, self.batch, fresh)
        self._write_bookkeeping(fresh)

    def _within_authority(self, ops: list[Op]) -> list[Op]:
        """An enrolled desk's ops on another store's records are refused here, before
        anything is applied; the direct mode (no enrolment) is not checked."""
        if self.batch.enrolled is None or not ops:
            return ops
        return authority.Screen(self.conn, self.batch.enrolled, ops).allowed(self.batch, ops)

    def _skip_decided(self, ops: list[Op]) -> list[Op]:
        known = dict(bulk.rows_where_in(self.conn, _table(SyncAppliedOp), "op_id",
                                        [op.op_id for op in ops], ["op_id", "outcome"]))
        for op in ops:
            if op.op_id in known:  # a retry: same answer, nothing applied twice
                self.batch.acks[op.op_id] = _repeat(op, known[op.op_id])
        return [op for op in ops if op.op_id not in known]

    def _guarded(self, op: Op) -> None:
        logged = len(self.batch.log)
        savepoint = self.conn.begin_nested()
        try:
            self._apply([op])
            savepoint.commit()
        except Exception as error:  # whatever breaks one op rejects that op alone
            if _session_failed(self.conn, error):
                raise  # not this op's fault: the batch fails whole and is sent again
            savepoint.rollback()
            del self.batch.log[logged:]
            outcome = Outcome.OBSOLETE if self._parent_gone(op) else Outcome.REJECTED
            self.batch.decide(op, outcome, _plain_reason(error))

    def _apply(self, group: list[Op]) -> None:
        head = group[0]
        if not tables.is_synced(head.table_name) or head.kind not in (INSERT, UPDATE, DELETE):
            for op in group:
                self.batch.decide(op, Outcome.REJECTED,
                                  f"unknown table or kind: {op.table_name}/{op.kind}")
            return
        if head.kind == INSERT:
            InsertStep(self.conn, self.batch, head.table_name).run(group)
        elif head.kind == UPDATE:
            UpdateStep(self.conn, self.batch).run(head)
        else:
            DeleteStep(self.conn, self.batch).run(head)

    def _parent_gone(self, op: Op) -> bool:
        """An insert whose member (or other parent) was deleted meanwhile is obsolete."""
        if op.kind != INSERT or not tables.is_synced(op.table_name):
            return False
        row = op.payload.get("row", {})
        parents = [(fk.column.table.name, row.get(fk.parent.name))
                   for fk in tables.table(op.table_name).foreign_keys]
        return any(value and _tombstoned(self.conn, name, [uuid.UUID(str(value))])
                   for name, value in parents)

    def _write_bookkeeping(self, fresh: list[Op]) -> None:
        bulk.append(self.conn, _table(SyncAppliedOp), [
            {"op_id": op.op_id, "store": self.batch.store,
             "outcome": self.batch.acks[op.op_id].outcome.value} for op in fresh])
        bulk.append(self.conn, _table(SyncChangeLog), self.batch.log)
        bulk.append(self.conn, _table(SyncDeadLetter), self.batch.dead)


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


def _repeat(op: Op, outcome: str) -> Ack:
    if outcome == Outcome.REJECTED.value:
        return Ack(op.op_id, Outcome.REJECTED, "rejected before: see the centre's dead letters")
    return Ack(op.op_id, Outcome.DUPLICATE, f"already {outcome}")


def _runs(ops: list[Op]) -> Iterator[list[Op]]:
    """Consecutive inserts into one table go together (one statement); the rest one by one."""
    group: list[Op] = []
    for op in ops:
        if group and (op.kind != INSERT or group[0].kind != INSERT
                      or op.table_name != group[0].table_name):
            yield group
            group = []
        group.append(op)
    if group:
        yield group


# Lost or ended sessions and timeouts (psycopg's own classes too: COPY uses the raw
# connection). Constraint and value errors stay the op's own (Integrity/DataError).
_SESSION_ERRORS = (exc.OperationalError, exc.InterfaceError, exc.PendingRollbackError,
                   psycopg.OperationalError, psycopg.InterfaceError)


def _session_failed(conn: Connection, error: Exception) -> bool:
    """The session was ended (another pusher took the store over, the network dropped)
    or timed out: rejecting the op would dead-letter a good change."""
    return conn.invalidated or isinstance(error, _SESSION_ERRORS)


def _plain_reason(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0][:500] if text.strip() else type(error).__name__


def _tombstoned(conn: Connection, table_name: str, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = bulk.rows_where_in(conn, _table(SyncTombstone), "record_id", ids, ["record_id"],
                              {"table_name": table_name})
    return {r[0] for r in rows}


class InsertStep:
    def __init__(self, conn: Connection, batch: Batch, table_name: str) -> None:
        self.conn = conn
        self.batch = batch
        self.name = table_name
        self.table: Table = tables.table(table_name)

    def run(self, ops: list[Op]) -> None:
        rows = self._wire_rows(ops)  # op_id → row in wire form, for the well-formed ops
        valid = [op for op in ops if op.op_id in rows]
        gone = _tombstoned(self.conn, self.name, [op.record_id for op in valid])
        gone |= self._erased_owner(valid, rows)
        live = [op for op in valid if op.record_id not in gone]
        for op in valid:
            if op.record_id in gone:
                self.batch.decide(op, Outcome.OBSOLETE, "record deleted or member erased")
                # The desk that made it still shows it: the log tells it to drop it.
                self.batch.changed(DELETE, self.name, op.record_id, {"hlc": op.hlc})
        inserted = self._insert([rows[op.op_id] for op in live])
        self._compare_existing([op for op in live if op.record_id not in inserted], rows)
        for op in live:
            if op.record_id in inserted:
                self.batch.decide(op, Outcome.APPLIED)
                self.batch.log_insert(op)

    def _wire_rows(self, ops: list[Op]) -> dict[uuid.UUID, dict[str, Any]]:
        """Rows stay in wire form (strings for ids and times): PostgreSQL casts them to
        the column types, and a value it refuses rejects that op alone (careful mode)."""
        known = tables.synced_column_names(self.name)
        rows = {}
        for op in ops:
            row = op.payload.get("row") if isinstance(op.payload, dict) else None
            if not isinstance(row, dict) or row.get("id") != str(op.record_id):
                self.batch.decide(op, Outcome.REJECTED,
                                  "malformed insert: no row, or its id is not the record's")
                continue
            rows[op.op_id] = {k: v for k, v in row.items() if k in known}
        return rows

    def _erased_owner(self, ops: list[Op], rows: dict[uuid.UUID, dict[str, Any]]
                      ) -> set[uuid.UUID]:
        if self.name not in erasure.PERSONAL_CHILD_TABLES or not ops:
            return set()
        owners = {str(rows[op.op_id].get("member_id")) for op in ops}
        erased = {str(m) for m in erasure.erased_members(self.conn, owners - {"None"})}
        return {op.record_id for op in ops if str(rows[op.op_id].get("member_id")) in erased}

    def _insert(self, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
        # No conflict target: a clash on any unique key (id, member number, card number)
        # is caught here and explained below instead of aborting the whole batch.
        return bulk.insert_new(self.conn, self.table, rows)

    def _compare_existing(self, ops: list[Op], rows: dict[uuid.UUID, dict[str, Any]]) -> None:
        if not ops:
            return
        ids = [op.record_id for op in ops]
        stored = {row.id: tables.encode_row(self.name, row._mapping)
                  for row in self.conn.execute(select(self.table).where(self.table.c.id.in_(ids)))}
        for op in ops:
            theirs = tables.row_hash(stored[op.record_id]) if op.record_id in stored else None
            mine = tables.row_hash(tables.encode_row(
                self.name, tables.decode_row(self.name, rows[op.op_id])))
            if theirs == mine:
                self.batch.decide(op, Outcome.DUPLICATE, "identical record already there")
            elif theirs is None:
                self.batch.decide(op, Outcome.REJECTED,
                                  "another record already holds one of its unique values")
            else:
                self.batch.decide(op, Outcome.REJECTED,
                                  "same id already stored with different content")
                # The sending desk holds its own version: the log gives it the centre's.
                self.batch.changed(INSERT, self.name, op.record_id, {"row": stored[op.record_id]})


class UpdateStep:
    def __init__(self, conn: Connection, batch: Batch) -> None:
        self.conn = conn
        self.batch = batch

    def run(self, op: Op) -> None:
        table = tables.table(op.table_name)
        row = self.conn.execute(select(table).where(table.c.id == op.record_id)
                                .with_for_update()).first()
        if row is None:
            gone = _tombstoned(self.conn, op.table_name, [op.record_id])
            self.batch.decide(op, Outcome.OBSOLETE if gone else Outcome.REJECTED,
                              "record deleted" if gone else "record not found at the centre")
            return
        current = tables.encode_row(op.table_name, row._mapping)
        wanted = self._wanted(op, current)
        refused = {k: current[k] for k in op.payload["set"]
                   if k in current and k not in wanted and k != "id"}
        if refused:  # the editing desk shows its values: the log puts the centre's back
            self.batch.changed(UPDATE, op.table_name, op.record_id, {"set": refused})
        if not wanted:
            self.batch.decide(op, Outcome.OBSOLETE, "member erased: personal data stays gone")
            return
        FieldMerge(self.conn, self.batch, op, current).run(wanted)

    def _wanted(self, op: Op, current: dict[str, Any]) -> dict[str, Any]:
        wanted = {k: v for k, v in dict(op.payload["set"]).items()
                  if k in tables.synced_column_names(op.table_name) and k != "id"}
        if op.table_name == "members" and current.get("erased_at") is not None:
            wanted = {k: v for k, v in wanted.items() if not erasure.is_personal(k, v)}
        return wanted


class FieldMerge:
    """Per-field last-writer-wins on HLC stamps, recording concurrent edits."""

    def __init__(self, conn: Connection, batch: Batch, op: Op, current: dict[str, Any]) -> None:
        self.conn = conn
        self.batch = batch
        self.op = op
        self.current = current
        self.base: dict[str, Any] = dict(op.payload.get("base") or {})
        self.stamp = batch.stamp(op)
        # Erasure always wins: personal data must not survive a later-stamped edit.
        self.forced = op.table_name == "members" and op.payload["set"].get("erased_at") is not None

    def run(self, wanted: dict[str, Any]) -> None:
        stamps = self._stamps(list(wanted))
        won: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        conflicts = 0
        for name, value in wanted.items():
            held = stamps.get(name)
            wins = self.forced or held is None or str(self.stamp) > held[0]
            if value != self.current[name] and self._concurrent(name, wins):
                conflicts += self._record_conflict(name, value, wins, held)
            (won if wins else kept)[name] = value if wins else self.current[name]
        self._write(won, kept)
        self.batch.decide(self.op, Outcome.CONFLICT if conflicts or kept else Outcome.APPLIED)

    def _concurrent(self, name: str, wins: bool) -> bool:
        # The editor did not see the value it replaces: it lost on stamps (it would stamp
        # later had it seen it), or the value it saw (base) is not the current one.
        return not wins or (name in self.base and self.base[name] != self.current[name])

    def _stamps(self, names: list[str]) -> dict[str, tuple[str, str]]:
        rows = self.conn.execute(
            select(SyncFieldStamp.field, SyncFieldStamp.hlc, SyncFieldStamp.store).where(
                SyncFieldStamp.table_name == self.op.table_name,
                SyncFieldStamp.record_id == self.op.record_id,
                SyncFieldStamp.field.in_(names)))
        return {f: (h, s) for f, h, s in rows}

    def _record_conflict(self, name: str, value: Any, wins: bool,
                         held: tuple[str, str] | None) -> int:
        if self.op.table_name == SyncConflict.__tablename__:
            return 0  # two managers settling the same conflict: last writer wins quietly
        held_hlc, held_store = held or ("", "")
        mine = (tables.canonical(value), self.batch.store, str(self.stamp))
        theirs = (tables.canonical(self.current[name]), held_store or "?", held_hlc)
        kept, lost = (mine, theirs) if wins else (theirs, mine)
        row = {"id": uuid7(), "table_name": self.op.table_name, "record_id": self.op.record_id,
               "field": name, "kept_value": kept[0], "kept_store": kept[1], "kept_hlc": kept[2],
               "lost_value": lost[0], "lost_store": lost[1], "lost_hlc": lost[2],
               "detected_at": utcnow(), "settled_at": None, "settled_by": None,
               "settled_choice": None}
        self.conn.execute(insert(SyncConflict), row)
        self.batch.changed(INSERT, SyncConflict.__tablename__, uuid.UUID(str(row["id"])),
                           {"row": tables.encode_row(SyncConflict.__tablename__, row),
                            "hlc": str(self.stamp)})
        return 1

    def _write(self, won: dict[str, Any], kept: dict[str, Any]) -> None:
        name = self.op.table_name
        if won:
            table = tables.table(name)
            values = tables.decode_row(name, won)
            # Columns with an update default (updated_at) keep their value here: each
            # database stamps its own modification time, it is not synced.
            values |= {c.name: c for c in table.columns
                       if c.onupdate is not None and c.name not in values}
            self.conn.execute(update(table).where(table.c.id == self.op.record_id).values(values))
            self._save_stamps(list(won))
        if won or kept:
            # The losing desk already shows its own value: the log tells it the winner.
            self.batch.changed(UPDATE, name, self.op.record_id,
                               {"set": won | kept, "hlc": str(self.stamp)})

    def _save_stamps(self, names: list[str]) -> None:
        rows = [{"table_name": self.op.table_name, "record_id": self.op.record_id,
                 "field": n, "hlc": str(self.stamp), "store": self.batch.store} for n in names]
        stmt = dialect_insert(self.conn, SyncFieldStamp)
        stmt = stmt.on_conflict_do_update(
            index_elements=["table_name", "record_id", "field"],
            set_={"hlc": stmt.excluded.hlc, "store": stmt.excluded.store})
        self.conn.execute(stmt, rows)


class DeleteStep:
    def __init__(self, conn: Connection, batch: Batch) -> None:
        self.conn = conn
        self.batch = batch

    def run(self, op: Op) -> None:
        table = tables.table(op.table_name)
        stone = dialect_insert(self.conn, SyncTombstone).values(
            table_name=op.table_name, record_id=op.record_id, hlc=str(self.batch.stamp(op)),
            store=self.batch.store, deleted_at=utcnow()).on_conflict_do_nothing()
        self.conn.execute(stone)
        self.conn.execute(table.delete().where(table.c.id == op.record_id))
        self.conn.execute(delete(SyncFieldStamp).where(
            SyncFieldStamp.table_name == op.table_name,
            SyncFieldStamp.record_id == op.record_id))
        self.batch.decide(op, Outcome.APPLIED)
        self.batch.changed(DELETE, op.table_name, op.record_id, {"hlc": op.hlc})

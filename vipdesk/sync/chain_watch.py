"""The centre checks each desk's audit chain as its entries arrive.

A desk verifies its own chain (`vipdesk audit verify`), but someone with a shell on the
desk can rewrite entries and recompute every hash after them. The centre already holds
what the desk sent before, so it is where such a rewrite shows: entries that do not
continue the copy held here, a gap (entries deleted before they were sent), an entry
whose hash does not match its content, or an entry the centre refused because it
contradicts the one it holds under the same id or place.

Each finding becomes a sync conflict on the audit log (`field = "audit_chain"`), written
in the push's own transaction: it travels to every desk with the change log, and
managers see it in the sync conflicts window beside the other conflicts, where they
acknowledge it (the entry itself can never be put back from there).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert

from vipdesk.models import AuditEntry, SyncConflict, utcnow, uuid7
from vipdesk.outbox import audit_chain, tables
from vipdesk.outbox.audit_chain import Break
from vipdesk.outbox.ops import INSERT, Op, Outcome

AUDIT_TABLE = AuditEntry.__tablename__
CHAIN_FIELD = "audit_chain"  # SyncConflict.field of a broken-chain alert
CENTRE = "centre"


def check_pushed(conn: Connection, batch: Any, ops: list[Op]) -> None:
    """Alert on every chain the audit entries of this batch break (`batch` is the
    merge's `Batch`: its acks say what was applied, its change log gets the alerts)."""
    pushed = [op for op in ops if op.table_name == AUDIT_TABLE and op.op_id in batch.acks]
    if not pushed:
        return
    places: dict[str, list[tuple[int, Op]]] = {}
    for op in pushed:
        outcome = batch.acks[op.op_id].outcome
        row = op.payload.get("row", {}) if isinstance(op.payload, dict) else {}
        if outcome is Outcome.REJECTED:
            _alert(conn, batch, op, _refused(op, row, batch.acks[op.op_id].reason))
        elif outcome is Outcome.APPLIED:
            if not row.get("desk_key") or row.get("seq") is None:
                _alert(conn, batch, op, Break("", None, str(op.record_id),
                                              "entry outside any chain", "outside"))
            else:
                places.setdefault(str(row["desk_key"]), []).append((int(row["seq"]), op))
    for desk_key, entries in places.items():
        seqs = [seq for seq, _ in entries]
        broken = audit_chain.check_links(conn, desk_key, min(seqs), max(seqs))
        if broken is not None:
            op = next((o for s, o in entries if s == broken.seq), entries[0][1])
            _alert(conn, batch, op, broken)


def _refused(op: Op, row: dict[str, Any], reason: str) -> Break:
    seq = row.get("seq")
    return Break(str(row.get("desk_key") or ""), seq if isinstance(seq, int) else None,
                 str(op.record_id), f"entry {seq} refused: {reason}", "refused")


def _alert(conn: Connection, batch: Any, op: Op, broken: Break) -> None:
    row = {"id": uuid7(), "table_name": AUDIT_TABLE, "record_id": op.record_id,
           "field": CHAIN_FIELD,
           "kept_value": tables.canonical({"desk_key": broken.desk_key}),
           "kept_store": CENTRE, "kept_hlc": "",
           "lost_value": tables.canonical({"kind": broken.kind, "seq": broken.seq,
                                           "problem": broken.problem}),
           "lost_store": batch.store, "lost_hlc": op.hlc,
           "detected_at": utcnow(), "settled_at": None, "settled_by": None,
           "settled_choice": None}
    conn.execute(insert(SyncConflict), row)
    batch.changed(INSERT, SyncConflict.__tablename__, uuid.UUID(str(row["id"])),
                  {"row": tables.encode_row(SyncConflict.__tablename__, row),
                   "hlc": op.hlc})

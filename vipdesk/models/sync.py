"""Bookkeeping of the sync protocol (DESIGN "Sync protocol", SPEC §9).

One schema everywhere: the desk uses the outbox and its key/value state; the centre
uses the applied-ops ledger, the change log, field stamps, tombstones and dead letters.
Conflicts are an ordinary synced table (the centre writes them, every desk pulls them,
a manager settles them from any desk).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vipdesk.models.base import Base, IdMixin, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a bigserial.
BIG_SERIAL = BigInteger().with_variant(Integer(), "sqlite")
SYNC_BOOKKEEPING = {"sync": False}


class SyncOutbox(Base):
    """One local change waiting for the centre, written in the change's own transaction.

    `seq` is commit order (SQLite has one writer), so pushing by `seq` replays history.
    """

    __tablename__ = "sync_outbox"
    __table_args__ = {"info": SYNC_BOOKKEEPING}

    seq: Mapped[int] = mapped_column(BIG_SERIAL, primary_key=True, autoincrement=True)
    op_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # insert / update / delete
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID]
    payload: Mapped[str] = mapped_column(Text)  # JSON, see vipdesk.outbox.ops
    hlc: Mapped[str] = mapped_column(String(64))
    protocol: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncState(Base):
    """The desk's small durable facts: pull cursor, HLC high-water mark, last sync."""

    __tablename__ = "sync_state"
    __table_args__ = {"info": SYNC_BOOKKEEPING}

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SyncAppliedOp(Base):
    """Centre: every op it has decided on, so a retried op gets the same answer."""

    __tablename__ = "sync_applied_ops"
    __table_args__ = {"info": SYNC_BOOKKEEPING}

    op_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    store: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))  # applied/duplicate/rejected/conflict/…
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncChangeLog(Base):
    """Centre: what changed, in commit-safe order for pulls.

    On PostgreSQL the migration turns `txid` into `xid8 DEFAULT pg_current_xact_id()`;
    a pull reads `(txid, seq) > cursor AND txid < pg_snapshot_xmin(...)`, so a row of a
    transaction still in flight is never skipped. On a SQLite centre (one writer, so
    commit order is `seq` order) `txid` stays 0.
    """

    __tablename__ = "sync_change_log"
    __table_args__ = (
        Index("ix_sync_change_log_txid_seq", "txid", "seq"),
        {"info": SYNC_BOOKKEEPING},
    )

    seq: Mapped[int] = mapped_column(BIG_SERIAL, primary_key=True, autoincrement=True)
    txid: Mapped[int] = mapped_column(BigInteger, server_default="0")
    kind: Mapped[str] = mapped_column(String(8))
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID]
    payload: Mapped[str] = mapped_column(Text)
    store: Mapped[str] = mapped_column(String(32))


class SyncFieldStamp(Base):
    """Centre: the HLC stamp of the value each edited field holds (per-field LWW).

    A field never edited since its insert has no row: any later edit wins over it.
    """

    __tablename__ = "sync_field_stamps"
    __table_args__ = {"info": SYNC_BOOKKEEPING}

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    hlc: Mapped[str] = mapped_column(String(64))
    store: Mapped[str] = mapped_column(String(32))


class SyncTombstone(Base):
    """Centre: a deleted record stays deleted; a late insert or edit cannot revive it."""

    __tablename__ = "sync_tombstones"
    __table_args__ = {"info": SYNC_BOOKKEEPING}

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hlc: Mapped[str] = mapped_column(String(64))
    store: Mapped[str] = mapped_column(String(32))
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncDeadLetter(IdMixin, Base):
    """An op that cannot be applied, with the reason; kept for a person, never retried
    automatically. On a desk a manager handles it (vipdesk.sync.dead_letters): sends the
    record again or decides it needs nothing more; the row stays, marked handled."""

    __tablename__ = "sync_dead_letters"
    __table_args__ = (
        Index("ix_sync_dead_letters_open", "handled_at", "at"),
        {"info": SYNC_BOOKKEEPING},
    )

    op_id: Mapped[uuid.UUID] = mapped_column(index=True)
    store: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID]
    payload: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(200))
    handling: Mapped[str | None] = mapped_column(String(16))  # retried / dismissed
    note: Mapped[str | None] = mapped_column(Text)


class SyncConflict(IdMixin, Base):
    """Two stores edited the same field concurrently: what was kept, what lost, for a
    manager to confirm or reverse. Synced like any record."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_open", "settled_at", "detected_at"),)

    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(String(64))
    kept_value: Mapped[str | None] = mapped_column(Text)  # JSON-encoded values
    kept_store: Mapped[str] = mapped_column(String(32))
    kept_hlc: Mapped[str] = mapped_column(String(64))
    lost_value: Mapped[str | None] = mapped_column(Text)
    lost_store: Mapped[str] = mapped_column(String(32))
    lost_hlc: Mapped[str] = mapped_column(String(64))
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
    settled_by: Mapped[str | None] = mapped_column(String(200))
    settled_choice: Mapped[str | None] = mapped_column(String(8))  # kept / lost


class CentralDevice(Base):
    """Centre: an enrolled desk. It pushes as its own store only; the centre keeps a
    hash of its secret (the secret itself lives only on the desk)."""

    __tablename__ = "central_devices"
    __table_args__ = {"info": SYNC_BOOKKEEPING}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    store: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    secret_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of a 32-byte secret
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]


class CentralEnrolment(Base):
    """Centre: a one-time enrolment code for a store (only its hash), until it is
    redeemed or expires."""

    __tablename__ = "central_enrolments"
    __table_args__ = {"info": SYNC_BOOKKEEPING}

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    store: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    device_id: Mapped[uuid.UUID | None]


class CentralPushLog(Base):
    """Centre: every push the service ran, with the device that sent it."""

    __tablename__ = "central_push_log"
    __table_args__ = (
        Index("ix_central_push_log_device", "device_id", "pushed_at"),
        {"info": SYNC_BOOKKEEPING},
    )

    id: Mapped[int] = mapped_column(BIG_SERIAL, primary_key=True, autoincrement=True)
    device_id: Mapped[uuid.UUID]
    store: Mapped[str] = mapped_column(String(32))
    pushed_at: Mapped[datetime] = mapped_column(default=utcnow)
    ops: Mapped[int]
    outcomes: Mapped[str] = mapped_column(Text)  # JSON {"applied": n, …}


class SyncLogMark(Base):
    """Centre: how far the change log reached at a moment (the pullable head), so that
    `vipdesk-central trim` can drop what is older than the retention; the newest
    trimmed mark is the horizon a desk's cursor must not be behind."""

    __tablename__ = "sync_log_marks"
    __table_args__ = {"info": SYNC_BOOKKEEPING}

    id: Mapped[int] = mapped_column(BIG_SERIAL, primary_key=True, autoincrement=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    txid: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    trimmed_at: Mapped[datetime | None]

"""The audit log's hash chain: each desk's entries link to the one before, so an edit,
a deletion, a replacement, a forgery or a reordering shows (`verify`).

Every database has its own chain key (`sync_state['audit_desk']`, a random UUID made by
the migration). An entry written here gets the next `seq` of that chain, the previous
entry's hash as `prev_hash`, and `entry_hash` = SHA-256 over a canonical JSON form of
all its fields (the chain fields included). Entries pulled from other desks keep their
own desk's chain: the fields travel with the row.

The next place in the chain is taken at flush, after taking the database's write lock
(SQLite) or an advisory lock on the chain (PostgreSQL), so two writers queue instead of
forking the chain; `UNIQUE(desk_key, seq)` and the insert trigger back that up.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, insert, select, text
from sqlalchemy.orm import Session, UOWTransaction

from vipdesk.models import AuditEntry, SyncState, uuid7

GENESIS = "0" * 64  # the prev_hash of a chain's first entry
LOCAL_KEY = "audit_desk"  # sync_state key of this database's own chain
CHAINED_FIELDS = ("id", "at", "staff_id", "staff_no", "staff_name", "role", "store_id",
                  "desk", "action", "member_id", "detail", "desk_key", "seq", "prev_hash")
_TEXT_DEFAULTS = ("staff_no", "staff_name", "role", "desk", "detail")


class AuditLogMissing(RuntimeError):
    """The audit_log table is gone: the desk cannot audit, nor prove its history."""

    def __init__(self) -> None:
        super().__init__("the audit log table is missing from this database: it has been "
                         "tampered with or damaged (restore it from a backup)")


def _wire(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


_UUID_FIELDS = ("id", "staff_id", "store_id", "member_id")
_PLAIN_FIELDS = tuple(n for n in CHAINED_FIELDS if n not in (*_UUID_FIELDS, "at"))
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def canonical(values: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash is taken over: its chained fields, sorted, as JSON
    (UUIDs as text, the time in UTC ISO 8601). Written out field by field: `verify`
    runs this for every entry of every desk."""
    doc = {name: values[name] for name in _PLAIN_FIELDS}
    for name in _UUID_FIELDS:
        value = values[name]
        doc[name] = None if value is None else str(value)
    doc["at"] = _wire(values["at"])
    return _ENCODE(doc).encode("utf-8")


def entry_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


# -- writing: the next place in this desk's chain --------------------------------------


def local_desk_key(conn: Connection) -> str:
    """This database's chain key (made once; the migration makes it for every desk)."""
    key = conn.scalar(select(SyncState.value).where(SyncState.key == LOCAL_KEY))
    if key is None:
        key = str(uuid.uuid4())
        conn.execute(insert(SyncState).values(key=LOCAL_KEY, value=key))
    return str(key)


def lock_chain(conn: Connection, desk_key: str) -> None:
    """Hold the chain until commit: a second writer waits here rather than fork it."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": desk_key})
    else:
        # Any write statement takes SQLite's write lock (waiting out busy_timeout); this
        # one changes nothing. Reads after it see the newest committed chain.
        conn.exec_driver_sql("UPDATE sync_state SET value = value WHERE 0")


def chain_tip(conn: Connection, desk_key: str) -> tuple[int, str]:
    row = conn.execute(select(AuditEntry.seq, AuditEntry.entry_hash)
                       .where(AuditEntry.desk_key == desk_key)
                       .order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.entry_hash))


def chain_entries(conn: Connection, entries: Iterable[AuditEntry]) -> None:
    """Give new entries their places in this desk's chain, in the order they were added."""
    lock_chain(conn, key := local_desk_key(conn))
    seq, prev = chain_tip(conn, key)
    for entry in entries:
        if entry.id is None:
            entry.id = uuid7()
        for name in _TEXT_DEFAULTS:
            if getattr(entry, name) is None:
                setattr(entry, name, "")
        seq += 1
        entry.desk_key, entry.seq, entry.prev_hash = key, seq, prev
        entry.entry_hash = prev = entry_hash({n: getattr(entry, n) for n in CHAINED_FIELDS})


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    new = [o for o in session.new if isinstance(o, AuditEntry) and o.seq is None]
    if new:
        new.sort(key=lambda o: o._sa_instance_state.insert_order or 0)
        chain_entries(session.connection(), new)


def install() -> None:
    """Idempotent: chain every AuditEntry any session of the process flushes."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


# -- checking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first broken link of one chain."""

    desk_key: str
    seq: int | None
    entry_id: str
    problem: str
    kind: str = ""  # twice / missing / unlinked / altered / outside: for words on screens


@dataclass
class ChainReport:
    entries: dict[str, int] = field(default_factory=dict)  # per desk key, entries checked
    breaks: list[Break] = field(default_factory=list)
    local_key: str = ""

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def local_intact(self) -> bool:
        return not any(b.desk_key in (self.local_key, "") for b in self.breaks)


class _Walk:
    """One desk's chain, entry by entry in `seq` order; stops at the first break."""

    def __init__(self, desk_key: str) -> None:
        self.desk_key, self.count, self.seq, self.prev = desk_key, 0, 0, GENESIS
        self.broken: Break | None = None

    def step(self, row: Any) -> None:
        if self.broken is not None:
            return
        self.count += 1
        kind, problem = self._problem(row)
        if problem:
            self.broken = Break(self.desk_key, row["seq"], str(row["id"]), problem, kind)
            return
        self.seq, self.prev = row["seq"], row["entry_hash"]

    def _problem(self, row: Any) -> tuple[str, str]:
        want = self.seq + 1
        if row["seq"] == self.seq:
            return "twice", f"entry {row['seq']} appears twice"
        if row["seq"] != want:
            return "missing", f"entry {want} is missing (the next one is {row['seq']})"
        if row["prev_hash"] != self.prev:
            return "unlinked", (f"entry {want} does not follow entry {self.seq} (entries "
                                "deleted, reordered or replaced)")
        if entry_hash(row) != row["entry_hash"]:
            return "altered", f"entry {want} was altered after it was written"
        return "", ""


def verify(conn: Connection, desk_key: str | None = None) -> ChainReport:
    """Walk every desk's chain (or one), naming the first broken link of each."""
    report = ChainReport(local_key=_local_key_or_blank(conn))
    walks: dict[str, _Walk] = {}
    for row in _stored_entries(conn, desk_key):
        if row["desk_key"] is None or row["seq"] is None:
            report.breaks.append(Break("", None, str(row["id"]), "entry outside any chain",
                                       "outside"))
            continue
        walk = walks.get(row["desk_key"]) or walks.setdefault(row["desk_key"],
                                                              _Walk(row["desk_key"]))
        walk.step(row)
    for key, walk in walks.items():
        report.entries[key] = walk.count
        if walk.broken is not None:
            report.breaks.append(walk.broken)
    return report


def check_links(conn: Connection, desk_key: str, first: int, last: int) -> Break | None:
    """The first broken link among one chain's entries `first`..`last` and the link to
    the entry before them (held here already, checked when it came): what the centre
    checks of the entries a push brought, without walking the whole chain again."""
    rows = list(_stored_entries(conn, desk_key, (max(first - 1, 1), last)))
    walk = _Walk(desk_key)
    if first > 1:
        if not rows or rows[0]["seq"] != first - 1:
            seq, entry_id = (rows[0]["seq"], str(rows[0]["id"])) if rows else (first, "")
            return Break(desk_key, seq, entry_id,
                         f"entry {first - 1} is missing (the next one is {seq})", "missing")
        walk.seq, walk.prev = rows[0]["seq"], rows[0]["entry_hash"]
        rows = rows[1:]
    for row in rows:
        walk.step(row)
    return walk.broken


_COLUMNS = (*CHAINED_FIELDS, "entry_hash")


def _stored_entries(conn: Connection, desk_key: str | None,
                    seqs: tuple[int, int] | None = None) -> Iterator[Any]:
    """Every entry as stored (of one chain, between two places), by chain and place. On
    SQLite read straight from the driver (SQLAlchemy's per-value conversion was half the
    time of a 100,000-entry check); UUIDs and times come out as the ORM would give them
    to `canonical`."""
    if conn.dialect.name != "sqlite":
        stmt = select(AuditEntry.__table__).order_by(AuditEntry.desk_key, AuditEntry.seq,
                                                     AuditEntry.id)
        if desk_key is not None:
            stmt = stmt.where(AuditEntry.desk_key == desk_key)
        if seqs is not None:
            stmt = stmt.where(AuditEntry.seq.between(*seqs))
        yield from conn.execute(stmt).mappings()
        return
    where, params = _sqlite_where(desk_key, seqs)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"SELECT {', '.join(_COLUMNS)} FROM audit_log {where} "
                   "ORDER BY desk_key, seq, id", params)
    while batch := cursor.fetchmany(5000):
        for values in batch:
            row = dict(zip(_COLUMNS, values, strict=True))
            for name in _UUID_FIELDS:
                row[name] = _uuid_text(row[name])
            row["at"] = _stored_time(row["at"])
            yield row


def _sqlite_where(desk_key: str | None,
                  seqs: tuple[int, int] | None) -> tuple[str, tuple[Any, ...]]:
    if desk_key is None:
        return "", ()
    if seqs is None:
        return "WHERE desk_key = ?", (desk_key,)
    return "WHERE desk_key = ? AND seq BETWEEN ? AND ?", (desk_key, *seqs)


def _uuid_text(stored: Any) -> Any:
    """SQLAlchemy keeps a UUID on SQLite as 32 hex digits; the canonical form has dashes."""
    if not isinstance(stored, str) or len(stored) != 32:
        return stored  # NULL, or not what the application writes: the hash will say so
    return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"


def _stored_time(stored: Any) -> Any:
    if not isinstance(stored, str):
        return stored
    try:
        return datetime.fromisoformat(stored).replace(tzinfo=UTC)
    except ValueError:
        return stored


def local_break(engine: Engine) -> Break | None:
    """The first broken link of this desk's own chain (the start-up check), or None."""
    with engine.connect() as conn:
        report = verify(conn, _local_key_or_blank(conn))
    return report.breaks[0] if report.breaks else None


def _local_key_or_blank(conn: Connection) -> str:
    key = conn.scalar(select(SyncState.value).where(SyncState.key == LOCAL_KEY))
    return str(key or "")


def table_present(conn: Connection) -> bool:
    if conn.dialect.name == "postgresql":
        return bool(conn.scalar(text("SELECT to_regclass('audit_log') IS NOT NULL")))
    return conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                "AND name = 'audit_log'").first() is not None

"""Desk side of a pull: apply the centre's change log in order, cursor in the same
transaction.

Pulls run only when the outbox is empty: everything this desk changed is already merged
at the centre, so the centre's log is the truth and is applied as is (no merging here).
The outbox check and the applied rows share one write transaction, so a local edit
made meanwhile is never overwritten unseen. A pulled change never enters the outbox.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, exc, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vipdesk.models import Member, SyncDeadLetter, utcnow
from vipdesk.outbox import state, tables
from vipdesk.outbox.capture import NO_CAPTURE
from vipdesk.outbox.hlc import HybridClock, Stamp
from vipdesk.outbox.ops import DELETE, INSERT, UPDATE, Change
from vipdesk.services import name_index
from vipdesk.sync import bulk, desk_file
from vipdesk.sync.central import CentreAPI
from vipdesk.sync.push import pending
from vipdesk.sync.snapshot import BehindHorizon, rebuild

log = logging.getLogger(__name__)

BATCH = 2000
NAME_FIELDS = frozenset({"name_zh", "name_latin"})
# Pulled rows go in through plain sqlite3 (bulk.py), whose errors SQLAlchemy does not wrap:
# a child of a record refused here (its member clashed) fails with sqlite3's own error.
INTEGRITY_ERRORS = (exc.IntegrityError, sqlite3.IntegrityError)
DATABASE_ERRORS = (exc.DBAPIError, sqlite3.Error)


@dataclass
class PullReport:
    applied: int = 0
    batches: int = 0
    blocked_by_outbox: bool = False
    server_time_ms: int | None = None
    failed: int = 0
    snapshot: bool = False  # rebuilt from a snapshot (the cursor was behind the horizon)
    desk_file: bool = False  # started from the centre's ready-made desk file


def pull_all(desk: Engine, centre: CentreAPI, batch_size: int = BATCH) -> PullReport:
    report = PullReport()
    from_file = _FileStart(desk, centre, report)
    while True:
        with desk.connect() as conn:
            if pending(conn):
                report.blocked_by_outbox = True
                return report
            cursor = state.cursor(conn)
        if cursor == (0, 0) and from_file.started():  # a new desk: the file, if offered
            continue
        try:
            changes, report.server_time_ms = centre.changes(cursor, batch_size)
        except BehindHorizon:  # the log it needs was trimmed: start from a snapshot
            if from_file.started():
                continue
            head, rows = centre.snapshot()
            rebuilt = rebuild(desk, head, rows, batch_size)
            if rebuilt is None:
                report.blocked_by_outbox = True
                return report
            report.applied += rebuilt
            report.snapshot = True
            continue
        if not changes:
            return report
        outcome = apply_changes(desk, changes)
        if outcome is None:
            report.blocked_by_outbox = True
            return report
        report.applied += len(changes)
        report.failed += outcome
        report.batches += 1


@dataclass
class _FileStart:
    """Tried once a pull: a desk without members starts from the centre's file."""

    desk: Engine
    centre: CentreAPI
    report: PullReport
    tried: bool = False

    def started(self) -> bool:
        if self.tried:
            return False
        self.tried = True
        adopted = start_from_desk_file(self.desk, self.centre)
        if adopted is None:
            return False
        self.report.applied += adopted
        self.report.snapshot = self.report.desk_file = True
        return True


def start_from_desk_file(desk: Engine, centre: CentreAPI) -> int | None:
    """A desk with no members starts from the centre's ready-made file when it offers
    one (`desk_file.py`); None: it does not, or the file did not fit (then the log or
    the row snapshot, as before)."""
    if not isinstance(centre, desk_file.OffersDeskFile):
        return None
    with desk.connect() as conn:
        if not desk_file.may_adopt(conn):  # checked again inside the copy's transaction
            return None
    into = _download_path(desk)
    try:
        manifest = centre.fetch_desk_file(into)
        return None if manifest is None else desk_file.adopt(desk, into, manifest)
    except desk_file.DeskFileUnusable as error:
        log.warning("the centre's desk file was not used: %s", error)
        return None
    finally:
        into.unlink(missing_ok=True)


def _download_path(desk: Engine) -> Path:
    """Beside the desk's own file (same disk, same permissions), else a temporary one."""
    database = desk.url.database
    if database and database != ":memory:":
        return Path(f"{database}.ready")
    return Path(tempfile.gettempdir()) / f"vipdesk-{uuid.uuid4().hex[:8]}.ready"


def apply_changes(desk: Engine, changes: list[Change]) -> int | None:
    """Apply one batch; None when a local change arrived first (push it, then pull).
    Returns how many changes could not be applied here (kept as dead letters)."""
    try:
        return _apply(desk, changes, careful=False)
    except INTEGRITY_ERRORS:
        return _apply(desk, changes, careful=True)


def _apply(desk: Engine, changes: list[Change], careful: bool) -> int | None:
    with Session(desk, info={NO_CAPTURE: True}) as session, session.begin():
        conn = session.connection()
        state.put(conn, "pull_started", utcnow().isoformat())  # takes the write lock first
        if pending(conn):
            session.rollback()
            return None
        applier = Applier(conn, careful)
        applier.run(changes)
        _refresh_terms(session, applier.renamed)
        _observe_stamps(conn, changes)
        state.save_cursor(conn, (changes[-1].txid, changes[-1].seq))
        return applier.failed


class Applier:
    def __init__(self, conn: Connection, careful: bool) -> None:
        self.conn = conn
        self.careful = careful
        self.renamed: set[uuid.UUID] = set()
        self.failed = 0

    def run(self, changes: list[Change]) -> None:
        for group in _runs(changes):
            if not tables.is_synced(group[0].table_name):
                continue  # a table from a newer version: nothing here to apply it to
            if self.careful:
                for change in group:
                    self._guarded(change)
            else:
                self._apply(group)

    def _guarded(self, change: Change) -> None:
        savepoint = self.conn.begin_nested()
        try:
            self._apply([change])
            savepoint.commit()
        except DATABASE_ERRORS as error:
            savepoint.rollback()
            cause = str(getattr(error, "orig", None) or error).splitlines()[0][:300]
            self._dead_letter(change, f"pulled change could not be applied here: {cause}")

    def _apply(self, group: list[Change]) -> None:
        kind = group[0].kind
        if kind == INSERT:
            self._inserts(group)
        elif kind == UPDATE:
            self._update(group[0])
        elif kind == DELETE:
            table = tables.table(group[0].table_name)
            self.conn.execute(table.delete().where(table.c.id == group[0].record_id))

    def _inserts(self, group: list[Change]) -> None:
        name = group[0].table_name
        if name == Member.__tablename__:
            self.renamed |= {c.record_id for c in group}
        # Usually every row is new here (another store's records): one statement. Else
        # (this desk's own records coming back, a clash) row by row below.
        if bulk.sqlite_insert_all_new(self.conn, name, [c.payload["row"] for c in group]):
            return
        held = bulk.sqlite_present(self.conn, name, [str(c.record_id) for c in group])
        present = {c.record_id for c in group if str(c.record_id) in held}
        fresh = [c for c in group if c.record_id not in present]
        # The common case (rows new to this desk) goes in straight from the wire form.
        clashed = bulk.sqlite_insert_wire(self.conn, name, [c.payload["row"] for c in fresh])
        for change in fresh:
            if change.payload["row"]["id"] in clashed:
                self._dead_letter(change, "pulled record clashes with a local record "
                                          "(same unique value, different id)")
        others = [c for c in group if c.record_id in present]
        if others:
            self._reconcile(name, others, {c.record_id: tables.decode_row(name, c.payload["row"])
                                           for c in others})

    def _reconcile(self, name: str, changes: list[Change],
                   rows: dict[uuid.UUID, dict[str, Any]]) -> None:
        """The id exists here (usually our own record coming back; then nothing to do),
        or another local record holds one of its unique values (a member number taken
        offline by two stores): kept as a dead letter for the administrator."""
        table = tables.table(name)
        ids = [c.record_id for c in changes]
        local = {r.id: tables.encode_row(name, r._mapping) for r in
                 self.conn.execute(select(table).where(table.c.id.in_(ids)))}
        for change in changes:
            mine = local.get(change.record_id)
            if mine is None:
                self._dead_letter(change, "pulled record clashes with a local record "
                                          "(same unique value, different id)")
            elif mine != tables.encode_row(name, rows[change.record_id]):
                values = {k: v for k, v in rows[change.record_id].items() if k != "id"}
                self.conn.execute(update(table).where(table.c.id == change.record_id)
                                  .values(values))

    def _update(self, change: Change) -> None:
        table = tables.table(change.table_name)
        values = tables.decode_row(change.table_name, change.payload["set"])
        values.pop("id", None)
        if values:
            result = self.conn.execute(update(table).where(table.c.id == change.record_id)
                                       .values(values))
            if result.rowcount == 0 and self._refused_here(change):
                # The record's own insert is waiting in a dead letter: keep the edit with
                # it, so a manager's retry applies the record as the centre has it now.
                self._dead_letter(change, "pulled change to a record this desk could not "
                                          "add yet")
        if change.table_name == Member.__tablename__ and NAME_FIELDS & set(values):
            self.renamed.add(change.record_id)

    def _refused_here(self, change: Change) -> bool:
        """An open letter holds a pulled change of this record (its insert, say)."""
        return self.conn.scalar(select(SyncDeadLetter.id).where(
            SyncDeadLetter.record_id == change.record_id,
            SyncDeadLetter.table_name == change.table_name,
            SyncDeadLetter.handled_at.is_(None),
            SyncDeadLetter.reason.startswith("pulled")).limit(1)) is not None

    def _dead_letter(self, change: Change, reason: str) -> None:
        self.failed += 1
        self.conn.execute(sqlite_insert(SyncDeadLetter).values(
            id=uuid.uuid4(), op_id=uuid.uuid4(), store=change.store, kind=change.kind,
            table_name=change.table_name, record_id=change.record_id,
            payload=tables.canonical(change.payload), reason=reason, at=utcnow()))


def _runs(changes: list[Change]) -> list[list[Change]]:
    groups: list[list[Change]] = []
    for change in changes:
        last = groups[-1] if groups else None
        if (last and change.kind == INSERT and last[0].kind == INSERT
                and last[0].table_name == change.table_name):
            last.append(change)
        else:
            groups.append([change])
    return groups


def _refresh_terms(session: Session, member_ids: set[uuid.UUID]) -> None:
    """The name search index is derived, not synced: rebuild it for renamed members."""
    if not member_ids:
        return
    session.flush()
    # Plain statements, not one ORM delete + add per member: a snapshot brings them all.
    name_index.replace_terms(session.connection(), member_ids)


def _observe_stamps(conn: Connection, changes: list[Change]) -> None:
    """Keep this desk's HLC past every pulled stamp (the centre clamped them already)."""
    # Stamps are fixed-width strings: the greatest string is the greatest stamp.
    latest = max((c.payload.get("hlc") or "" for c in changes), default="")
    if not latest:
        return
    clock = HybridClock(state.node(conn), state.last_stamp(conn))
    clock.observe(Stamp.parse(latest))
    state.save_stamp(conn, clock.last)

"""Stage 3 of the member import: checking parsed rows against the file and the database,
and writing them, one transaction per batch.

Memory stays flat however long the file: nothing here grows with the rows. Duplicates
against earlier lines are found in the database (the earlier batches are committed),
and the line an earlier member came from is kept as 4 bytes per imported member (their
rowids are consecutive within a batch). Rejections go to a callback as each batch ends;
the report keeps only the first few of them and of the imported numbers.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Member, TierChange
from vipdesk.services import import_first_load as first_load
from vipdesk.services.import_bulk import BulkWriter, Prepared, chunks
from vipdesk.services.members import MemberDataError, NewMember, add_terms, stage_member

BATCH_ROWS = 2000  # rows per transaction: ~0.5 s of writing, a few MiB in flight
KEPT = 100  # rejections and imported numbers the report holds; the rest are counted
IN_CHUNK = 500  # values per IN (...) list, well below SQLite's bound-parameter limit


@dataclass(frozen=True)
class RejectedRow:
    line: int  # physical line in the file where the record starts (header = line 1)
    reason: str
    member_no: str | None = None
    last_line: int | None = None  # when the record spans several lines


@dataclass
class ImportReport:
    path: str
    encoding: str = ""
    encoding_evidence: str = ""  # why that encoding was assumed
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)  # field → header as written
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    imported: list[str] = field(default_factory=list)  # the first KEPT member numbers
    imported_count: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)  # the first KEPT, by line
    rejected_count: int = 0
    seconds: float = 0.0
    cancelled: bool = False  # stopped between batches on request; the rest not read

    @property
    def ok(self) -> bool:
        return self.rejected_count == 0


@dataclass(frozen=True)
class ParsedRow:
    line: int
    last_line: int
    member: NewMember | None  # valid, its phones in E.164 (to_new_member)
    error: str = ""
    member_no: str | None = None
    shared_phone: bool = False  # the file says this phone is a family's, shared on purpose


Differences = Callable[[Session, Member, NewMember], list[str]]


class _Lines:
    """Which file line each member imported by this run came from: per batch its first
    rowid and the lines, 4 bytes a member."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.lines: list[array[int]] = []

    def add(self, first_rowid: int, lines: list[int]) -> None:
        self.starts.append(first_rowid)
        self.lines.append(array("I", lines))

    def line_of(self, rowid: int) -> int | None:
        i = bisect.bisect_right(self.starts, rowid) - 1
        if i < 0 or rowid - self.starts[i] >= len(self.lines[i]):
            return None
        return self.lines[i][rowid - self.starts[i]]


@dataclass(frozen=True)
class _Owner:
    member_no: str
    line: int | None  # the line of this file it came from, if this run imported it

    def says(self, what: str) -> str:
        if self.line is None:
            return f"{what}: already belongs to member {self.member_no}"
        return f"{what}: already on line {self.line} (member {self.member_no})"


class BatchImporter:
    def __init__(self, factory: sessionmaker[Session], report: ImportReport,
                 differences: Differences, on_reject: Callable[[RejectedRow], None],
                 bulk: bool = True, first_load: bool | None = None) -> None:
        self.factory = factory
        self.report = report
        self.differences = differences
        self.on_reject = on_reject
        self.bulk = bulk
        self.first_load = first_load  # None: when the desk has no members (bulk, SQLite)
        self.terms_table = "member_terms"
        self.lines = _Lines()
        self.pending: list[RejectedRow] = []
        # Per batch: what the database already holds, and what earlier rows of the batch
        # claimed (key "m:…", "p:…", "c:…" → owner).
        self.known: dict[str, _Owner] = {}

    def run(self, rows: Iterator[ParsedRow],
            progress: Callable[[int], bool] | None = None) -> bool:
        """Import every batch; False when `progress` (told the rows done after each
        committed batch) asked to stop: the batches before stay, whole."""
        if self.wants_first_load():
            return self.run_first_load(rows, progress)
        while batch := list(islice(rows, BATCH_ROWS)):
            with unit_of_work(self.factory) as session, _no_mmap(session.connection()):
                begin_write(session)
                self.batch(session, batch)
            self.flush_rejections()
            if progress is not None and not progress(self.report.rows):
                return False
        return True

    def wants_first_load(self) -> bool:
        if self.first_load is not None:
            return self.first_load and self.bulk
        with self.factory() as session:
            conn = session.connection()
            return self.bulk and conn.dialect.name == "sqlite" and first_load.is_empty(conn)

    def run_first_load(self, rows: Iterator[ParsedRow],
                       progress: Callable[[int], bool] | None) -> bool:
        """Every batch in ONE transaction, indexes built after the rows
        (`import_first_load`): a kill leaves the desk as it was. `progress` is told after
        each batch as usual; stopping keeps the batches before (they are committed)."""
        going = True
        with unit_of_work(self.factory) as session:
            conn = session.connection()
            begin_write(session)
            with _no_mmap(conn), first_load.load_cache(conn), \
                    first_load.indexes_built_after(conn):
                self.terms_table = first_load.STAGED_TERMS
                while going and (batch := list(islice(rows, BATCH_ROWS))):
                    self.batch(session, batch)
                    self.flush_rejections()
                    going = progress is None or progress(self.report.rows)
        checkpoint(self.factory)
        return going

    def batch(self, session: Session, batch: list[ParsedRow]) -> None:
        self.prefetch(session.connection(), [r.member for r in batch if r.member])
        staged = [(row, p) for row in batch if (p := self.check(session, row))]
        self.write(session, staged)

    # -- checks ---------------------------------------------------------------------

    def prefetch(self, conn: Connection, members: list[NewMember]) -> None:
        """Two or three queries per batch (not per row): who holds the batch's member
        numbers, phones and cards already."""
        self.known = {}
        numbers = [m.member_no for m in members]
        self._fetch(conn, "m:", "SELECT member_no, member_no, rowid FROM members "
                    "WHERE member_no IN ({})", numbers)
        e164s = [e for m in members for e in m.phones]  # E.164 since validation
        self._fetch(conn, "p:", "SELECT p.e164, m.member_no, m.rowid FROM member_phones p "
                    "JOIN members m ON m.id = p.member_id WHERE p.e164 IN ({})", e164s)
        cards = [c.upper() for m in members for c in m.cards]
        self._fetch(conn, "c:", "SELECT c.card_no, m.member_no, m.rowid FROM member_cards c "
                    "JOIN members m ON m.id = c.member_id WHERE c.card_no IN ({})", cards)

    def _fetch(self, conn: Connection, prefix: str, sql: str, values: list[str]) -> None:
        for part in chunks(list(dict.fromkeys(values)), IN_CHUNK):
            query = sql.format(", ".join("?" * len(part)))
            for key, member_no, rowid in conn.exec_driver_sql(query, tuple(part)):
                self.known.setdefault(prefix + key,
                                      _Owner(member_no, self.lines.line_of(rowid)))

    def check(self, session: Session, row: ParsedRow) -> Prepared | None:
        """The row ready to write; otherwise it is counted (unchanged) or rejected."""
        self.report.rows += 1
        data = row.member
        if data is None:
            self.reject(row, row.error)
            return None
        owner = self.known.get("m:" + data.member_no)
        if owner is not None and owner.line is not None:
            self.reject(row, f"member_no {data.member_no} already on line {owner.line}")
            return None
        if owner is not None:
            self.existing(session, row, data)
            return None
        prepared = Prepared(data, tuple(dict.fromkeys(data.phones)))
        problems = self.conflicts(row, prepared)
        if problems:
            self.reject(row, "; ".join(problems))
            return None
        self.claim(row, prepared)
        return prepared

    def existing(self, session: Session, row: ParsedRow, data: NewMember) -> None:
        """A member of an earlier import or the desk: the same → unchanged, else refused."""
        member = session.scalar(select(Member).where(Member.member_no == data.member_no))
        assert member is not None
        diffs = self.differences(session, member, data)
        if diffs:
            self.reject(row, f"member {data.member_no} exists, differs in {', '.join(diffs)}; "
                        "not overwritten (edit the member in the app)")
        else:
            self.report.unchanged += 1

    def conflicts(self, row: ParsedRow, prepared: Prepared) -> list[str]:
        problems = []
        if not row.shared_phone:
            problems += [owner.says(f"phone {e164}") for e164 in prepared.e164s
                         if (owner := self.known.get("p:" + e164))]
            if problems:
                problems.append("a family's shared phone needs shared_phone=yes on the row")
        cards = dict.fromkeys(c.upper() for c in prepared.data.cards)
        problems += [owner.says(f"card_no {card}") for card in cards
                     if (owner := self.known.get("c:" + card))]
        return problems

    def claim(self, row: ParsedRow, prepared: Prepared) -> None:
        """Later rows of the batch see this one's number, phones and cards as taken."""
        owner = _Owner(prepared.data.member_no, row.line)
        self.known["m:" + prepared.data.member_no] = owner
        for e164 in prepared.e164s:
            self.known.setdefault("p:" + e164, owner)
        for card in prepared.data.cards:
            self.known["c:" + card.upper()] = owner

    # -- writing --------------------------------------------------------------------

    def write(self, session: Session, staged: list[tuple[ParsedRow, Prepared]]) -> None:
        """The batch in one SAVEPOINT; if the database refuses it, each row is retried
        in its own, so every row is written whole or not at all."""
        if not staged:
            return
        try:
            with session.begin_nested():
                first = self.stage(session, [p for _, p in staged])
        except (IntegrityError, MemberDataError):
            for row, prepared in staged:
                self.write_one(session, row, prepared)
        else:
            self.imported(first, staged)

    def write_one(self, session: Session, row: ParsedRow, prepared: Prepared) -> None:
        try:
            with session.begin_nested():
                first = self.stage(session, [prepared])
        except (IntegrityError, MemberDataError) as exc:
            self.reject(row, f"the database refused the row: {str(exc).splitlines()[0][:200]}")
        else:
            self.imported(first, [(row, prepared)])

    def imported(self, first_rowid: int, staged: list[tuple[ParsedRow, Prepared]]) -> None:
        self.lines.add(first_rowid, [row.line for row, _ in staged])
        report = self.report
        report.imported_count += len(staged)
        room = KEPT - len(report.imported)
        report.imported += [p.data.member_no for _, p in staged[:max(room, 0)]]

    def stage(self, session: Session, batch: list[Prepared]) -> int:
        """Write the members; returns the first one's rowid (the rest follow it: SQLite
        gives each new row the largest rowid plus one, and the batch holds the lock)."""
        conn = session.connection()
        first = int(conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) + 1 FROM members")
                    .scalar_one())
        if self.bulk and conn.dialect.name == "sqlite":
            BulkWriter(conn, has_outbox(session), self.terms_table).write(batch)
        else:
            stage_orm(session, [p.data for p in batch])
        return first

    # -- rejections -----------------------------------------------------------------

    def reject(self, row: ParsedRow, reason: str) -> None:
        last = row.last_line if row.last_line > row.line else None
        member_no = row.member.member_no if row.member else row.member_no
        self.pending.append(RejectedRow(row.line, reason, member_no, last))

    def flush_rejections(self) -> None:
        """The batch's rejections, in line order (a row the database refused comes back
        after the batch's other checks), to the callback; the first few to the report."""
        report = self.report
        for rejected in sorted(self.pending, key=lambda r: r.line):
            report.rejected_count += 1
            if len(report.rejected) < KEPT:
                report.rejected.append(rejected)
            self.on_reject(rejected)
        self.pending = []


@contextmanager
def _no_mmap(conn: Connection) -> Iterator[None]:
    """Without the desk's memory map while a batch runs: a first load reads index pages
    all over a file of gigabytes, and each page read through the map stays in the
    process's resident memory (up to the map's 256 MiB); the page cache is enough."""
    if conn.dialect.name != "sqlite":
        yield
        return
    size = conn.exec_driver_sql("PRAGMA mmap_size").scalar()
    conn.exec_driver_sql("PRAGMA mmap_size=0")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA mmap_size={int(size or 0)}")


def checkpoint(factory: sessionmaker[Session]) -> None:
    """Copy a first load's WAL (as big as the data) into the database and truncate it,
    now rather than leaving gigabytes of WAL for the next writer to checkpoint."""
    with factory() as session:
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def stage_orm(session: Session, rows: list[NewMember]) -> None:
    """The ORM path (also what the bulk path must equal): two flushes however many rows
    (search terms refer to their member by id only, so they follow its INSERT); the
    outbox capture hook records each flush."""
    members = [stage_member(session, data) for data in rows]
    session.flush()
    for member, data in zip(members, rows, strict=True):
        add_terms(session, member)
        if data.tier_code:
            spend = f"¥{data.spend_12m_cents // 100:,}"
            session.add(TierChange(member_id=member.id, from_tier=None,
                                   to_tier=data.tier_code, kind="auto",
                                   reason=f"imported, 12m spend {spend}"))
    session.flush()


def has_outbox(session: Session) -> bool:
    """Whether the ORM path's capture would record these rows (a desk, capturing)."""
    from vipdesk.outbox.capture import NO_CAPTURE

    if session.info.get(NO_CAPTURE):
        return False
    found = session.connection().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sync_outbox'").first()
    return found is not None


def begin_write(session: Session) -> None:
    """Open the batch's transaction now, and take SQLite's write lock up front.

    pysqlite only begins a transaction at the first INSERT; a SAVEPOINT issued before that
    would *be* the outer transaction and its RELEASE would commit. BEGIN IMMEDIATE also
    avoids a busy error halfway through the batch when the UI is reading.
    """
    conn = session.connection()
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and not getattr(dbapi, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


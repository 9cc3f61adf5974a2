"""Purchases from the store's POS export (SPEC §3): each one updates its member's trailing
spend, tier and points.

The rows are read and checked by `purchase_rows`. Each row names its member by phone,
card or member number, and the receipt by store and receipt number: that pair is the
purchase's identity, so re-importing an export (or an overlapping one) changes nothing.
Members and known receipts are looked up a batch at a time; the batch's purchases,
points and outbox ops are written with executemany (`purchase_writes`, tested equal to
the ORM path), a batch per transaction (a large file: one transaction, its indexes built
after) and a SAVEPOINT per row when the batch is refused, so a row is written whole
(purchase and points) or not at all. Once the file is in, every member it touched is
re-tiered once, set-based (`tiers.retier`).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.outbox.bulk import captures
from vipdesk.services import auth, phones, store_time, tiers
from vipdesk.services.clock import Clock
from vipdesk.services.importer import (
    FIELD_LIMIT,
    ImportFileError,
    RejectedRow,
    RowError,
    _begin_write,
    detect_encoding,
)
from vipdesk.services.purchase_rows import PurchaseImportReport, PurchaseRow, read_rows
from vipdesk.services.purchase_writes import (
    IndexesBuiltAfter,
    PurchaseToWrite,
    PurchaseWriter,
    is_large,
    stored_datetime,
)
from vipdesk.services.tiers import TierTable, load_tier_table

BATCH_ROWS = 5000  # rows per transaction: what a kill mid-way keeps or loses whole
IN_CHUNK = 500  # values per IN (...) list, well below SQLite's bound-parameter limit

# -- finding members and stores -------------------------------------------------------


_TIER = "coalesce(m.tier_override_code, m.tier_code)"


class _Members:
    """Who each row names, looked up a batch at a time (three queries per batch, ids as
    stored: 32 hex digits). Forgotten after each batch, so memory stays flat."""

    def __init__(self) -> None:
        self.by_no: dict[str, str] = {}
        self.by_card: dict[str, str] = {}
        self.by_phone: dict[str, set[str]] = {}
        self.erased: set[str] = set()
        self.e164_of: dict[str, str | None] = {}  # as written → normalised (None: invalid)
        self.tier_of: dict[str, str | None] = {}

    def prefetch(self, conn: Connection, rows: list[PurchaseRow]) -> None:
        """Who holds the batch's numbers, with their tier as the points are earned (an
        override counts): one query per kind of number, each member row read once."""
        for known in (self.by_no, self.by_card, self.by_phone, self.erased, self.e164_of,
                      self.tier_of):
            known.clear()
        for r in rows:
            if r.phone and r.phone not in self.e164_of:
                self.e164_of[r.phone] = phones.try_normalize(r.phone)
        numbers = list({r.member_no for r in rows if r.member_no})
        for no, mid, erased, tier in _select_in(
                conn, f"SELECT member_no, id, erased_at IS NOT NULL, {_TIER} FROM members m "
                "WHERE member_no IN ({})", numbers):
            self.by_no[no] = mid
            self.tier_of[mid] = tier
            if erased:
                self.erased.add(mid)
        for card, mid, tier in _select_in(
                conn, f"SELECT c.card_no, c.member_id, {_TIER} FROM member_cards c "
                "JOIN members m ON m.id = c.member_id WHERE c.card_no IN ({})",
                list({r.card_no for r in rows if r.card_no})):
            self.by_card[card] = mid
            self.tier_of[mid] = tier
        e164s = list({e for r in rows if r.phone and (e := self.e164_of[r.phone])})
        for e164, mid, tier in _select_in(
                conn, f"SELECT p.e164, p.member_id, {_TIER} FROM member_phones p "
                "JOIN members m ON m.id = p.member_id WHERE p.e164 IN ({})", e164s):
            self.by_phone.setdefault(e164, set()).add(mid)
            self.tier_of[mid] = tier

    def resolve(self, row: PurchaseRow) -> str:
        found: dict[str, str] = {}
        if row.member_no:
            found["member_no"] = self._one(self.by_no.get(row.member_no), "member_no",
                                           row.member_no)
        if row.card_no:
            found["card_no"] = self._one(self.by_card.get(row.card_no), "card_no", row.card_no)
        if row.phone:
            found["phone"] = self._by_phone(row.phone)
        if len(set(found.values())) > 1:
            raise RowError(f"{' and '.join(found)} name different members")
        member_id = next(iter(found.values()))
        if member_id in self.erased:
            raise RowError("the member's data was erased; purchases are not recorded")
        return member_id

    @staticmethod
    def _one(member_id: str | None, name: str, value: str) -> str:
        if member_id is None:
            raise RowError(f"{name} {value}: no such member")
        return member_id

    def _by_phone(self, text: str) -> str:
        e164 = self.e164_of.get(text)
        if e164 is None:
            try:
                e164 = phones.normalize(text)
            except phones.InvalidPhone as exc:
                raise RowError(f"phone: {exc}") from exc
        owners = self.by_phone.get(e164, set())
        if not owners:
            raise RowError(f"phone {phones.mask(e164)}: no such member")
        if len(owners) > 1:
            raise RowError(f"phone {phones.mask(e164)}: shared by {len(owners)} members; "
                           "give the card or member number")
        return next(iter(owners))


def _select_in(conn: Connection, sql: str, values: list[str], *first: str
               ) -> Iterator[Any]:
    """`sql` with its `IN ({})` filled by `values`, 500 at a time (SQLite's bound
    parameters are limited); `first` are parameters before the list."""
    for start in range(0, len(values), IN_CHUNK):
        part = values[start:start + IN_CHUNK]
        yield from conn.exec_driver_sql(sql.format(", ".join("?" * len(part))),
                                        (*first, *part))


# -- writing --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Staged:
    row: PurchaseRow
    member_id: str
    store_id: str
    occurred_db: str


Stored = tuple[str, int, str]  # a receipt the desk holds: member id, cents, time as stored


def write_batch(session: Session, batch: list[PurchaseToWrite], capture: bool) -> None:
    """The batch's purchases and points, and their ops (`purchase_writes`)."""
    PurchaseWriter(session.connection(), capture).write(batch)


class _Importer:
    def __init__(self, factory: sessionmaker[Session], table: TierTable,
                 report: PurchaseImportReport) -> None:
        self.factory = factory
        self.table = table
        self.report = report
        self.stores: dict[str, str] = {}
        # store → receipt → its line in this file (per store: no key tuple per receipt,
        # ~60 MB less at a million rows)
        self.seen: dict[str, dict[str, int]] = {}
        self.touched: set[str] = set()
        self.members = _Members()
        self.capture = False
        self.indexes: IndexesBuiltAfter | None = None  # a large file's, in its one transaction

    def run(self, rows: Iterator[PurchaseRow | RejectedRow], path: Path) -> None:
        """A transaction per batch; a large file in one, its indexes built after."""
        with self.factory() as session:
            conn = session.connection()
            self.stores = {code: sid for code, sid in conn.exec_driver_sql(
                "SELECT code, id FROM stores")}
            self.capture = captures(session)
            large = is_large(conn, path)
        if large:
            with unit_of_work(self.factory) as session:
                _begin_write(session)
                self.indexes = IndexesBuiltAfter(session.connection())
                while batch := list(islice(rows, BATCH_ROWS)):
                    self.batch(session, batch)
                self.indexes.rebuild()
        while batch := list(islice(rows, BATCH_ROWS)):
            with unit_of_work(self.factory) as session:
                _begin_write(session)
                self.batch(session, batch)
        self.report.rejected.sort(key=lambda r: r.line)

    def batch(self, session: Session, batch: list[PurchaseRow | RejectedRow]) -> None:
        conn = session.connection()
        good = [r for r in batch if isinstance(r, PurchaseRow)]
        self.members.prefetch(conn, good)
        existing = self.existing(conn, good)
        staged = [s for r in batch if (s := self.check(r, existing))]
        self.write(session, staged)

    def existing(self, conn: Connection, rows: list[PurchaseRow]
                 ) -> dict[tuple[str, str], Stored]:
        """What the desk already holds of the batch's receipts. One store at a time with
        `receipt_no IN (…)`: SQLite answers a row-value IN by scanning the whole index."""
        by_store: dict[str, set[str]] = {}
        for r in rows:
            if r.store in self.stores:
                by_store.setdefault(self.stores[r.store], set()).add(r.receipt_no)
        out: dict[tuple[str, str], Stored] = {}
        for store_id, receipts in by_store.items():
            for receipt, member_id, cents, at in _select_in(
                    conn, "SELECT receipt_no, member_id, amount_cents, occurred_at "
                    "FROM purchases WHERE store_id = ? AND receipt_no IN ({})",
                    sorted(receipts), store_id):
                out[(store_id, receipt)] = (member_id, cents, at)
        return out

    def check(self, row: PurchaseRow | RejectedRow,
              existing: dict[tuple[str, str], Stored]) -> _Staged | None:
        self.report.rows += 1
        if isinstance(row, RejectedRow):
            self.report.rejected.append(row)
            return None
        try:
            return self.stage(row, existing)
        except RowError as exc:
            self.reject(row, str(exc))
            return None

    def stage(self, row: PurchaseRow, existing: dict[tuple[str, str], Stored]
              ) -> _Staged | None:
        first = self.seen.setdefault(row.store, {}).setdefault(row.receipt_no, row.line)
        if first != row.line:
            raise RowError(f"receipt {row.receipt_no} of store {row.store} already on "
                           f"line {first}")
        store_id = self.stores.get(row.store)
        if store_id is None:
            known = ", ".join(sorted(self.stores)[:10]) or "none yet: stores come from the centre"
            raise RowError(f"store {row.store}: no such store (this desk knows {known})")
        member_id = self.members.resolve(row)
        occurred_db = stored_datetime(row.occurred_at)
        stored = existing.get((store_id, row.receipt_no))
        if stored is None:
            return _Staged(row, member_id, store_id, occurred_db)
        if stored == (member_id, row.amount_cents, occurred_db):
            self.report.unchanged += 1
            return None
        raise RowError(f"receipt {row.receipt_no} of store {row.store} was imported before "
                       "with another member, amount or time; not overwritten")

    def write(self, session: Session, staged: list[_Staged]) -> None:
        """The batch in one SAVEPOINT; if the database refuses it, row by row, so one bad
        row cannot sink the others and none is half-written."""
        if not staged:
            return
        # By member: the foreign-key checks and the member-keyed indexes then walk their
        # pages in order instead of one random page a row.
        staged.sort(key=lambda s: s.member_id)
        batch = [self.to_write(s, self.members.tier_of) for s in staged]
        if self.indexes is not None:
            self.indexes.drop()
        try:
            with session.begin_nested():
                write_batch(session, batch, self.capture)
            written = batch
        except IntegrityError:
            written = [item for s, item in zip(staged, batch, strict=True)
                       if self.write_one(session, s, item)]
        for item in written:
            self.report.imported += 1
            self.report.points += item.points
            self.touched.add(item.member_id)

    def write_one(self, session: Session, staged: _Staged, item: PurchaseToWrite) -> bool:
        try:
            with session.begin_nested():
                write_batch(session, [item], self.capture)
            return True
        except IntegrityError as exc:
            reason = str(exc.orig or exc).splitlines()[0][:200]
            self.reject(staged.row, f"the database refused the row: {reason}")
            return False

    def to_write(self, staged: _Staged, tier_of: dict[str, str | None]) -> PurchaseToWrite:
        row = staged.row
        return PurchaseToWrite(
            staged.member_id, staged.store_id, row.store, row.occurred_at, staged.occurred_db,
            row.amount_cents, row.items, row.receipt_no,
            self.table.points_for(row.amount_cents, tier_of.get(staged.member_id)))

    def reject(self, row: PurchaseRow, reason: str) -> None:
        last = row.last_line if row.last_line > row.line else None
        self.report.rejected.append(RejectedRow(row.line, reason, row.member_no, last))


def retier_members(factory: sessionmaker[Session], member_ids: set[str],
                   table: TierTable, now: datetime) -> dict[str, int]:
    """Each member once, whatever number of their purchases the file held, set-based
    (`tiers.retier`); moves counted as "old → new"."""
    if not member_ids:
        return {}
    with unit_of_work(factory) as session:
        report = tiers.retier(session, table, tiers.WHY_SPEND, now, only=member_ids)
    return {f"{before or '-'} → {after or '-'}": n for (before, after), n in report.moves.items()}

# -- the whole file -------------------------------------------------------------------


def import_purchases(factory: sessionmaker[Session], path: Path | str, actor: auth.Actor,
                     store_code: str, clock: Clock | None = None,
                     table: TierTable | None = None) -> PurchaseImportReport:
    """Import the file's good rows, report the others; raises ImportFileError (nothing
    imported) when the file as a whole cannot be read. `store_code` is the store of rows
    whose file has no store column or leaves the cell empty."""
    auth.require(actor, "member.import")
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    clock = clock or Clock()
    started = time.perf_counter()
    with factory() as session:
        table = table or load_tier_table(session)
        zone = ZoneInfo(store_time.zone_name(session, store_code.upper()))
    report = PurchaseImportReport(str(path), encoding=detect_encoding(path))
    importer = _Importer(factory, table, report)
    old_limit = csv.field_size_limit(FIELD_LIMIT)
    try:
        with path.open(encoding=report.encoding, newline="") as fh:
            rows = read_rows(fh, report, store_code.upper(), zone, clock.now())
            importer.run(rows, path)
    finally:
        csv.field_size_limit(old_limit)
    report.members = len(importer.touched)
    report.tier_moves = retier_members(factory, importer.touched, table, clock.now())
    report.seconds = time.perf_counter() - started
    return report

"""The audit log (SPEC §10): every view of a member's file, every reveal of masked data,
every change, export and print, and every sign-in — who, when, which desk and store.

Append-only: this module only ever inserts (there is no update or delete function) and
the migrations' triggers make the database refuse UPDATE/DELETE on `audit_log` and any
insert over an existing entry. Each desk's entries form a hash chain, filled in at flush
(`vipdesk.outbox.audit_chain`), so whatever gets past the triggers shows. Write
the entry in the same unit of work as the thing it records, so both commit or neither.
Details never carry the personal data itself (a reveal records the reason, not the
number), so an erasure leaves nothing personal behind in the log.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.models import AuditEntry, Member
from vipdesk.outbox import audit_chain
from vipdesk.services import auth, scan
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock

MAX_DETAIL = 2000
DEFAULT_LIMIT = 200
CSV_COLUMNS = ("at", "staff_no", "staff_name", "role", "store_id", "desk", "action",
               "member_no", "member_id", "detail")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

audit_chain.install()  # every entry gets its place in the desk's chain at flush


@dataclass(frozen=True)
class AuditRow:
    id: uuid.UUID
    at: datetime
    staff_no: str
    staff_name: str
    role: str
    store_id: uuid.UUID | None
    desk: str
    action: str
    member_id: uuid.UUID | None
    member_no: str | None
    detail: str


def record(session: Session, actor: Actor, action: str, member_id: uuid.UUID | None = None,
           detail: str = "", clock: Clock | None = None) -> None:
    """Add one entry to the caller's unit of work (it commits with what it records)."""
    session.add(AuditEntry(
        at=(clock or Clock()).now(), staff_id=actor.staff_id, staff_no=actor.staff_no,
        staff_name=actor.name, role=actor.role, store_id=actor.store_id, desk=actor.desk,
        action=action, member_id=member_id, detail=_clean_detail(detail),
    ))


def member_viewed(session: Session, actor: Actor, member_id: uuid.UUID,
                  clock: Clock | None = None, how: str = "") -> None:
    """Call when the UI opens a member's card: the view itself is what is audited."""
    auth.require(actor, "member.view")
    record(session, actor, "member.view", member_id, how, clock)


def member_changed(session: Session, actor: Actor, member_id: uuid.UUID, what: str,
                   clock: Clock | None = None) -> None:
    record(session, actor, "member.change", member_id, what, clock)


def exported(session: Session, actor: Actor, what: str, member_id: uuid.UUID | None = None,
             clock: Clock | None = None) -> None:
    record(session, actor, "member.export", member_id, what, clock)


def printed(session: Session, actor: Actor, member_id: uuid.UUID, what: str,
            clock: Clock | None = None) -> None:
    record(session, actor, "member.print", member_id, what, clock)


def entries(session: Session, actor: Actor, member_id: uuid.UUID | None = None,
            limit: int = DEFAULT_LIMIT, action: str | None = None) -> list[AuditRow]:
    """Newest first. Managers and administrators only."""
    auth.require(actor, "audit.view")
    stmt = (select(AuditEntry, Member.member_no)
            .outerjoin(Member, Member.id == AuditEntry.member_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    if member_id is not None:
        stmt = stmt.where(AuditEntry.member_id == member_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if limit > 0:
        stmt = stmt.limit(limit)
    return [_row(entry, member_no) for entry, member_no in session.execute(stmt)]


def export_csv(session: Session, actor: Actor, out: TextIO,
               member_id: uuid.UUID | None = None, clock: Clock | None = None) -> int:
    """Write the log (all of it, or one member's) as CSV; the export is itself audited."""
    auth.require(actor, "audit.export")
    rows = entries(session, actor, member_id, limit=0)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(csv_cells(row))
    record(session, actor, "audit.export", member_id, f"{len(rows)} entries", clock)
    return len(rows)


def csv_cells(row: AuditRow) -> list[str]:
    values: Sequence[object] = (
        row.at.isoformat(), row.staff_no, row.staff_name, row.role, row.store_id or "",
        row.desk, row.action, row.member_no or "", row.member_id or "", row.detail)
    return [_defuse(str(v)) for v in values]


def _defuse(cell: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula: quote it first."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _clean_detail(detail: str) -> str:
    return scan.clean(detail[: MAX_DETAIL * 2])[:MAX_DETAIL]


def _row(entry: AuditEntry, member_no: str | None) -> AuditRow:
    return AuditRow(
        id=entry.id, at=entry.at, staff_no=entry.staff_no, staff_name=entry.staff_name,
        role=entry.role, store_id=entry.store_id, desk=entry.desk, action=entry.action,
        member_id=entry.member_id, member_no=member_no, detail=entry.detail,
    )

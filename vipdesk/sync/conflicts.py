"""Concurrent edits for a manager to review: plain data to list, one call to settle.

The centre already resolved each conflict by last-writer-wins (sync never waits for a
person); the record here says what was kept and what lost. Settling "kept" confirms;
settling "lost" writes the losing value back as a new edit, which syncs everywhere.
An alert that a desk's audit chain arrived broken at the centre (`chain_watch`) is
listed here too; it can only be acknowledged.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.models import AuditEntry, Base, Member, SyncConflict
from vipdesk.outbox import tables
from vipdesk.outbox.hlc import Stamp
from vipdesk.services import auth
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock

CHOICES = ("kept", "lost")


class SettleError(ValueError):
    """The conflict cannot be settled as asked (unknown, settled, record gone)."""


@dataclass(frozen=True)
class ConflictView:
    id: uuid.UUID
    table_name: str
    record_id: uuid.UUID
    label: str  # what the record is to a person: the member's number and name
    field: str
    kept_value: Any
    kept_store: str
    kept_at: datetime | None
    lost_value: Any
    lost_store: str
    lost_at: datetime | None
    detected_at: datetime
    settled_at: datetime | None
    settled_by: str | None
    settled_choice: str | None
    chain_alert: bool = False  # a desk's audit chain arrived broken: acknowledge only


def list_conflicts(session: Session, *, open_only: bool = True,
                   limit: int = 200) -> list[ConflictView]:
    """Newest first; plain data the UI can show without touching the database again."""
    stmt = select(SyncConflict).order_by(SyncConflict.detected_at.desc()).limit(limit)
    if open_only:
        stmt = stmt.where(SyncConflict.settled_at.is_(None))
    rows = session.scalars(stmt).all()
    labels = _labels(session, rows)
    return [_view(c, labels.get(c.record_id, c.table_name)) for c in rows]


def settle_conflict(session: Session, conflict_id: uuid.UUID, choice: str, actor: Actor,
                    clock: Clock | None = None) -> None:
    """Confirm what was kept, or put the losing value back (in the caller's transaction)."""
    auth.require(actor, "sync.settle")
    if choice not in CHOICES:
        raise SettleError(f"choice: must be one of {', '.join(CHOICES)}")
    conflict = session.get(SyncConflict, conflict_id)
    if conflict is None:
        raise SettleError(f"conflict {conflict_id}: not found")
    if conflict.settled_at is not None:
        raise SettleError("this conflict was already settled")
    if choice == "lost" and is_chain_alert(conflict):
        raise SettleError("an audit log entry cannot be put back: acknowledge the alert "
                          "and check the desk (`vipdesk audit verify`)")
    if choice == "lost":
        _restore(session, conflict)
    conflict.settled_at = (clock or Clock()).now()
    conflict.settled_by = actor.name
    conflict.settled_choice = choice
    session.flush()


def is_chain_alert(conflict: SyncConflict | ConflictView) -> bool:
    """The centre found a desk's audit chain broken (vipdesk.sync.chain_watch): nothing to
    choose between, only to acknowledge."""
    return conflict.table_name == AuditEntry.__tablename__


def _restore(session: Session, conflict: SyncConflict) -> None:
    mapped = _mapped_class(conflict.table_name)
    record = session.get(mapped, conflict.record_id)
    if record is None:
        raise SettleError("the record no longer exists (deleted or erased)")
    if isinstance(record, Member) and record.erased_at is not None:
        raise SettleError("the member was erased: their data cannot come back")
    column = tables.table(conflict.table_name).c[conflict.field]
    value = tables.decode_value(column, _loads(conflict.lost_value))
    key = mapped.__mapper__.get_property_by_column(column).key  # type: ignore[attr-defined]
    setattr(record, key, value)


def _mapped_class(table_name: str) -> type:
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == table_name:
            return mapper.class_
    raise SettleError(f"table {table_name!r} is not known to this version")


def _labels(session: Session, rows: Any) -> dict[uuid.UUID, str]:
    ids = {c.record_id for c in rows if c.table_name == Member.__tablename__}
    if not ids:
        return {}
    members = session.execute(select(Member.id, Member.member_no, Member.name_zh,
                                     Member.name_latin).where(Member.id.in_(ids)))
    return {m.id: f"{m.member_no} {m.name_zh or m.name_latin or ''}".strip() for m in members}


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _stamp_time(hlc: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(Stamp.parse(hlc).wall_ms / 1000, UTC)
    except (ValueError, OverflowError):
        return None


def _view(c: SyncConflict, label: str) -> ConflictView:
    return ConflictView(
        id=c.id, table_name=c.table_name, record_id=c.record_id, label=label, field=c.field,
        kept_value=_loads(c.kept_value), kept_store=c.kept_store, kept_at=_stamp_time(c.kept_hlc),
        lost_value=_loads(c.lost_value), lost_store=c.lost_store, lost_at=_stamp_time(c.lost_hlc),
        detected_at=c.detected_at, settled_at=c.settled_at, settled_by=c.settled_by,
        settled_choice=c.settled_choice, chain_alert=is_chain_alert(c))

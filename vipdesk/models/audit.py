"""The audit log (SPEC §10): who looked at or changed what, when, from which desk.

Append-only. The application has no code path that updates or deletes a row, and the
database refuses to as well: the migration installs triggers that abort any UPDATE or
DELETE on `audit_log` (SQLite and PostgreSQL). Who did it is copied onto the row
(staff number, name, role) so the entry still reads correctly after the account is
renamed or disabled. `member_id` is deliberately not a foreign key: the entry must
outlive the member's erasure, and it carries no personal data of its own.

Tamper-evident: each desk's entries form a hash chain (`desk_key`, `seq` 1, 2, 3…,
`prev_hash` = the previous entry's `entry_hash`, `entry_hash` over a canonical form of
the entry; `vipdesk.services.audit`). The chain fields travel with the row through sync,
so every database can check every desk's chain (`vipdesk audit verify`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vipdesk.models.base import Base, IdMixin


class AuditEntry(IdMixin, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_member_at", "member_id", "at"),
        Index("ix_audit_log_at", "at"),
        # One entry per place in a desk's chain: two writers cannot fork it.
        UniqueConstraint("desk_key", "seq", name="uq_audit_log_desk_key_seq"),
    )

    at: Mapped[datetime]
    staff_id: Mapped[uuid.UUID | None]
    staff_no: Mapped[str] = mapped_column(String(32), default="")
    staff_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="")
    store_id: Mapped[uuid.UUID | None]
    desk: Mapped[str] = mapped_column(String(64), default="")
    # member.view, member.reveal, member.change, member.export, member.print,
    # audit.export, staff.sign_in, staff.sign_in_failed, staff.add, …
    action: Mapped[str] = mapped_column(String(48))
    member_id: Mapped[uuid.UUID | None]
    detail: Mapped[str] = mapped_column(Text, default="")
    # The hash chain of the desk that wrote the entry (filled in at flush).
    desk_key: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int]
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

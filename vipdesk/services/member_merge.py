"""Merging two records of one person (SPEC §2: managers merge duplicates).

Everything that belongs to the removed record moves to the kept one — visits, purchases,
points, complaints, home visits, care contacts, surveys, tier changes, queue entries,
phones, cards and preferences — through the ORM session, so the sync outbox carries each
move. Empty fields of the kept member are filled from the removed one (never
overwritten). The removed member is then deleted the normal way (the sync turns that
into a tombstone everywhere). Audited on both; one unit of work: all or nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vipdesk.models import Base, Member, MemberPhone, MemberTerm
from vipdesk.services import audit, auth, members, tiers
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.records import load_member

FILLED_FIELDS = ("name_zh", "name_latin", "gender", "birthday", "birthday_md", "email",
                 "address", "occupation", "family", "hobbies", "career", "lifestyle",
                 "referral", "purchase_intent", "advisor_id", "consent_at", "consent_by")


class MergeError(ValueError):
    """The two records cannot be merged; the message says why."""


@dataclass(frozen=True)
class Merged:
    kept_id: uuid.UUID
    kept_no: str
    removed_no: str
    moved: int  # records that now belong to the kept member
    filled: tuple[str, ...]  # fields of the kept member filled from the removed one


def _member_classes() -> list[Any]:
    """Mapped classes with a `member_id` pointing at members, the search index aside."""
    found = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        column = table.c.get("member_id")
        if column is None or mapper.class_ is MemberTerm:
            continue
        if any(fk.column.table.name == "members" for fk in column.foreign_keys):
            found.append(mapper.class_)
    return sorted(found, key=lambda cls: cls.__tablename__)


def merge_members(session: Session, actor: Actor, keep_id: uuid.UUID, remove_id: uuid.UUID,
                  table: tiers.TierTable, clock: Clock | None = None) -> Merged:
    clock = clock or Clock()
    auth.require(actor, "member.merge")
    if keep_id == remove_id:
        raise MergeError("merge: the two records are the same member")
    keep, gone = load_member(session, keep_id), load_member(session, remove_id)
    filled = _fill(keep, gone)
    moved = _move_phones(session, keep, gone)
    for cls in _member_classes():
        if cls is MemberPhone:
            continue
        rows = list(session.scalars(select(cls).where(cls.member_id == gone.id)))
        if cls.__table__.info.get("sync") is False:
            for row in rows:  # desk-local caches (care tasks, watches): rebuilt from history
                session.delete(row)
            continue
        for row in rows:
            row.member_id = keep.id
        moved += len(rows)
    session.flush()
    session.expire(gone)  # its collections were moved away under it
    session.execute(delete(MemberTerm).where(MemberTerm.member_id == gone.id))
    session.delete(gone)
    if {"name_zh", "name_latin"} & set(filled):
        members.write_terms(session, keep)
    tiers.recompute_member(session, keep, table, clock.now())
    session.flush()
    audit.member_changed(session, actor, keep.id,
                         f"merged {gone.member_no} into this member: {moved} records moved"
                         + (f"; filled {', '.join(filled)}" if filled else ""), clock)
    audit.record(session, actor, "member.merge", gone.id, f"merged into {keep.member_no}",
                 clock)
    return Merged(keep.id, keep.member_no, gone.member_no, moved, tuple(filled))


def _fill(keep: Member, gone: Member) -> list[str]:
    filled = []
    for name in FILLED_FIELDS:
        if getattr(keep, name) in (None, "") and getattr(gone, name) not in (None, ""):
            setattr(keep, name, getattr(gone, name))
            filled.append(name)
    return filled


def _move_phones(session: Session, keep: Member, gone: Member) -> int:
    """The removed record's phones join the kept one (a number both have is kept once)."""
    have = {p.e164 for p in keep.phones}
    moved = 0
    for phone in list(gone.phones):
        if phone.e164 in have:
            session.delete(phone)
            continue
        phone.member_id, phone.is_primary = keep.id, False
        moved += 1
    return moved

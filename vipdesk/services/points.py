"""Points: a ledger of rows, the balance is their sum (SPEC §3). Never edited, never stored.

Spending points must not take a balance below zero even when two desks' threads redeem
at once. The check runs in the same transaction as the write, *after* the insert: on
SQLite the insert takes the database's single write lock, so no other writer can commit
between our insert and our check; on PostgreSQL the member row is locked first
(`FOR UPDATE`), which serialises writers of the same member's points.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Member, PointsEntry
from vipdesk.services import auth, validation
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.records import load_member, member_for
from vipdesk.services.tiers import TierTable, effective_tier_code, set_override
from vipdesk.services.validation import FieldError

MAX_ENTRY = 10_000_000  # one row's size limit: a typo guard, not a business rule
MAX_REASON = 500
COMPENSATION_MIN, COMPENSATION_MAX = 100, 500  # minor complaints (SPEC §5)
KINDS = ("earn", "redeem", "compensation", "adjust", "referral", "event")


class InsufficientPoints(ValueError):
    """A redemption or adjustment would take the balance below zero."""


@dataclass(frozen=True)
class PointsDraft:
    kind: str
    points: int | None  # positive for earn/redeem/compensation; signed for adjust
    reason: str | None = None


@dataclass(frozen=True)
class PointsRecord:
    entry_id: uuid.UUID
    member_id: uuid.UUID
    delta: int
    kind: str
    reason: str | None
    at: datetime
    balance: int  # after this entry


def validate_points(draft: PointsDraft) -> list[FieldError]:
    errors = validation.choice("kind", draft.kind, KINDS)
    if draft.kind == "adjust":
        errors += validation.int_range("points", draft.points, -MAX_ENTRY, MAX_ENTRY)
        if draft.points == 0:
            errors.append(FieldError("points", "an adjustment of 0 changes nothing"))
        errors += validation.text("reason", draft.reason, limit=MAX_REASON, required=True)
    else:
        errors += validation.int_range("points", draft.points, 1, MAX_ENTRY)
        errors += validation.text("reason", draft.reason, limit=MAX_REASON,
                                  required=draft.kind in ("redeem", "compensation"))
    return errors


def balance(session: Session, member_id: uuid.UUID) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(PointsEntry.delta), 0))
        .where(PointsEntry.member_id == member_id)
    )
    return int(total or 0)


def lock_member(session: Session, member_id: uuid.UUID) -> None:
    """Serialise points writers of one member (PostgreSQL; SQLite has one writer anyway)."""
    session.execute(select(Member.id).where(Member.id == member_id).with_for_update())


def post(session: Session, member_id: uuid.UUID, delta: int, kind: str, reason: str | None,
         at: datetime, by: uuid.UUID | None, ref_id: uuid.UUID | None = None) -> PointsRecord:
    """Write one ledger row; refuse (and so roll back) if the balance would go negative."""
    lock_member(session, member_id)
    entry = PointsEntry(member_id=member_id, delta=delta, kind=kind,
                        reason=validation.clean(reason), ref_id=ref_id, created_by=by,
                        created_at=at)
    session.add(entry)
    session.flush()  # the insert takes SQLite's write lock before we read the sum
    after = balance(session, member_id)
    if delta < 0 and after < 0:
        raise InsufficientPoints(
            f"points: balance is {after - delta:,}, cannot take {-delta:,}")
    return PointsRecord(entry.id, member_id, delta, kind, entry.reason, at, after)


def compensate(session: Session, actor: Actor, member_id: uuid.UUID, points: int,
               reason: str, complaint_id: uuid.UUID, at: datetime) -> PointsRecord:
    """Complaint compensation, inside the complaint's own transaction."""
    auth.require(actor, "complaint.compensate")
    validation.raise_if(validate_points(PointsDraft("compensation", points, reason)))
    return post(session, member_id, points, "compensation", reason, at, actor.staff_id,
                ref_id=complaint_id)


_ACTION = {"earn": "points.earn", "redeem": "points.redeem", "adjust": "points.adjust"}


class PointsService:
    """Earn, redeem and adjust points; each call is one transaction."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock | None = None) -> None:
        self.factory = factory
        self.clock = clock or Clock()

    def balance(self, member_id: uuid.UUID) -> int:
        with self.factory() as session:
            load_member(session, member_id)
            return balance(session, member_id)

    def history(self, member_id: uuid.UUID, limit: int = 100) -> list[PointsRecord]:
        with self.factory() as session:
            rows = session.scalars(
                select(PointsEntry).where(PointsEntry.member_id == member_id)
                .order_by(PointsEntry.created_at, PointsEntry.id)
            ).all()
        running, out = 0, []
        for row in rows:
            running += row.delta
            out.append(PointsRecord(row.id, member_id, row.delta, row.kind, row.reason,
                                    row.created_at, running))
        return list(reversed(out))[:limit]

    def earn(self, actor: Actor, member_id: uuid.UUID, points: int,
             reason: str | None = None) -> PointsRecord:
        return self._apply(actor, member_id, PointsDraft("earn", points, reason))

    def redeem(self, actor: Actor, member_id: uuid.UUID, points: int,
               reason: str) -> PointsRecord:
        return self._apply(actor, member_id, PointsDraft("redeem", points, reason))

    def adjust(self, actor: Actor, member_id: uuid.UUID, points: int,
               reason: str) -> PointsRecord:
        """A manager's correction (either sign), always with a reason."""
        return self._apply(actor, member_id, PointsDraft("adjust", points, reason))

    def record(self, actor: Actor, member_id: uuid.UUID, draft: PointsDraft) -> PointsRecord:
        """Earn, redeem or adjust as the draft says (the form's way in)."""
        return self._apply(actor, member_id, draft)

    def _apply(self, actor: Actor, member_id: uuid.UUID, draft: PointsDraft) -> PointsRecord:
        validation.raise_if(validate_points(draft))
        assert draft.points is not None
        delta = -draft.points if draft.kind == "redeem" else draft.points
        with unit_of_work(self.factory) as session:
            auth.require(actor, _ACTION[draft.kind])
            load_member(session, member_id)
            return post(session, member_id, delta, draft.kind, draft.reason,
                        self.clock.now(), actor.staff_id)

    def override_tier(self, actor: Actor, member_id: uuid.UUID, tier_code: str | None,
                      reason: str, table: TierTable) -> str | None:
        """A manager's tier override (None clears it); returns the effective tier code."""
        with unit_of_work(self.factory) as session:
            member = member_for(session, actor, "tier.override", member_id)
            set_override(session, member, tier_code, reason, actor.staff_id, table)
            return effective_tier_code(member)

"""The peak-hour priority queue (高峰时段优先接待, SPEC §6).

Order (the rule, stated once): every waiting guest has an *effective priority* in
minutes,

    priority = minutes waited + TIER_STEP_MINUTES × tier rank
               + APPOINTMENT_MINUTES (appointment held by a tier with priority booking)

and the board is sorted by it, highest first (ties: earlier arrival). A higher tier
therefore goes first on arrival, but only by a bounded head start: a guest who arrived
at t is never overtaken by anyone who arrived after t + TIER_STEP_MINUTES × (top rank −
own rank) + APPOINTMENT_MINUTES. That bound is the no-starvation guarantee (tests
simulate a 200-guest peak hour against it).

Rows turn amber at the tier's target wait (`Tier.target_wait_minutes`) and red at
RED_FACTOR × target. State moves waiting → called → served, or → left, each moment
stamped once; the rows are the wait-time history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.models import Member, QueueEntry, Staff
from vipdesk.models.lounge import QUEUE_PURPOSES
from vipdesk.services import auth
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.tiers import TierTable, effective_tier_code

TIER_STEP_MINUTES = 10.0
APPOINTMENT_MINUTES = 5.0
UNTIERED_TARGET_MINUTES = 20
RED_FACTOR = 1.5
ACTIVE = ("waiting", "called")


class QueueError(ValueError):
    """A queue action that does not fit the board (unknown purpose, already served …)."""


class Level(StrEnum):
    OK = "ok"
    AMBER = "amber"  # the tier's target wait reached
    RED = "red"  # 1.5 × target: someone must go and speak to the guest now


@dataclass(frozen=True)
class QueueRow:
    """One line of the live board (plain data for the UI and the CLI)."""

    entry_id: uuid.UUID
    position: int  # 1 = next to be called; 0 for guests already called
    member_id: uuid.UUID
    member_no: str
    name: str
    tier_code: str | None
    tier_name: str
    purpose: str
    appointment_at: datetime | None
    arrived_at: datetime
    waited_minutes: float
    target_minutes: int
    level: Level
    priority: float
    state: str
    advisor_id: uuid.UUID | None
    advisor_name: str | None


_BOARD_COLUMNS = (QueueEntry.id, QueueEntry.member_id, QueueEntry.purpose, QueueEntry.tier_code,
                  QueueEntry.tier_rank, QueueEntry.priority_booking, QueueEntry.appointment_at,
                  QueueEntry.arrived_at, QueueEntry.state, QueueEntry.called_at,
                  QueueEntry.advisor_id)


def priority(tier_rank: int, waited_minutes: float, priority_appointment: bool) -> float:
    bonus = APPOINTMENT_MINUTES if priority_appointment else 0.0
    return waited_minutes + TIER_STEP_MINUTES * tier_rank + bonus


def level_for(waited_minutes: float, target_minutes: int) -> Level:
    if waited_minutes >= RED_FACTOR * target_minutes:
        return Level.RED
    if waited_minutes >= target_minutes:
        return Level.AMBER
    return Level.OK


class QueueService:
    """Queue actions; each call is one unit of work on the caller's session."""

    def __init__(self, tiers: TierTable, clock: Clock | None = None) -> None:
        self.tiers = tiers
        self.clock = clock or Clock()

    # -- writes -------------------------------------------------------------------------

    def add(self, session: Session, actor: Actor, member_id: uuid.UUID, purpose: str,
            appointment_at: datetime | None = None, store_id: uuid.UUID | None = None,
            note: str | None = None) -> QueueEntry:
        auth.require(actor, "queue.add")
        if purpose not in QUEUE_PURPOSES:
            raise QueueError(f"purpose: {purpose!r} is not one of {', '.join(QUEUE_PURPOSES)}")
        member = session.get(Member, member_id)
        if member is None or member.erased_at is not None:
            raise QueueError("member: not found")
        if self._active_entry(session, member_id) is not None:
            raise QueueError(f"{member.display_name} is already on the board")
        tier = self.tiers.get(effective_tier_code(member))
        entry = QueueEntry(
            member_id=member_id, store_id=store_id or actor.store_id, purpose=purpose,
            tier_code=tier.code if tier else None, tier_rank=tier.rank if tier else 0,
            priority_booking=bool(tier and any(b.code == "priority_booking"
                                               for b in tier.benefits)),
            appointment_at=appointment_at, arrived_at=self.clock.now(), state="waiting",
            added_by=actor.staff_id, note=(note or "").strip()[:200] or None)
        session.add(entry)
        session.flush()
        return entry

    def call_next(self, session: Session, actor: Actor, store_id: uuid.UUID | None = None,
                  advisor_id: uuid.UUID | None = None) -> QueueEntry | None:
        """Call the top guest; give them their own advisor when free, else `advisor_id`,
        else any free advisor of the store. None when nobody is waiting."""
        auth.require(actor, "queue.call")
        waiting = [r for r in self.board(session, store_id) if r.state == "waiting"]
        if not waiting:
            return None
        entry = session.get_one(QueueEntry, waiting[0].entry_id)
        entry.state, entry.called_at = "called", self.clock.now()
        entry.advisor_id = self._pick_advisor(session, entry, advisor_id)
        session.flush()
        return entry

    def assign(self, session: Session, actor: Actor, entry_id: uuid.UUID,
               advisor_id: uuid.UUID) -> QueueEntry:
        auth.require(actor, "queue.assign")
        entry = self._entry(session, entry_id, ACTIVE)
        staff = session.get(Staff, advisor_id)
        if staff is None or not staff.active:
            raise QueueError("advisor: no such active staff member")
        entry.advisor_id = advisor_id
        session.flush()
        return entry

    def served(self, session: Session, actor: Actor, entry_id: uuid.UUID) -> QueueEntry:
        return self._finish(session, actor, entry_id, "served", ("called", "waiting"))

    def left(self, session: Session, actor: Actor, entry_id: uuid.UUID) -> QueueEntry:
        return self._finish(session, actor, entry_id, "left", ACTIVE)

    def _finish(self, session: Session, actor: Actor, entry_id: uuid.UUID, state: str,
                allowed_from: tuple[str, ...]) -> QueueEntry:
        auth.require(actor, "queue.finish")
        entry = self._entry(session, entry_id, allowed_from)
        now = self.clock.now()
        if entry.state == "waiting" and state == "served":
            entry.called_at = now  # served straight from the board: the wait ends now
        entry.state, entry.finished_at = state, now
        session.flush()
        return entry

    # -- reads --------------------------------------------------------------------------

    def board(self, session: Session, store_id: uuid.UUID | None = None) -> list[QueueRow]:
        """Called guests first (they are being looked after), then the waiting ones in
        priority order, numbered from 1."""
        now = self.clock.now()
        # Plain columns, not ORM entities: the board refreshes every few seconds and
        # identity-mapping 200 rows costs more than the query.
        stmt = (select(*_BOARD_COLUMNS, Member.member_no, Member.name_zh, Member.name_latin,
                       Staff.name.label("advisor"))
                .join(Member, Member.id == QueueEntry.member_id)
                .outerjoin(Staff, Staff.id == QueueEntry.advisor_id)
                .where(QueueEntry.state.in_(ACTIVE)))
        if store_id is not None:
            stmt = stmt.where(QueueEntry.store_id == store_id)
        rows = [self._row(r, r.member_no, r.name_zh or r.name_latin or r.member_no,
                          r.advisor, now) for r in session.execute(stmt)]
        called = sorted((r for r in rows if r.state == "called"), key=lambda r: r.arrived_at)
        waiting = sorted((r for r in rows if r.state == "waiting"),
                         key=lambda r: (-r.priority, r.arrived_at, r.entry_id))
        return called + [_numbered(r, i) for i, r in enumerate(waiting, start=1)]

    def _row(self, e: Any, member_no: str, name: str, advisor: str | None,
             now: datetime) -> QueueRow:
        end = e.called_at if e.state == "called" and e.called_at else now
        waited = max((end - e.arrived_at).total_seconds() / 60.0, 0.0)
        tier = self.tiers.get(e.tier_code)
        target = tier.target_wait_minutes if tier else UNTIERED_TARGET_MINUTES
        appointment = e.priority_booking and e.appointment_at is not None
        return QueueRow(
            entry_id=e.id, position=0, member_id=e.member_id, member_no=member_no, name=name,
            tier_code=e.tier_code, tier_name=tier.name_zh if tier else "会员", purpose=e.purpose,
            appointment_at=e.appointment_at, arrived_at=e.arrived_at, waited_minutes=waited,
            target_minutes=target, level=level_for(waited, target),
            priority=priority(e.tier_rank, waited, appointment), state=e.state,
            advisor_id=e.advisor_id, advisor_name=advisor)

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def _active_entry(session: Session, member_id: uuid.UUID) -> QueueEntry | None:
        return session.scalar(select(QueueEntry).where(QueueEntry.member_id == member_id,
                                                       QueueEntry.state.in_(ACTIVE)))

    @staticmethod
    def _entry(session: Session, entry_id: uuid.UUID, states: tuple[str, ...]) -> QueueEntry:
        entry = session.get(QueueEntry, entry_id)
        if entry is None:
            raise QueueError(f"queue entry {entry_id}: not found")
        if entry.state not in states:
            raise QueueError(f"queue entry is already {entry.state}")
        return entry

    def _pick_advisor(self, session: Session, entry: QueueEntry,
                      chosen: uuid.UUID | None) -> uuid.UUID | None:
        busy = set(session.scalars(select(QueueEntry.advisor_id).where(
            QueueEntry.state == "called", QueueEntry.advisor_id.is_not(None))))
        own = session.scalar(select(Member.advisor_id).where(Member.id == entry.member_id))
        if own is not None and own not in busy and _is_active(session, own):
            return own
        if chosen is not None:
            return chosen
        free = select(Staff.id).where(Staff.role == "advisor", Staff.active.is_(True))
        if entry.store_id is not None:
            free = free.where(Staff.store_id == entry.store_id)
        return next((s for s in session.scalars(free.order_by(Staff.staff_no))
                     if s not in busy), None)


def _is_active(session: Session, staff_id: uuid.UUID) -> bool:
    return bool(session.scalar(select(Staff.active).where(Staff.id == staff_id)))


def _numbered(row: QueueRow, position: int) -> QueueRow:
    return replace(row, position=position)


def waits_minutes(entry: QueueEntry) -> float | None:
    """How long the guest waited: until called (or until they left); None while waiting."""
    end = entry.called_at or (entry.finished_at if entry.state == "left" else None)
    return None if end is None else (end - entry.arrived_at).total_seconds() / 60.0

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from vipdesk.models import Member, QueueEntry, Staff
from vipdesk.models.lounge import QUEUE_PURPOSES
from vipdesk.services import auth
from vipdesk.services.auth import Actor
from vipdesk.services.care_messages import surname_zh
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
    gender: str | None = None

    @property
    def private_name(self) -> str:
        """What the lounge screen shows (privacy mode): 王先生 / Ms Laurent, never the full
        name (made when asked: the board refreshes every few seconds, mostly without)."""
        if self.name == self.member_no:
            return private_name(None, None, self.gender)
        chinese = "\u3400" <= self.name[0] <= "\u9fff"
        return private_name(self.name if chinese else None, self.name, self.gender)


# The board's columns, in the order `_Line` unpacks them.
_BOARD_COLUMNS = (QueueEntry.id, QueueEntry.member_id, QueueEntry.purpose, QueueEntry.tier_code,
                  QueueEntry.tier_rank, QueueEntry.priority_booking, QueueEntry.appointment_at,
                  QueueEntry.arrived_at, QueueEntry.state, QueueEntry.called_at,
                  QueueEntry.advisor_id, Member.member_no, Member.name_zh, Member.name_latin,
                  Staff.name, Member.gender)


def _board_statement(in_store: bool) -> Select[*tuple[Any, ...]]:
    stmt = (select(*_BOARD_COLUMNS)
            .join(Member, Member.id == QueueEntry.member_id)
            .outerjoin(Staff, Staff.id == QueueEntry.advisor_id)
            .where(QueueEntry.state.in_(ACTIVE)))
    return stmt.where(QueueEntry.store_id == bindparam("store_id")) if in_store else stmt


# Built once, not per refresh: building it took about half as long as SQLite's run of it.
_BOARD = _board_statement(in_store=False)
_BOARD_IN_STORE = _board_statement(in_store=True)


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
        # Plain rows on the session's connection, mapped by hand: the board refreshes
        # every few seconds, and ORM rows plus a second dataclass per guest (to number it)
        # cost several times the query.
        stmt, params = ((_BOARD, {}) if store_id is None
                        else (_BOARD_IN_STORE, {"store_id": store_id}))
        looks = _TierLooks(self.tiers)
        if session.autoflush:
            session.flush()  # as session.execute would: call_next reads inside its unit of work
        result = session.connection().execute(stmt, params).all()
        lines = [_Line.of(r, now, looks) for r in result]
        called = sorted((x for x in lines if x.state == "called"), key=lambda x: x.arrived_at)
        waiting = sorted((x for x in lines if x.state == "waiting"),
                         key=lambda x: (-x.priority, x.arrived_at, x.entry_id))
        return ([x.row(0) for x in called]
                + [x.row(i) for i, x in enumerate(waiting, start=1)])

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


class _TierLooks:
    """Each tier's board name and target wait, looked up once per refresh."""

    def __init__(self, tiers: TierTable) -> None:
        self.tiers = tiers
        self.seen: dict[str | None, tuple[str, int]] = {}

    def __call__(self, code: str | None) -> tuple[str, int]:
        look = self.seen.get(code)
        if look is None:
            tier = self.tiers.get(code)
            look = ((tier.name_zh, tier.target_wait_minutes) if tier
                    else ("会员", UNTIERED_TARGET_MINUTES))
            self.seen[code] = look
        return look


class _Line(NamedTuple):
    """One board row before it has its position: what the order needs, and the database
    row the `QueueRow` is made of once it has one."""

    state: str
    priority: float
    arrived_at: datetime
    entry_id: uuid.UUID
    waited_minutes: float
    tier: tuple[str, int]  # the board's tier name and target wait
    r: Sequence[Any]

    @classmethod
    def of(cls, r: Sequence[Any], now: datetime, looks: _TierLooks) -> _Line:
        (entry_id, _, _, tier_code, tier_rank, booking, appointment_at, arrived_at, state,
         called_at, *_) = r
        end = called_at if state == "called" and called_at else now
        waited = max((end - arrived_at).total_seconds() / 60.0, 0.0)
        appointment = booking and appointment_at is not None
        return cls(state, priority(tier_rank, waited, appointment), arrived_at, entry_id,
                   waited, looks(tier_code), r)

    def row(self, position: int) -> QueueRow:
        (entry_id, member_id, purpose, tier_code, _, _, appointment_at, arrived_at, state, _,
         advisor_id, member_no, name_zh, name_latin, advisor, gender) = self.r
        (tier_name, target), waited = self.tier, self.waited_minutes
        return QueueRow(
            entry_id=entry_id, position=position, member_id=member_id, member_no=member_no,
            name=name_zh or name_latin or member_no, tier_code=tier_code, tier_name=tier_name,
            purpose=purpose, appointment_at=appointment_at, arrived_at=arrived_at,
            waited_minutes=waited, target_minutes=target, level=level_for(waited, target),
            priority=self.priority, state=state, advisor_id=advisor_id, advisor_name=advisor,
            gender=gender)


def private_name(name_zh: str | None, name_latin: str | None, gender: str | None) -> str:
    """How the lounge screen calls a guest without telling the room who they are: the
    surname and a title (王先生, 欧阳女士, Ms Laurent), 王贵宾 / Guest Laurent when the
    gender is not known."""
    if name_zh:
        return surname_zh(name_zh) + {"F": "女士", "M": "先生"}.get(gender or "", "贵宾")
    surname = (name_latin or "").split()[-1:]
    title = {"F": "Ms", "M": "Mr"}.get(gender or "", "Guest")
    return f"{title} {surname[0]}" if surname else "贵宾 Guest"


def advisor_choices(session: Session, member_id: uuid.UUID
                    ) -> tuple[list[tuple[uuid.UUID, str, bool]], uuid.UUID | None]:
    """Who can take the guest, in the order to offer them: the guest's own advisor first,
    then the free advisors, then the busy ones, managers last; each (id, "S002 李娜", busy
    with another called guest). The one to suggest: their own advisor unless busy with
    someone else (being busy with this very guest, just called, does not count), else
    the first free advisor."""
    own = session.scalar(select(Member.advisor_id).where(Member.id == member_id))
    busy = set(session.scalars(select(QueueEntry.advisor_id).where(
        QueueEntry.state == "called", QueueEntry.advisor_id.is_not(None),
        QueueEntry.member_id != member_id)))
    staff = session.execute(select(Staff.id, Staff.staff_no, Staff.name, Staff.role)
                            .where(Staff.active, Staff.role.in_(("advisor", "manager")))
                            .order_by(Staff.staff_no)).all()
    ordered = sorted(staff, key=lambda s: (s.id != own, s.role != "advisor", s.id in busy))
    choices = [(s.id, f"{s.staff_no} {s.name}", s.id in busy) for s in ordered]
    return choices, next((sid for sid, _, is_busy in choices if not is_busy), None)


def waits_minutes(entry: QueueEntry) -> float | None:
    """How long the guest waited: until called (or until they left); None while waiting."""
    end = entry.called_at or (entry.finished_at if entry.state == "left" else None)
    return None if end is None else (end - entry.arrived_at).total_seconds() / 60.0

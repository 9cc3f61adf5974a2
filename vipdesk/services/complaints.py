"""Complaints (投诉处理): a workflow of events with two clocks (SPEC §5, seed 000 五, 003 七).

    received → contacted → resolved → followed_up → closed
    resolved / followed_up / closed → reopened → contacted | resolved

Every step is a `ComplaintEvent` (who, when, note, compensation); `Complaint.state` is a
cache of the latest event, written in the same transaction.

Clocks, computed from stored timestamps only (so they survive restarts and sync):
- contact is due 30 minutes after receipt (after the reopening, for a reopened one);
- the follow-up call is due 3 days after resolution.

Time rule: a step is stamped with the desk clock, but never earlier than the previous
event of the same complaint. A desk clock set back can therefore neither reorder a
complaint's history nor make "contacted within 30 minutes" look better than it was.

Why one module (~420 lines): the complaint's state machine, its two clocks and its
views change together; the rules are short functions around one table of steps.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Complaint, ComplaintEvent, Member, Staff
from vipdesk.services import auth, points, validation
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.records import load_member, member_for, not_before
from vipdesk.services.validation import FieldError

CONTACT_WITHIN = timedelta(minutes=30)
FOLLOW_UP_WITHIN = timedelta(days=3)
ALERT_WINDOW = timedelta(hours=24)
ALERT_THRESHOLD = 10  # "more than 10 of one category in 24 hours" (seed 000 五(三)1)
SEVERITIES = ("minor", "severe")
# One fixed list, so "more than 10 of one category" counts like with like across stores.
CATEGORIES = ("service_attitude", "wait_time", "product_quality", "delivery", "after_sales",
              "billing", "environment", "privacy", "other")
MAX_DESCRIPTION = 4000
MAX_NOTE = 4000
MAX_PLACE = 200
MAX_ITEM = 200
MAX_SEVERE_POINTS = 100_000

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("contacted",),
    "contacted": ("resolved",),
    "resolved": ("followed_up", "reopened"),
    "followed_up": ("closed", "reopened"),
    "closed": ("reopened",),
    "reopened": ("contacted", "resolved"),
}
AWAITING_CONTACT = ("received", "reopened")
# Steps kept with what was done: how it was resolved, what the guest said at the follow-up,
# why it was reopened — so what a VIP was told can always be reconstructed (SPEC §4), and
# an Enter pressed twice cannot resolve a complaint with nothing on record.
NOTE_NEEDED = ("resolved", "followed_up", "reopened")
NOTE_NEEDED_WORDS = "say what was done: what the guest was told, given or said"
# Who may take a step (SPEC §1, §5): the first contact stops the 30-minute clock, so the
# person who took the complaint down may record it; every later step is a manager's.
FIRST_CONTACT = "complaint.contact.received"
LATER_STEP = "complaint.advance"
OPEN_STATES = ("received", "contacted", "resolved", "followed_up", "reopened")


class ComplaintError(ValueError):
    """A step the workflow does not allow, with the reason in words."""


@dataclass(frozen=True)
class ComplaintDraft:
    category: str | None
    severity: str | None
    description: str | None
    place: str | None = None
    impact: str | None = None
    occurred_at: datetime | None = None  # when it happened, if not "just now"


@dataclass(frozen=True)
class StepDraft:
    to_state: str
    note: str | None = None
    points: int | None = None  # compensation, on resolve
    item: str | None = None  # gift / voucher, on resolve (severe)


@dataclass(frozen=True)
class ComplaintStep:
    event_id: uuid.UUID
    to_state: str
    at: datetime
    by: uuid.UUID | None
    note: str | None
    compensation_points: int | None
    compensation_item: str | None
    by_name: str | None = None  # who took the step, as the desk names them


@dataclass(frozen=True)
class ComplaintView:
    complaint_id: uuid.UUID
    member_id: uuid.UUID
    member_no: str
    member_name: str
    store_id: uuid.UUID | None
    category: str
    severity: str
    description: str
    place: str | None
    impact: str | None
    received_at: datetime
    occurred_at: datetime | None
    state: str
    state_at: datetime  # time of the latest event
    contact_due: datetime | None  # set while awaiting contact
    follow_up_due: datetime | None  # set while resolved and not yet followed up
    overdue: bool
    received_by: uuid.UUID | None = None  # who took it down (may record the first contact)


@dataclass(frozen=True)
class NextStep:
    to_state: str
    allowed: bool  # False: the step exists but is not this person's to take (a manager's)


@dataclass(frozen=True)
class EmergencyAlert:
    category: str
    count: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class ComplaintKpis:
    received: int
    closed: int
    closure_rate: float | None
    contact_measured: int  # complaints whose contact clock has run out or been met
    contacted_in_time: int
    contacted_in_time_rate: float | None
    follow_up_measured: int
    followed_up_in_time: int
    followed_up_in_time_rate: float | None


def validate_complaint(draft: ComplaintDraft, now: datetime | None = None) -> list[FieldError]:
    errors = (validation.choice("category", draft.category, CATEGORIES)
              + validation.choice("severity", draft.severity, SEVERITIES)
              + validation.text("description", draft.description, limit=MAX_DESCRIPTION,
                                required=True)
              + validation.text("place", draft.place, limit=MAX_PLACE)
              + validation.text("impact", draft.impact, limit=MAX_DESCRIPTION))
    if draft.occurred_at is not None and now is not None and draft.occurred_at > now:
        errors.append(FieldError("occurred_at", "is in the future"))
    return errors


def validate_step(draft: StepDraft, state: str, severity: str) -> list[FieldError]:
    """Is this step allowed from `state`, with this compensation for this severity?"""
    allowed = TRANSITIONS.get(state, ())
    errors = []
    if draft.to_state not in allowed:
        nxt = " or ".join(allowed) or "nothing"
        errors.append(FieldError("to_state", f"a {state} complaint can only go to {nxt}, "
                                             f"not {draft.to_state}"))
    errors += validation.text("note", draft.note, limit=MAX_NOTE)
    if draft.to_state in NOTE_NEEDED and not validation.clean(draft.note):
        errors.append(FieldError("note", NOTE_NEEDED_WORDS))
    errors += validation.text("item", draft.item, limit=MAX_ITEM)
    return errors + _compensation_errors(draft, severity)


def _compensation_errors(draft: StepDraft, severity: str) -> list[FieldError]:
    if draft.points is None and not validation.clean(draft.item):
        return []
    if draft.to_state != "resolved":
        return [FieldError("points", "compensation is given when resolving")]
    if severity == "minor":
        if validation.clean(draft.item):
            return [FieldError("item", "minor complaints are compensated with points; "
                                       "gifts and vouchers are for severe ones")]
        lo, hi = points.COMPENSATION_MIN, points.COMPENSATION_MAX
        return validation.int_range("points", draft.points, lo, hi)
    errors = []
    if not validation.clean(draft.item):
        errors.append(FieldError("item", "a severe complaint is compensated with a gift or "
                                         "voucher: say which"))
    if draft.points is not None:
        errors += validation.int_range("points", draft.points, 1, MAX_SEVERE_POINTS)
    return errors


def step_action(state: str, to_state: str) -> str:
    """The permission a step needs: the first contact, or any later step."""
    return FIRST_CONTACT if state in AWAITING_CONTACT and to_state == "contacted" else LATER_STEP


def may_step(actor: Actor, view: ComplaintView, to_state: str) -> bool:
    return auth.allowed(actor, step_action(view.state, to_state),
                        received_by=view.received_by)


def next_steps(actor: Actor, view: ComplaintView) -> list[NextStep]:
    """The steps the workflow offers from here, each with whether `actor` may take it
    (the window offers the allowed ones and names the rest as a manager's)."""
    return [NextStep(to, may_step(actor, view, to)) for to in TRANSITIONS.get(view.state, ())]


def _clocks(state: str, state_at: datetime, now: datetime
            ) -> tuple[datetime | None, datetime | None, bool]:
    contact_due = state_at + CONTACT_WITHIN if state in AWAITING_CONTACT else None
    follow_due = state_at + FOLLOW_UP_WITHIN if state == "resolved" else None
    due = contact_due or follow_due
    return contact_due, follow_due, due is not None and now > due


def _latest_event(session: Session, complaint_id: uuid.UUID) -> ComplaintEvent | None:
    return session.scalar(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
        .order_by(ComplaintEvent.at.desc(), ComplaintEvent.id.desc()).limit(1)
    )


_state_at = (
    select(func.max(ComplaintEvent.at)).where(ComplaintEvent.complaint_id == Complaint.id)
    .correlate(Complaint).scalar_subquery()
)


def _view(c: Complaint, m: Member, state_at: datetime | None, now: datetime) -> ComplaintView:
    at = state_at or c.received_at
    contact_due, follow_due, overdue = _clocks(c.state, at, now)
    return ComplaintView(c.id, c.member_id, m.member_no, m.display_name, c.store_id,
                         c.category, c.severity, c.description, c.place, c.impact,
                         c.received_at, c.occurred_at, c.state, at, contact_due, follow_due,
                         overdue, c.received_by)


class ComplaintService:
    def __init__(self, factory: sessionmaker[Session], clock: Clock | None = None) -> None:
        self.factory = factory
        self.clock = clock or Clock()

    # -- writing -----------------------------------------------------------------------

    def open(self, actor: Actor, member_id: uuid.UUID, draft: ComplaintDraft, *,
             store_id: uuid.UUID | None = None) -> ComplaintView:
        now = self.clock.now()
        validation.raise_if(validate_complaint(draft, now))
        assert draft.category and draft.severity and draft.description
        with unit_of_work(self.factory) as session:
            member = member_for(session, actor, "complaint.open", member_id)
            complaint = Complaint(
                member_id=member_id, store_id=store_id or actor.store_id, received_at=now,
                received_by=actor.staff_id, place=validation.clean(draft.place),
                description=draft.description.strip(), impact=validation.clean(draft.impact),
                category=draft.category, severity=draft.severity, state="received",
                occurred_at=draft.occurred_at, created_at=now)
            session.add(complaint)
            session.flush()
            session.add(ComplaintEvent(complaint_id=complaint.id, to_state="received", at=now,
                                       by=actor.staff_id, created_at=now))
            return _view(complaint, member, now, now)

    def advance(self, actor: Actor, complaint_id: uuid.UUID, draft: StepDraft) -> ComplaintView:
        """One step of the workflow, by a named person: the first contact by whoever took
        the complaint down (or a manager), every later step by a manager."""
        with unit_of_work(self.factory) as session:
            complaint = self._get(session, complaint_id)
            last = _latest_event(session, complaint_id)
            state = last.to_state if last else complaint.state
            member = load_member(session, complaint.member_id)
            auth.require(actor, step_action(state, draft.to_state), member.advisor_id,
                         received_by=complaint.received_by)
            validation.raise_if(validate_step(draft, state, complaint.severity))
            at = not_before(self.clock.now(), last.at if last else complaint.received_at)
            event = self._event(actor, complaint, draft, at)
            session.add(event)
            session.flush()
            if draft.points is not None:
                points.compensate(session, actor, complaint.member_id, draft.points,
                                  f"complaint compensation: {complaint.category}",
                                  complaint.id, at)
            complaint.state = draft.to_state
            return _view(complaint, member, at, at)

    def _event(self, actor: Actor, complaint: Complaint, draft: StepDraft,
               at: datetime) -> ComplaintEvent:
        compensating = draft.points is not None or validation.clean(draft.item)
        if compensating:
            auth.require(actor, "complaint.compensate")
        return ComplaintEvent(complaint_id=complaint.id, to_state=draft.to_state, at=at,
                              by=actor.staff_id, note=validation.clean(draft.note),
                              compensation_points=draft.points,
                              compensation_item=validation.clean(draft.item), created_at=at)

    @staticmethod
    def _get(session: Session, complaint_id: uuid.UUID) -> Complaint:
        complaint = session.get(Complaint, complaint_id)
        if complaint is None:
            raise ComplaintError(f"no complaint with id {complaint_id}")
        return complaint

    # -- reading -----------------------------------------------------------------------

    @staticmethod
    def next_steps(actor: Actor, view: ComplaintView) -> list[NextStep]:
        """What the workflow offers next and which of it `actor` may take (no database:
        the view carries the state and who received the complaint)."""
        return next_steps(actor, view)

    def get(self, complaint_id: uuid.UUID) -> ComplaintView:
        now = self.clock.now()
        with self.factory() as session:
            complaint = self._get(session, complaint_id)
            member = session.get(Member, complaint.member_id)
            assert member is not None
            last = _latest_event(session, complaint_id)
            return _view(complaint, member, last.at if last else None, now)

    def steps(self, complaint_id: uuid.UUID) -> list[ComplaintStep]:
        """Every step taken, oldest first, with the name of who took it."""
        return self.steps_of([complaint_id]).get(complaint_id, [])

    def steps_of(self, complaint_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ComplaintStep]]:
        """`steps` of several complaints in one query (a member's open ones)."""
        taken: dict[uuid.UUID, list[ComplaintStep]] = {c: [] for c in complaint_ids}
        with self.factory() as session:
            rows = session.execute(
                select(ComplaintEvent, Staff.name).outerjoin(Staff, Staff.id == ComplaintEvent.by)
                .where(ComplaintEvent.complaint_id.in_(complaint_ids))
                .order_by(ComplaintEvent.at, ComplaintEvent.created_at, ComplaintEvent.id)
            ).all()
            for e, name in rows:
                taken[e.complaint_id].append(ComplaintStep(
                    e.id, e.to_state, e.at, e.by, e.note, e.compensation_points,
                    e.compensation_item, name))
        return taken

    def list_open(self, store_id: uuid.UUID | None = None, member_id: uuid.UUID | None = None,
                  now: datetime | None = None) -> list[ComplaintView]:
        """Complaints not yet closed, the most urgent clock first."""
        now = now or self.clock.now()
        stmt = (select(Complaint, Member, _state_at).join(Member, Member.id == Complaint.member_id)
                .where(Complaint.state.in_(OPEN_STATES)))
        if store_id is not None:
            stmt = stmt.where(Complaint.store_id == store_id)
        if member_id is not None:
            stmt = stmt.where(Complaint.member_id == member_id)
        with self.factory() as session:
            views = [_view(c, m, at, now) for c, m, at in session.execute(stmt)]
        far = datetime.max.replace(tzinfo=now.tzinfo)
        return sorted(views, key=lambda v: v.contact_due or v.follow_up_due or far)

    def overdue(self, now: datetime | None = None,
                store_id: uuid.UUID | None = None) -> list[ComplaintView]:
        """Complaints whose contact (30 min) or follow-up (3 days) clock has run out."""
        return [v for v in self.list_open(store_id, now=now) if v.overdue]

    def emergency_alerts(self, now: datetime | None = None) -> list[EmergencyAlert]:
        """Categories with more than 10 complaints in the 24 hours up to `now`, counted over
        every store in this database (after a sync that includes the other stores)."""
        now = now or self.clock.now()
        stmt = (
            select(Complaint.category, func.count(), func.min(Complaint.received_at),
                   func.max(Complaint.received_at))
            .where(Complaint.received_at > now - ALERT_WINDOW, Complaint.received_at <= now)
            .group_by(Complaint.category)
            .having(func.count() > ALERT_THRESHOLD)
            .order_by(func.count().desc(), Complaint.category)
        )
        with self.factory() as session:
            return [EmergencyAlert(cat, int(n), first, last)
                    for cat, n, first, last in session.execute(stmt)]

    def kpis(self, start: datetime, end: datetime, now: datetime | None = None,
             store_id: uuid.UUID | None = None) -> ComplaintKpis:
        """Closure rate and the two clock KPIs for complaints received in [start, end)."""
        now = now or self.clock.now()
        stmt = select(Complaint.id, Complaint.received_at, Complaint.state).where(
            Complaint.received_at >= start, Complaint.received_at < end)
        if store_id is not None:
            stmt = stmt.where(Complaint.store_id == store_id)
        with self.factory() as session:
            rows = session.execute(stmt).all()
            events = _events_by_complaint(session, [r.id for r in rows])
        return _kpis(rows, events, now)


def _events_by_complaint(session: Session, ids: list[uuid.UUID]
                         ) -> dict[uuid.UUID, list[tuple[str, datetime]]]:
    out: dict[uuid.UUID, list[tuple[str, datetime]]] = {i: [] for i in ids}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        rows = session.execute(
            select(ComplaintEvent.complaint_id, ComplaintEvent.to_state, ComplaintEvent.at)
            .where(ComplaintEvent.complaint_id.in_(chunk))
            .order_by(ComplaintEvent.at, ComplaintEvent.created_at)
        )
        for cid, state, at in rows:
            out[cid].append((state, at))
    return out


def _first(events: list[tuple[str, datetime]], state: str,
           after: datetime | None = None) -> datetime | None:
    return next((at for s, at in events if s == state and (after is None or at >= after)), None)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _kpis(rows: Sequence[Row[uuid.UUID, datetime, str]],
          events: dict[uuid.UUID, list[tuple[str, datetime]]], now: datetime) -> ComplaintKpis:
    closed = contact_n = contact_ok = follow_n = follow_ok = 0
    for cid, received_at, state in rows:
        evs = events[cid]
        closed += state == "closed"
        contacted = _first(evs, "contacted")
        if contacted is not None or now > received_at + CONTACT_WITHIN:
            contact_n += 1
            contact_ok += contacted is not None and contacted - received_at <= CONTACT_WITHIN
        resolved = _first(evs, "resolved")
        if resolved is None:
            continue
        followed = _first(evs, "followed_up", after=resolved)
        if followed is not None or now > resolved + FOLLOW_UP_WITHIN:
            follow_n += 1
            follow_ok += followed is not None and followed - resolved <= FOLLOW_UP_WITHIN
    return ComplaintKpis(len(rows), closed, _ratio(closed, len(rows)), contact_n, contact_ok,
                         _ratio(contact_ok, contact_n), follow_n, follow_ok,
                         _ratio(follow_ok, follow_n))

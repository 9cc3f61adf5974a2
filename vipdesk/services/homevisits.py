"""Home visits (家访, seed 002 §四): what an advisor records at a VIP's home, often offline.

Everything is a plain local write (the laptop's own database); the sync engineer's outbox
carries it to the centre later. What was learned goes into the file as a `Preference` in
one action (`apply_learned`), and agreed next steps become `FollowUpTask`s with due dates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import FollowUpTask, HomeVisit, Preference, Staff
from vipdesk.services import validation
from vipdesk.services.auth import Actor
from vipdesk.services.clock import DEFAULT_TZ, Clock, local_date
from vipdesk.services.records import member_for, not_before
from vipdesk.services.surveys import SCALE
from vipdesk.services.validation import FieldError

MAX_PRESENT = 500
MAX_GIFT = 200
MAX_NOTES = 4000
MAX_TASK = 500
MAX_TAG = 32
MAX_PREFERENCE = 500
MAX_FOLLOW_UPS = 20


class HomeVisitError(ValueError):
    """A home visit the service refuses; the message is for the advisor."""


@dataclass(frozen=True)
class FollowUpDraft:
    due_on: date | None
    description: str | None


@dataclass(frozen=True)
class HomeVisitDraft:
    visited_on: date | None
    advisor_id: uuid.UUID | None = None  # None: the actor
    present: str | None = None  # who was there
    gift: str | None = None  # 伴手礼
    notes: str | None = None
    learned: str | None = None  # for the file; `apply_learned` turns a line into a tag
    satisfaction: str | None = None  # a SCALE code
    follow_ups: list[FollowUpDraft] = field(default_factory=list)


@dataclass(frozen=True)
class FollowUpRecord:
    task_id: uuid.UUID
    member_id: uuid.UUID
    due_on: date
    description: str
    assigned_to: uuid.UUID | None
    done_at: datetime | None


@dataclass(frozen=True)
class HomeVisitRecord:
    home_visit_id: uuid.UUID
    member_id: uuid.UUID
    advisor_id: uuid.UUID | None
    visited_on: date
    present: str | None
    gift: str | None
    notes: str | None
    learned: str | None
    satisfaction: str | None
    follow_ups: list[FollowUpRecord]


def validate_home_visit(draft: HomeVisitDraft, today: date) -> list[FieldError]:
    errors = (validation.not_future("visited_on", draft.visited_on, today)
              + validation.text("present", draft.present, limit=MAX_PRESENT)
              + validation.text("gift", draft.gift, limit=MAX_GIFT)
              + validation.text("notes", draft.notes, limit=MAX_NOTES, required=True)
              + validation.text("learned", draft.learned, limit=MAX_NOTES)
              + validation.choice("satisfaction", draft.satisfaction, SCALE, required=False))
    if len(draft.follow_ups) > MAX_FOLLOW_UPS:
        errors.append(FieldError("follow_ups", f"at most {MAX_FOLLOW_UPS} per visit"))
    for i, task in enumerate(draft.follow_ups[:MAX_FOLLOW_UPS]):
        errors += _follow_up_errors(f"follow_ups[{i}]", task, draft.visited_on)
    return errors


def _follow_up_errors(name: str, task: FollowUpDraft, visited_on: date | None) -> list[FieldError]:
    errors = validation.text(f"{name}.description", task.description, limit=MAX_TASK,
                             required=True)
    if task.due_on is None:
        errors.append(FieldError(f"{name}.due_on", "required"))
    elif visited_on is not None and task.due_on < visited_on:
        errors.append(FieldError(f"{name}.due_on", "is before the visit"))
    return errors


def validate_learned(tag: str | None, value: str | None) -> list[FieldError]:
    errors = validation.text("tag", tag, limit=MAX_TAG, required=True)
    if tag and not errors and not all(c.isalnum() or c == "_" for c in tag.strip()):
        errors.append(FieldError("tag", "letters, digits and _ only (e.g. drink, size)"))
    return errors + validation.text("value", value, limit=MAX_PREFERENCE, required=True)


def _task(t: FollowUpTask) -> FollowUpRecord:
    return FollowUpRecord(t.id, t.member_id, t.due_on, t.description, t.assigned_to, t.done_at)


class HomeVisitService:
    def __init__(self, factory: sessionmaker[Session], clock: Clock | None = None,
                 tz: str = DEFAULT_TZ) -> None:
        self.factory = factory
        self.clock = clock or Clock()
        self.tz = tz

    def log(self, actor: Actor, member_id: uuid.UUID, draft: HomeVisitDraft) -> HomeVisitRecord:
        now = self.clock.now()
        validation.raise_if(validate_home_visit(draft, local_date(now, self.tz)))
        assert draft.visited_on is not None
        with unit_of_work(self.factory) as session:
            member_for(session, actor, "homevisit.log.own", member_id)
            advisor_id = draft.advisor_id or actor.staff_id
            _check_staff(session, advisor_id)
            visit = HomeVisit(
                member_id=member_id, advisor_id=advisor_id, visited_on=draft.visited_on,
                present=validation.clean(draft.present), gift=validation.clean(draft.gift),
                notes=validation.clean(draft.notes), learned=validation.clean(draft.learned),
                satisfaction=draft.satisfaction or None, created_at=now)
            session.add(visit)
            session.flush()
            tasks = [FollowUpTask(member_id=member_id, source_id=visit.id, due_on=t.due_on,
                                  description=(t.description or "").strip(),
                                  assigned_to=advisor_id, created_at=now)
                     for t in draft.follow_ups]
            session.add_all(tasks)
            session.flush()
            return HomeVisitRecord(visit.id, member_id, advisor_id, visit.visited_on,
                                   visit.present, visit.gift, visit.notes, visit.learned,
                                   visit.satisfaction, [_task(t) for t in tasks])

    def apply_learned(self, actor: Actor, member_id: uuid.UUID, tag: str,
                      value: str) -> tuple[str, str]:
        """Put one thing learned on a visit into the file as a tagged preference."""
        validation.raise_if(validate_learned(tag, value))
        with unit_of_work(self.factory) as session:
            member_for(session, actor, "homevisit.log.own", member_id)
            pref = Preference(member_id=member_id, tag=tag.strip().lower(),
                              value=value.strip(), created_by=actor.staff_id,
                              created_at=self.clock.now())
            session.add(pref)
            return pref.tag, pref.value

    def complete_follow_up(self, actor: Actor, task_id: uuid.UUID) -> FollowUpRecord:
        """Mark a follow-up done (once; a done task stays done with its first time)."""
        with unit_of_work(self.factory) as session:
            task = session.get(FollowUpTask, task_id)
            if task is None:
                raise HomeVisitError(f"no follow-up task with id {task_id}")
            member_for(session, actor, "homevisit.log.own", task.member_id)
            if task.done_at is None:
                task.done_at = not_before(self.clock.now(), task.created_at)
            return _task(task)

    def open_follow_ups(self, member_id: uuid.UUID) -> list[FollowUpRecord]:
        with self.factory() as session:
            rows = session.scalars(
                select(FollowUpTask).where(FollowUpTask.member_id == member_id,
                                           FollowUpTask.done_at.is_(None))
                .order_by(FollowUpTask.due_on, FollowUpTask.id)
            ).all()
            return [_task(t) for t in rows]


def _check_staff(session: Session, staff_id: uuid.UUID | None) -> None:
    if staff_id is None:
        raise validation.FormError([FieldError("advisor_id", "required")])
    if session.get(Staff, staff_id) is None:
        raise validation.FormError([FieldError("advisor_id", "no such staff member")])

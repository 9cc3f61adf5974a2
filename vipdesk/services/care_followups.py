"""Home-visit follow-ups (`FollowUpTask`: what the advisor agreed to do next) on the
care list: listed `follow_up_days_ahead` before their due day, overdue after it.

One follow-up, one truth: logging the care contact with the task's key marks the
follow-up done (`mark_done`, called by the care service in the same transaction), and a
follow-up marked done on the home-visit side closes its task (`close_follow_ups`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.models import CareTask, FollowUpTask, Member
from vipdesk.services.care_common import Candidate, CareSettings

KIND = "follow_up"
PREFIX = KIND + ":"


def task_key(follow_up_id: uuid.UUID) -> str:
    return f"{PREFIX}{follow_up_id}"


def follow_ups(svc: CareSettings, session: Session, day: date,
               first: date | None = None) -> Iterator[Candidate]:
    ahead = day + timedelta(days=svc.rules.follow_up_days_ahead)
    rows = session.execute(
        select(FollowUpTask.id, FollowUpTask.member_id, FollowUpTask.due_on,
               FollowUpTask.description)
        .join(Member, Member.id == FollowUpTask.member_id)
        .where(FollowUpTask.done_at.is_(None), FollowUpTask.due_on <= ahead,
               Member.erased_at.is_(None)))
    for follow_up_id, member_id, due_on, description in rows:
        yield Candidate(task_key(follow_up_id), KIND, member_id, due_on,
                        context={"follow_up": description})


def close_follow_ups(session: Session) -> int:
    """Close open follow-up tasks whose follow-up was marked done, at that time."""
    tasks = session.scalars(select(CareTask).where(CareTask.kind == KIND,
                                                   CareTask.closed_at.is_(None))).all()
    ids = {uuid.UUID(t.task_key[len(PREFIX):]): t for t in tasks}
    closed = 0
    for follow_up_id, done_at in session.execute(
            select(FollowUpTask.id, FollowUpTask.done_at)
            .where(FollowUpTask.id.in_(list(ids)), FollowUpTask.done_at.is_not(None))):
        ids[follow_up_id].closed_at, ids[follow_up_id].closed_by = done_at, "follow_up"
        closed += 1
    return closed


def mark_done(session: Session, member_id: uuid.UUID, key: str | None,
              at: datetime) -> None:
    """A care contact logged for a follow-up's task is the follow-up done (once)."""
    if not key or not key.startswith(PREFIX):
        return
    try:
        follow_up_id = uuid.UUID(key[len(PREFIX):])
    except ValueError:
        return
    follow_up = session.get(FollowUpTask, follow_up_id)
    if follow_up is not None and follow_up.member_id == member_id and follow_up.done_at is None:
        follow_up.done_at = max(at, follow_up.created_at) if follow_up.created_at else at

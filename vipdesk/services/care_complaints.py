"""The care list's complaint deadlines, with the complaint service's clocks
(`complaints.CONTACT_WITHIN`, `FOLLOW_UP_WITHIN`: the one place each is set).

- contact: due 30 minutes after receipt, or after the reopening for a reopened complaint
  (a reopening is a new contact owed: its own task, keyed by the reopening time);
- follow-up: due 3 days after resolution (the latest one).
A task closes when the complaint moves on, at the time it did.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vipdesk.models import CareTask, Complaint, ComplaintEvent
from vipdesk.services.care_common import Candidate, CareSettings
from vipdesk.services.complaints import AWAITING_CONTACT, CONTACT_WITHIN, FOLLOW_UP_WITHIN

CONTACT_PENDING = frozenset(AWAITING_CONTACT)
FOLLOWUP_PENDING = frozenset({"resolved"})
KINDS = ("complaint_contact", "complaint_followup")


def complaint_deadlines(svc: CareSettings, session: Session, day: date,
                        first: date | None = None) -> Iterator[Candidate]:
    rows = session.execute(select(Complaint.id, Complaint.member_id, Complaint.received_at,
                                  Complaint.state, Complaint.description)
                           .where(Complaint.state.in_(CONTACT_PENDING | FOLLOWUP_PENDING)))
    for complaint_id, member_id, received, state, text in rows:
        context = {"complaint_id": str(complaint_id), "complaint": (text or "")[:80],
                   "since": received.isoformat()}
        if state in CONTACT_PENDING:
            key = f"complaint_contact:{complaint_id}"
            if state == "reopened":
                received = _latest(session, complaint_id, "reopened") or received
                context["since"] = received.isoformat()
                key += f":reopened:{received.astimezone(UTC):%Y%m%dT%H%M%S}"
            due_at = received + CONTACT_WITHIN
            yield Candidate(key, "complaint_contact", member_id,
                            due_at.astimezone(svc.tz).date(), due_at, context)
            continue
        resolved = _latest(session, complaint_id, "resolved") or received
        context["since"] = resolved.isoformat()
        due_at = resolved + FOLLOW_UP_WITHIN
        key = f"complaint_followup:{complaint_id}:{resolved.astimezone(svc.tz).date()}"
        yield Candidate(key, "complaint_followup", member_id,
                        due_at.astimezone(svc.tz).date(), due_at, context)


def close_complaints(session: Session, now: datetime) -> int:
    """Close open complaint tasks whose complaint moved on, at the time it did."""
    tasks = session.scalars(select(CareTask).where(CareTask.closed_at.is_(None),
                                                   CareTask.kind.in_(KINDS))).all()
    closed = 0
    for task in tasks:
        context = json.loads(task.context or "{}")
        complaint_id = uuid.UUID(context["complaint_id"])
        pending = CONTACT_PENDING if task.kind == "complaint_contact" else FOLLOWUP_PENDING
        state = session.scalar(select(Complaint.state).where(Complaint.id == complaint_id))
        since = datetime.fromisoformat(context["since"])
        moved = _moved_at(session, complaint_id, since)
        # A reopened complaint is pending again, but the task owed before the reopening
        # was done: whether it moved on since the task's start says so.
        if state in pending and moved is None:
            continue
        task.closed_at = moved or now
        task.closed_by = "complaint"
        closed += 1
    return closed


def _latest(session: Session, complaint_id: uuid.UUID, state: str) -> datetime | None:
    at = session.scalar(select(func.max(ComplaintEvent.at)).where(
        ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.to_state == state))
    return _aware(at) if at else None


def _moved_at(session: Session, complaint_id: uuid.UUID, since: datetime) -> datetime | None:
    """When the complaint first moved on after `since` (its receipt, reopening or
    resolution)."""
    at = session.scalar(select(func.min(ComplaintEvent.at)).where(
        ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.at > since))
    return _aware(at) if at else None


def _aware(at: datetime | str) -> datetime:
    # Aggregates (min/max) bypass the column type on SQLite and come back naive UTC.
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)

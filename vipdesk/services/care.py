"""Care contacts (关怀/回访): a greeting, a callback, a welcome card — who, how, what came of it.

The daily care list (another module) closes its tasks by `task_key`: logging a contact
with the task's key is what "done" means, so the key is stored as given.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import CareContact
from vipdesk.services import validation
from vipdesk.services.auth import Actor
from vipdesk.services.care_followups import mark_done
from vipdesk.services.clock import Clock
from vipdesk.services.records import member_for
from vipdesk.services.validation import FieldError

KINDS = ("birthday", "holiday", "anniversary", "callback", "welcome_card", "new_vip",
         "complaint_contact", "complaint_follow_up", "churn", "home_visit", "other")
CHANNELS = ("phone", "sms", "wechat", "in_person", "email", "print")
MAX_OUTCOME = 500
MAX_TASK_KEY = 100


@dataclass(frozen=True)
class CareDraft:
    kind: str | None
    channel: str | None
    outcome: str | None = None
    task_key: str | None = None


@dataclass(frozen=True)
class CareRecord:
    contact_id: uuid.UUID
    member_id: uuid.UUID
    kind: str
    channel: str
    outcome: str | None
    at: datetime
    by: uuid.UUID | None
    task_key: str | None


def validate_care(draft: CareDraft) -> list[FieldError]:
    return (validation.choice("kind", draft.kind, KINDS)
            + validation.choice("channel", draft.channel, CHANNELS)
            + validation.text("outcome", draft.outcome, limit=MAX_OUTCOME)
            + validation.text("task_key", draft.task_key, limit=MAX_TASK_KEY))


def _record(c: CareContact) -> CareRecord:
    return CareRecord(c.id, c.member_id, c.kind, c.channel, c.outcome, c.at, c.by, c.task_key)


class CareService:
    def __init__(self, factory: sessionmaker[Session], clock: Clock | None = None) -> None:
        self.factory = factory
        self.clock = clock or Clock()

    def log(self, actor: Actor, member_id: uuid.UUID, draft: CareDraft) -> CareRecord:
        validation.raise_if(validate_care(draft))
        assert draft.kind and draft.channel
        now = self.clock.now()
        with unit_of_work(self.factory) as session:
            member_for(session, actor, "care.log.own", member_id)
            contact = CareContact(member_id=member_id, kind=draft.kind, channel=draft.channel,
                                  outcome=validation.clean(draft.outcome), at=now,
                                  by=actor.staff_id, task_key=validation.clean(draft.task_key),
                                  created_at=now)
            session.add(contact)
            # A home-visit follow-up's task: the contact is the follow-up done.
            mark_done(session, member_id, contact.task_key, now)
            session.flush()
            return _record(contact)

    def recent(self, member_id: uuid.UUID, limit: int = 20) -> list[CareRecord]:
        with self.factory() as session:
            rows = session.scalars(
                select(CareContact).where(CareContact.member_id == member_id)
                .order_by(CareContact.at.desc(), CareContact.id.desc()).limit(limit)
            ).all()
            return [_record(c) for c in rows]

    def done_task_keys(self, keys: list[str]) -> set[str]:
        """Which of these care-list task keys already have a contact logged."""
        if not keys:
            return set()
        with self.factory() as session:
            return set(session.scalars(
                select(CareContact.task_key).where(CareContact.task_key.in_(keys))))


# The care list's task kinds → the care contact kinds a logged contact is filed under.
CARE_CONTACT_KIND = {
    "birthday": "birthday", "anniversary": "anniversary", "callback": "callback",
    "welcome": "new_vip", "complaint_contact": "complaint_contact",
    "complaint_followup": "complaint_follow_up", "churn": "churn", "tier": "other",
    "festival": "holiday", "follow_up": "home_visit",
}


def care_contact_kind(task_kind: str) -> str:
    """"callback_3d" → "callback": the kind a contact closing such a task is filed under."""
    return (CARE_CONTACT_KIND.get(task_kind)
            or CARE_CONTACT_KIND.get(task_kind.split("_")[0], "other"))

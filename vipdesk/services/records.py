"""What the history services (visits, complaints, home visits, care, surveys, points) share:
finding the member a record is about, and the permission check that depends on them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from vipdesk.models import Member
from vipdesk.services import auth
from vipdesk.services.auth import Actor


class MemberNotFound(LookupError):
    """No live member with that id (never existed, or erased)."""


def load_member(session: Session, member_id: uuid.UUID) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.erased_at is not None:
        raise MemberNotFound(f"no member with id {member_id}")
    return member


def member_for(session: Session, actor: Actor, action: str, member_id: uuid.UUID) -> Member:
    """The member, once the actor is allowed `action` on them (advisors: their own VIPs)."""
    member = load_member(session, member_id)
    auth.require(actor, action, member.advisor_id)
    return member


def not_before(now: datetime, floor: datetime | None) -> datetime:
    """The desk clock, but never earlier than what was already recorded.

    A desk clock set back (by hand, or a dead CMOS battery) must not produce an event
    that happened before the one it follows; the record keeps its order and its
    durations never go negative.
    """
    return now if floor is None or now >= floor else floor

"""A member's erasure request (SPEC §10): their personal data goes, everywhere.

The member row stays (history points at it) but loses every personal field; phones,
cards, preferences and search terms are deleted. Visits, purchases, points and
complaints stay as anonymous history. Done through the ORM session, so the sync outbox
carries it to the centre and every desk; the centre keeps an erased member erased
(a late edit or phone from an offline desk cannot bring the data back).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from vipdesk.models import Member, MemberTerm
from vipdesk.services import audit, auth
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock

# Every member column is either personal (cleared) or kept; tests/sync check that a new
# column is placed in one of the two, so an added field cannot silently survive erasure.
PERSONAL_FIELDS = frozenset({
    "name_zh", "name_latin", "gender", "birthday", "birthday_md", "email", "address",
    "occupation", "family", "hobbies", "career", "lifestyle", "referral", "purchase_intent",
    "photo",
})
KEPT_FIELDS = frozenset({
    "id", "member_no", "created_at", "language", "home_store_id", "advisor_id",
    "spend_12m_cents", "tier_code", "tier_override_code", "tier_override_reason",
    "tier_override_by", "tier_override_at", "updated_at", "erased_at",
    "consent_at", "consent_by",  # that consent was given, and by whom: no personal data
})
# Rows that are nothing but personal data about the member.
PERSONAL_CHILD_TABLES = frozenset({"member_phones", "member_cards", "preferences"})


class ErasureError(ValueError):
    """The member cannot be erased (unknown, or already erased)."""


def erase_member(session: Session, member_id: uuid.UUID, actor: Actor,
                 clock: Clock | None = None, reason: str = "erasure request") -> None:
    """Scrub the member's personal data in the caller's unit of work; the audit log keeps
    who erased whom and why (it never held the personal data itself)."""
    auth.require(actor, "member.erase")
    member = session.get(Member, member_id)
    if member is None:
        raise ErasureError(f"member {member_id}: not found")
    if member.erased_at is not None:
        raise ErasureError(f"member {member.member_no}: already erased")
    for name in PERSONAL_FIELDS:
        if hasattr(member, name):
            setattr(member, name, None)
    member.erased_at = (clock or Clock()).now()
    member.phones.clear()
    member.cards.clear()
    member.preferences.clear()
    session.execute(delete(MemberTerm).where(MemberTerm.member_id == member_id))
    audit.record(session, actor, "member.erase", member_id, reason.strip()[:500], clock)
    session.flush()


def is_personal(field: str, value: Any) -> bool:
    """Would setting `field` to `value` put personal data back on an erased member?"""
    return field == "erased_at" or (field in PERSONAL_FIELDS and value is not None)


def erased_members(conn: Connection, member_ids: Iterable[Any]) -> set[uuid.UUID]:
    ids = [uuid.UUID(str(m)) for m in member_ids]
    if not ids:
        return set()
    return set(conn.scalars(select(Member.id).where(Member.id.in_(ids),
                                                    Member.erased_at.is_not(None))))

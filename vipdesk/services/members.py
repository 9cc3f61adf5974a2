"""Creating members and keeping their search index in step with their names and numbers."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vipdesk.models import Member, MemberCard, MemberPhone, MemberTerm, Preference
from vipdesk.services import audit, auth, phones
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.names import name_terms

MAX_NAME = 100
MAX_LATIN = 200


class MemberDataError(ValueError):
    """Input that cannot make a member; the message names the field and the problem."""


@dataclass
class NewMember:
    member_no: str
    name_zh: str | None = None
    name_latin: str | None = None
    gender: str | None = None
    birthday: date | None = None
    email: str | None = None
    phones: list[str] = field(default_factory=list)  # as typed; normalised here
    cards: list[str] = field(default_factory=list)
    preferences: list[tuple[str, str]] = field(default_factory=list)
    language: str = "zh"
    home_store_id: uuid.UUID | None = None
    advisor_id: uuid.UUID | None = None
    spend_12m_cents: int = 0
    tier_code: str | None = None


def validate(data: NewMember) -> list[str]:
    """Every problem with the data, in words a person at the desk understands."""
    problems = []
    if not data.member_no or len(data.member_no) > 32:
        problems.append("member_no: required, at most 32 characters")
    if not (data.name_zh or data.name_latin):
        problems.append("name: required")
    if data.name_zh and len(data.name_zh) > MAX_NAME:
        problems.append(f"name: longer than {MAX_NAME} characters")
    if data.name_latin and len(data.name_latin) > MAX_LATIN:
        problems.append(f"name: longer than {MAX_LATIN} characters")
    if data.gender not in (None, "F", "M"):
        problems.append("gender: must be F or M")
    if data.email and ("@" not in data.email or len(data.email) > 254):
        problems.append("email: not an e-mail address")
    return problems + _text_problems(data) + _contact_problems(data)


_MEMBER_NO_CHARS = re.compile(r"[A-Za-z0-9_-]*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # exactly Unicode's Cc


def _text_problems(data: NewMember) -> list[str]:
    """Characters that would make a member unfindable or garble a screen or export."""
    problems = []
    if not _MEMBER_NO_CHARS.fullmatch(data.member_no or ""):
        problems.append("member_no: letters, digits, '-' and '_' only")
    for name, value in (("name", data.name_zh), ("name", data.name_latin),
                        ("email", data.email)):
        if value and _CONTROL.search(value):
            problems.append(f"{name}: contains control characters")
    return problems


def _contact_problems(data: NewMember) -> list[str]:
    problems = [f"phone: not a valid number: {raw[:40]!r}"
                for raw in data.phones if phones.try_normalize(raw) is None]
    problems += [f"card_no: letters and digits only, at most 40: {card[:40]!r}"
                 for card in data.cards if not (card.isascii() and card.isalnum())
                 or len(card) > 40]
    return problems


def add_member(session: Session, data: NewMember) -> Member:
    """Insert a member with phones, cards, preferences and search terms (caller commits)."""
    member = stage_member(session, data)
    session.flush()
    write_terms(session, member)
    return member


def stage_member(session: Session, data: NewMember) -> Member:
    """add_member's first half, without the flush, for bulk callers (the CSV import) that
    flush many members at once. Flush, then `add_terms`: the unit of work orders inserts
    by relationships, and terms have none, so they must come after the members' flush."""
    problems = validate(data)
    if problems:
        raise MemberDataError("; ".join(problems))
    member = Member(
        member_no=data.member_no, name_zh=data.name_zh, name_latin=data.name_latin,
        gender=data.gender, birthday=data.birthday, email=data.email, language=data.language,
        home_store_id=data.home_store_id, advisor_id=data.advisor_id,
        spend_12m_cents=data.spend_12m_cents, tier_code=data.tier_code,
    )
    seen: set[str] = set()
    for i, raw in enumerate(data.phones):
        e164 = phones.normalize(raw)
        if e164 not in seen:
            seen.add(e164)
            member.phones.append(MemberPhone(e164=e164, suffix4=phones.suffix4(e164),
                                             is_primary=i == 0))
    # Cards are stored upper-case: "a1" and "A1" are one card (found by the fuzz tests).
    cards = dict.fromkeys(c.upper() for c in data.cards)
    member.cards.extend(MemberCard(card_no=c) for c in cards)
    member.preferences.extend(Preference(tag=t, value=v) for t, v in data.preferences)
    session.add(member)
    return member


def write_terms(session: Session, member: Member) -> None:
    session.execute(delete(MemberTerm).where(MemberTerm.member_id == member.id))
    add_terms(session, member)


def add_terms(session: Session, member: Member) -> None:
    """The search terms of a member that has none yet."""
    session.add_all(
        MemberTerm(term=t, member_id=member.id, weight=w)
        for t, w in name_terms(member.name_zh, member.name_latin).items()
    )


def find_by_member_no(session: Session, member_no: str) -> Member | None:
    return session.scalar(select(Member).where(Member.member_no == member_no))


def change_member_no(session: Session, actor: Actor, member_id: uuid.UUID, member_no: str,
                     clock: Clock | None = None) -> str:
    """Give a member another number (one taken by another store while this desk was
    offline, say): an ordinary edit, so it syncs; audited. Returns the old number."""
    member = session.get(Member, member_id)
    if member is None or member.erased_at is not None:
        raise MemberDataError("member: not found (or erased)")
    auth.require(actor, "member.edit.own", member.advisor_id)
    new = member_no.strip()
    problems = [p for p in validate(NewMember(member_no=new, name_zh="-"))
                if p.startswith("member_no")]
    if problems:
        raise MemberDataError("; ".join(problems))
    if new == member.member_no:
        raise MemberDataError("member_no: that is already this member's number")
    holder = find_by_member_no(session, new)
    if holder is not None:
        raise MemberDataError(f"member_no: {new} is already used by {holder.display_name}")
    old, member.member_no = member.member_no, new
    session.flush()
    audit.member_changed(session, actor, member.id, f"member_no {old} → {new}", clock)
    return old

"""Registering a VIP at the desk and keeping their file current (SPEC §2; seed 000 三(一),
seed 002 §四): the customer file is built visit by visit.

- `register`: a new member from a lookup that found nothing, with the member's consent
  recorded (who, when). Registration looks for the same person first: a phone or card
  already on file is refused; the same name and birthday is shown to the desk, which may
  save anyway (`same_person_ok`) — two people can share both.
- `apply_changes`: edits from the card — contact details, phones and cards, preferences
  (each row keeps who recorded it and when; a changed one is a new row), the file, the
  advisor and a manager's tier override. Every part is checked against the actor's role
  before anything is written (SPEC §1): lounge staff register and record preferences;
  advisors edit their own members; the private file (family, lifestyle) is for the
  member's advisor and managers; only managers assign advisors and override tiers.
- Everything goes through the ORM session (the sync outbox captures it) in the caller's
  unit of work, with one audit entry naming what changed (never the values themselves).

Why one module (~540 lines): registering and editing write the same fields with the
same checks (phones, cards, duplicates, preferences); one place keeps them equal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Member, MemberCard, MemberPhone, Preference, Staff, Store
from vipdesk.models.base import uuid7
from vipdesk.services import audit, auth, members, phones, tiers
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock, local_date
from vipdesk.services.member_merge import merge_members
from vipdesk.services.privacy import PRIVATE_FILE_FIELDS, can_see_private
from vipdesk.services.records import load_member
from vipdesk.services.validation import FieldError, FormError, choice, clean, raise_if, text

CONTACT_FIELDS = ("name_zh", "name_latin", "gender", "birthday", "email", "address")
FILE_FIELDS = ("occupation", "family", "hobbies", "career", "lifestyle", "referral",
               "purchase_intent")
TEXT_LIMITS = {"name_zh": members.MAX_NAME, "name_latin": members.MAX_LATIN, "email": 254,
               "address": 500, "occupation": 200, "family": 4000, "hobbies": 4000,
               "career": 4000, "lifestyle": 4000, "referral": 4000, "purchase_intent": 4000}
MAX_TAG = 32
MAX_PREF = 500
MAX_CARD = 40
OLDEST_BIRTHDAY = date(1900, 1, 1)
ADVISOR_ROLES = ("advisor", "manager")


class DuplicateMember(FormError):
    """The phone, card (or name and birthday) is already on another member's file;
    `matches` says whose, so the desk can open that member instead."""

    def __init__(self, errors: list[FieldError], matches: list[Match]) -> None:
        super().__init__(errors)
        self.matches = matches


@dataclass(frozen=True)
class Match:
    member_id: uuid.UUID
    member_no: str
    name: str
    why: str  # phone / card / name_birthday


@dataclass
class Registration:
    """What the register form (or `vipdesk member add`) collected."""

    name_zh: str | None = None
    name_latin: str | None = None
    gender: str | None = None
    birthday: date | None = None
    phones: list[str] = field(default_factory=list)  # as typed
    cards: list[str] = field(default_factory=list)
    email: str | None = None
    address: str | None = None
    occupation: str | None = None
    advisor_id: uuid.UUID | None = None
    preferences: list[tuple[str, str]] = field(default_factory=list)
    consent: bool = False
    same_person_ok: bool = False  # the desk saw a name + birthday match and saves anyway


@dataclass(frozen=True)
class Registered:
    member_id: uuid.UUID
    member_no: str
    name: str


UNCHANGED: Any = object()  # advisor / tier override left as they are


@dataclass
class MemberChanges:
    """Edits to one member; empty parts change nothing. `contact` and `file` map a field
    to its new value (None or "" clears it)."""

    contact: dict[str, Any] = field(default_factory=dict)
    file: dict[str, str | None] = field(default_factory=dict)
    phones_add: list[str] = field(default_factory=list)
    phones_remove: list[uuid.UUID] = field(default_factory=list)  # member_phones ids
    cards_add: list[str] = field(default_factory=list)
    cards_remove: list[str] = field(default_factory=list)  # card numbers
    prefs_add: list[tuple[str, str]] = field(default_factory=list)
    prefs_remove: list[uuid.UUID] = field(default_factory=list)  # preferences ids
    advisor_id: Any = UNCHANGED  # a staff id, None to unassign
    tier_override: Any = UNCHANGED  # (tier code or None to clear, reason)
    merge_from: str | None = None  # a duplicate's member number: merged into this member

    def parts(self) -> set[str]:
        """Which permission-bearing parts these changes touch."""
        parts = set()
        if self.contact or self.phones_add or self.phones_remove or self.cards_add \
                or self.cards_remove or set(self.file) - PRIVATE_FILE_FIELDS:
            parts.add("member.edit.own")
        if set(self.file) & PRIVATE_FILE_FIELDS:
            parts.add("member.private.own")
        if self.prefs_add or self.prefs_remove:
            parts.add("member.preference.own")
        if self.advisor_id is not UNCHANGED:
            parts.add("member.advisor.assign")
        if self.tier_override is not UNCHANGED:
            parts.add("tier.override")
        if self.merge_from:
            parts.add("member.merge")
        return parts


@dataclass(frozen=True)
class PreferenceRow:
    id: uuid.UUID
    tag: str
    value: str
    by: str | None  # who recorded it
    at: datetime | None


@dataclass(frozen=True)
class EditView:
    """The member as the edit form shows it to this actor; `may` lists the parts (the
    actions of `MemberChanges.parts`) the actor may change."""

    member_id: uuid.UUID
    member_no: str
    name_zh: str | None
    name_latin: str | None
    gender: str | None
    birthday: date | None
    email: str | None
    address: str | None
    phones: list[tuple[uuid.UUID, str]]  # (row id, masked number)
    cards: list[str]
    preferences: list[PreferenceRow]  # newest first
    file: dict[str, str]  # only the fields this actor may read
    advisor_id: uuid.UUID | None
    tier_override_code: str | None
    tier_override_reason: str | None
    may: frozenset[str]
    consent_at: datetime | None


# -- validation ---------------------------------------------------------------------------


def _texts(values: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, value in values.items():
        if name in TEXT_LIMITS and (value is None or isinstance(value, str)):
            errors += text(name, value, limit=TEXT_LIMITS[name])
    return errors


def _person_problems(values: dict[str, Any], today: date) -> list[FieldError]:
    errors = _texts(values)
    if "gender" in values:
        errors += choice("gender", values["gender"] or None, ("F", "M"), required=False)
    birthday = values.get("birthday")
    if birthday is not None and not OLDEST_BIRTHDAY <= birthday <= today:
        errors.append(FieldError("birthday", f"{birthday.isoformat()} is in the future"
                                 if birthday > today else "not a plausible birthday"))
    email = clean(values.get("email"))
    if email and ("@" not in email or " " in email):
        errors.append(FieldError("email", "not an e-mail address"))
    return errors


def _number_problems(phone_list: list[str], cards: list[str]) -> list[FieldError]:
    errors = [FieldError("phones", f"not a valid number: {raw[:40]}")
              for raw in phone_list if raw.strip() and phones.try_normalize(raw) is None]
    errors += [FieldError("cards", "letters and digits only, at most 40")
               for card in cards if card.strip() and not _card_ok(card)]
    return errors


def _card_ok(card: str) -> bool:
    card = card.strip()
    return card.isascii() and card.isalnum() and len(card) <= MAX_CARD


def _preference_problems(prefs: list[tuple[str, str]]) -> list[FieldError]:
    errors: list[FieldError] = []
    for tag, value in prefs:
        errors += text("preferences", tag, limit=MAX_TAG, required=True)
        errors += text("preferences", value, limit=MAX_PREF, required=True)
    return errors


def validate_registration(draft: Registration, today: date) -> list[FieldError]:
    """Every problem with a registration, field by field (the form runs it as people
    type; `register` runs it again before writing)."""
    errors: list[FieldError] = []
    if not (clean(draft.name_zh) or clean(draft.name_latin)):
        errors.append(FieldError("name_zh", "required"))
    values = {name: getattr(draft, name) for name in CONTACT_FIELDS}
    values["occupation"] = draft.occupation
    errors += _person_problems(values, today)
    errors += _number_problems(draft.phones, draft.cards)
    errors += _preference_problems(draft.preferences)
    if not draft.consent:
        errors.append(FieldError("consent", "required"))
    return errors


def validate_changes(changes: MemberChanges, today: date) -> list[FieldError]:
    errors = _person_problems({**changes.contact, **changes.file}, today)
    errors += [FieldError(name, "not a field of the member")
               for name in set(changes.contact) - set(CONTACT_FIELDS)]
    errors += [FieldError(name, "not a field of the file")
               for name in set(changes.file) - set(FILE_FIELDS)]
    names = [changes.contact[n] for n in ("name_zh", "name_latin") if n in changes.contact]
    if names and not any(clean(n) for n in names):
        errors.append(FieldError("name_zh", "required"))
    errors += _number_problems(changes.phones_add, changes.cards_add)
    errors += _preference_problems(changes.prefs_add)
    if changes.tier_override is not UNCHANGED:
        _code, reason = changes.tier_override
        errors += text("tier_reason", reason, limit=500, required=True)
    return errors


# -- duplicates ---------------------------------------------------------------------------


def find_matches(session: Session, phone_list: list[str], cards: list[str],
                 name: str | None = None, birthday: date | None = None,
                 exclude: uuid.UUID | None = None) -> list[Match]:
    """Live members that look like the same person: same phone, same card, or the same
    name and birthday. One row per member and reason."""
    found: list[Match] = []
    e164s = {n for raw in phone_list if (n := phones.try_normalize(raw))}
    if e164s:
        found += _matches(session, "phone", select(MemberPhone.member_id)
                          .where(MemberPhone.e164.in_(e164s)), exclude)
    numbers = {c.strip().upper() for c in cards if c.strip()}
    if numbers:
        found += _matches(session, "card", select(MemberCard.member_id)
                          .where(MemberCard.card_no.in_(numbers)), exclude)
    if name and birthday is not None:
        same = select(Member.id).where(Member.birthday == birthday,
                                       or_(Member.name_zh == name, Member.name_latin == name))
        found += _matches(session, "name_birthday", same, exclude)
    return found


def _matches(session: Session, why: str, ids: Any, exclude: uuid.UUID | None) -> list[Match]:
    rows = session.scalars(select(Member).where(Member.id.in_(ids), Member.erased_at.is_(None))
                           .order_by(Member.member_no).limit(5))
    return [Match(m.id, m.member_no, m.display_name, why) for m in rows if m.id != exclude]


def _refuse_duplicates(matches: list[Match], same_person_ok: bool) -> None:
    hard = [m for m in matches if m.why in ("phone", "card")]
    soft = [] if same_person_ok else [m for m in matches if m.why == "name_birthday"]
    errors = [FieldError({"phone": "phones", "card": "cards"}.get(m.why, "name_zh"),
                         f"already on file: {m.name} ({m.member_no})") for m in hard + soft]
    if errors:
        raise DuplicateMember(errors, hard + soft)


# -- registering --------------------------------------------------------------------------


def register(session: Session, actor: Actor, draft: Registration, clock: Clock | None = None,
             store_id: uuid.UUID | None = None) -> Registered:
    """A new member with the consent recorded; refuses a phone or card already on file
    (and, unless the desk confirmed it, the same name and birthday)."""
    clock = clock or Clock()
    auth.require(actor, "member.register")
    if draft.advisor_id is not None:
        auth.require(actor, "member.advisor.assign")
    raise_if(validate_registration(draft, local_date(clock.now())))
    name = clean(draft.name_zh) or clean(draft.name_latin)
    _refuse_duplicates(find_matches(session, draft.phones, draft.cards, name, draft.birthday),
                       draft.same_person_ok)
    if draft.advisor_id is not None:
        _check_advisor(session, draft.advisor_id)
    member = members.add_member(session, members.NewMember(
        member_no=_new_member_no(session, store_id), name_zh=clean(draft.name_zh),
        name_latin=clean(draft.name_latin), gender=draft.gender or None,
        birthday=draft.birthday, email=clean(draft.email),
        phones=[p for p in draft.phones if p.strip()],
        cards=[c.strip() for c in draft.cards if c.strip()],
        home_store_id=store_id or actor.store_id, advisor_id=draft.advisor_id))
    member.address, member.occupation = clean(draft.address), clean(draft.occupation)
    member.consent_at, member.consent_by = clock.now(), actor.staff_id
    _add_preferences(member, actor, draft.preferences, clock)
    session.flush()
    audit.member_changed(session, actor, member.id, "registered; consent recorded", clock)
    return Registered(member.id, member.member_no, member.display_name)


def _new_member_no(session: Session, store_id: uuid.UUID | None) -> str:
    """A number no other desk will hand out while offline: the store's code and the
    random tail of a fresh uuid7 (checked here against this desk's members)."""
    code = session.scalar(select(Store.code).where(Store.id == store_id)) if store_id else None
    prefix = "".join(c for c in (code or "N") if c.isalnum())[:8].upper()
    while True:
        number = f"{prefix}{uuid7().hex[-8:].upper()}"
        if members.find_by_member_no(session, number) is None:
            return number


def _check_advisor(session: Session, advisor_id: uuid.UUID) -> None:
    staff = session.get(Staff, advisor_id)
    if staff is None or not staff.active or staff.role not in ADVISOR_ROLES:
        raise FormError([FieldError("advisor_id", "no such staff member")])


def _add_preferences(member: Member, actor: Actor, prefs: list[tuple[str, str]],
                     clock: Clock) -> None:
    now = clock.now()
    for tag, value in prefs:
        member.preferences.append(Preference(tag=tag.strip(), value=value.strip(),
                                             created_by=actor.staff_id, created_at=now))


# -- editing ------------------------------------------------------------------------------


def edit_view(session: Session, actor: Actor, member_id: uuid.UUID) -> EditView:
    """What the edit form shows this actor (the private file only to whoever may read
    it); the view is audited like the card."""
    member = load_member(session, member_id)
    audit.member_viewed(session, actor, member.id, how="edit form")
    by = {p.created_by for p in member.preferences if p.created_by}
    names = {row.id: row.name for row in session.execute(
        select(Staff.id, Staff.name).where(Staff.id.in_(by)))}
    private = can_see_private(actor, member.advisor_id)
    file = {f: v for f in FILE_FIELDS if (v := getattr(member, f))
            and (private or f not in PRIVATE_FILE_FIELDS)}
    may = frozenset(a for a in ("member.edit.own", "member.private.own",
                                "member.preference.own", "member.advisor.assign",
                                "tier.override", "member.merge")
                    if auth.allowed(actor, a, member.advisor_id))
    return EditView(
        member.id, member.member_no, member.name_zh, member.name_latin, member.gender,
        member.birthday, member.email, member.address,
        [(p.id, phones.mask(p.e164)) for p in member.phones],
        [c.card_no for c in member.cards],
        [PreferenceRow(p.id, p.tag, p.value, names.get(p.created_by) if p.created_by
                       else None, p.created_at) for p in member.preferences],
        file, member.advisor_id, member.tier_override_code, member.tier_override_reason, may,
        member.consent_at)


def apply_changes(session: Session, actor: Actor, member_id: uuid.UUID, changes: MemberChanges,
                  table: tiers.TierTable, clock: Clock | None = None) -> list[str]:
    """Check everything, then write it all (or nothing). Returns what changed, in
    words without personal data (as audited)."""
    clock = clock or Clock()
    member = load_member(session, member_id)
    for action in sorted(changes.parts()):
        auth.require(actor, action, member.advisor_id)
    raise_if(validate_changes(changes, local_date(clock.now())))
    _refuse_duplicates(find_matches(session, changes.phones_add, changes.cards_add,
                                    exclude=member.id), False)
    if changes.advisor_id not in (UNCHANGED, None):
        _check_advisor(session, changes.advisor_id)
    duplicate = _duplicate(session, member, changes.merge_from)
    done = _write(session, actor, member, changes, table, clock)
    if duplicate is not None:
        session.flush()
        merged = merge_members(session, actor, member.id, duplicate, table, clock)
        done.append(f"merged {merged.removed_no}")
    if done:
        session.flush()
        audit.member_changed(session, actor, member.id, "; ".join(done), clock)
    return done


def _duplicate(session: Session, member: Member, member_no: str | None) -> uuid.UUID | None:
    """The live member a manager names to merge into this one."""
    if not member_no or not member_no.strip():
        return None
    found = members.find_by_member_no(session, member_no.strip().upper()) \
        or members.find_by_member_no(session, member_no.strip())
    if found is None or found.erased_at is not None:
        raise FormError([FieldError("merge_from", "no such member")])
    if found.id == member.id:
        raise FormError([FieldError("merge_from", "that is this member")])
    return found.id


def _write(session: Session, actor: Actor, member: Member, changes: MemberChanges,
           table: tiers.TierTable, clock: Clock) -> list[str]:
    done = _write_fields(member, {**changes.contact, **changes.file})
    if {"name_zh", "name_latin"} & set(done):
        session.flush()
        members.write_terms(session, member)  # the name search follows the new name
    done += _write_numbers(member, changes)
    done += _write_preferences(member, actor, changes, clock)
    if changes.advisor_id is not UNCHANGED and changes.advisor_id != member.advisor_id:
        member.advisor_id = changes.advisor_id
        done.append("advisor")
    if changes.tier_override is not UNCHANGED:
        code, reason = changes.tier_override
        tiers.set_override(session, member, code or None, reason, actor.staff_id, table)
        done.append("tier override " + (code or "cleared"))
    return done


def _write_fields(member: Member, values: dict[str, Any]) -> list[str]:
    done = []
    for name, value in values.items():
        value = clean(value) if isinstance(value, str) or value is None else value
        if getattr(member, name) != value:
            setattr(member, name, value)
            done.append(name)
    return done


def _write_numbers(member: Member, changes: MemberChanges) -> list[str]:
    done = []
    gone = [p for p in member.phones if p.id in set(changes.phones_remove)]
    for phone in gone:
        member.phones.remove(phone)
    have = {p.e164 for p in member.phones}
    added = [e for e in dict.fromkeys(phones.normalize(r) for r in changes.phones_add
                                      if r.strip()) if e not in have]
    member.phones.extend(MemberPhone(e164=e, suffix4=phones.suffix4(e), is_primary=False)
                         for e in added)
    if member.phones and not any(p.is_primary for p in member.phones):
        member.phones[0].is_primary = True
    if gone or added:
        done.append(f"phones +{len(added)} -{len(gone)}")
    cards_gone = [c for c in member.cards if c.card_no in {n.strip().upper()
                                                           for n in changes.cards_remove}]
    for card in cards_gone:
        member.cards.remove(card)
    held = {c.card_no for c in member.cards}
    new_cards = [n for n in dict.fromkeys(c.strip().upper() for c in changes.cards_add
                                          if c.strip()) if n not in held]
    member.cards.extend(MemberCard(card_no=n) for n in new_cards)
    if cards_gone or new_cards:
        done.append(f"cards +{len(new_cards)} -{len(cards_gone)}")
    return done


def _write_preferences(member: Member, actor: Actor, changes: MemberChanges,
                       clock: Clock) -> list[str]:
    gone = [p for p in member.preferences if p.id in set(changes.prefs_remove)]
    for pref in gone:
        member.preferences.remove(pref)
    _add_preferences(member, actor, changes.prefs_add, clock)
    if not (gone or changes.prefs_add):
        return []
    return [f"preferences +{len(changes.prefs_add)} -{len(gone)}"]


# -- the desk's door ----------------------------------------------------------------------


class DeskParts(Protocol):
    """What `MemberDesk` needs of `services.desk.Desk` (its attributes, read per call:
    the signed-in person changes)."""

    factory: sessionmaker[Session]
    clock: Clock
    actor: Actor
    tiers: tiers.TierTable
    store_code: str
    tz: str  # the store's time zone: what "today" is for a birthday


class MemberDesk:
    """Registration and edits for the window, on the desk's database, clock and the
    person signed in at the moment of the call. Each method is one unit of work."""

    def __init__(self, desk: DeskParts) -> None:
        self.desk = desk

    def today(self) -> date:
        return local_date(self.desk.clock.now(), self.desk.tz)

    def validate_registration(self, draft: Registration) -> list[FieldError]:
        return validate_registration(draft, self.today())

    def validate_changes(self, changes: MemberChanges) -> list[FieldError]:
        return validate_changes(changes, self.today())

    def may(self, action: str) -> bool:
        return auth.role_may(self.desk.actor, action)

    def matches(self, draft: Registration) -> list[Match]:
        name = clean(draft.name_zh) or clean(draft.name_latin)
        with self.desk.factory() as s:
            return find_matches(s, draft.phones, draft.cards, name, draft.birthday)

    def register(self, draft: Registration) -> Registered:
        with unit_of_work(self.desk.factory) as s:
            store_id = s.scalar(select(Store.id).where(Store.code == self.desk.store_code))
            return register(s, self.desk.actor, draft, self.desk.clock, store_id)

    def edit_view(self, member_id: uuid.UUID) -> EditView:
        with unit_of_work(self.desk.factory) as s:
            return edit_view(s, self.desk.actor, member_id)

    def apply(self, member_id: uuid.UUID, changes: MemberChanges) -> list[str]:
        with unit_of_work(self.desk.factory) as s:
            return apply_changes(s, self.desk.actor, member_id, changes, self.desk.tiers,
                                 self.desk.clock)

    def advisors(self) -> list[tuple[uuid.UUID, str]]:
        with self.desk.factory() as s:
            rows = s.execute(select(Staff.id, Staff.staff_no, Staff.name)
                             .where(Staff.active, Staff.role.in_(ADVISOR_ROLES))
                             .order_by(Staff.staff_no)).all()
        return [(row.id, f"{row.staff_no} {row.name}") for row in rows]

    def tier_choices(self) -> list[tuple[str, str, str]]:
        """(code, Chinese name, English name) of every tier, lowest first."""
        return [(t.code, t.name_zh, t.name_en) for t in self.desk.tiers.tiers]

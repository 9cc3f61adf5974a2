"""One query string → ranked members: phones in any writing, last 4 digits, cards,
member numbers, scanned QR payloads, Chinese names (substring), Latin names and pinyin.

Hot path: plain Core statements on one pooled connection, compiled once and cached by
SQLAlchemy, so an exact phone or card lookup costs a couple of index seeks.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import Engine, Select, bindparam, select
from sqlalchemy.orm import Session

from vipdesk.models import Member, MemberCard, MemberPhone, MemberTerm
from vipdesk.services import phones, scan
from vipdesk.services.names import query_term
from vipdesk.services.tiers import TierTable, load_tier_table

RESULT_LIMIT = 50
CANDIDATE_LIMIT = 200
_DIGITS = re.compile(r"^\+?[0-9]+$")
_MEMBER_NO = re.compile(r"^[A-Za-z]{1,4}[0-9]{3,}$")
_TOP = "\U0010ffff"  # sorts after any real continuation: `term < prefix + _TOP`


class Match(StrEnum):
    CARD = "card"
    MEMBER_NO = "member_no"
    PHONE = "phone"
    PHONE_SUFFIX = "phone_suffix"
    NAME = "name"


class Note(StrEnum):
    """Why a lookup found nothing (or not everything); the UI words it."""

    OK = "ok"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NO_MATCH = "no_match"
    MORE = "more"  # more matches than shown: type more


@dataclass(frozen=True)
class MemberHit:
    member_id: uuid.UUID
    member_no: str
    name: str
    name_latin: str | None
    gender: str | None
    tier_code: str | None
    tier_name_zh: str | None
    tier_name_en: str | None
    tier_overridden: bool
    phone_masked: str | None
    match: Match


@dataclass(frozen=True)
class LookupOutcome:
    query: str
    hits: list[MemberHit] = field(default_factory=list)
    note: Note = Note.OK


_first_phone = (
    select(MemberPhone.e164)
    .where(MemberPhone.member_id == Member.id)
    .order_by(MemberPhone.is_primary.desc())
    .limit(1)
    .correlate(Member)
    .scalar_subquery()
)
_HIT_COLUMNS = (
    Member.id, Member.member_no, Member.name_zh, Member.name_latin, Member.gender,
    Member.tier_code, Member.tier_override_code, _first_phone.label("e164"),
)
_live = Member.erased_at.is_(None)

BY_CARD = (
    select(*_HIT_COLUMNS).join(MemberCard, MemberCard.member_id == Member.id)
    .where(MemberCard.card_no == bindparam("code"), _live)
)
BY_MEMBER_NO = select(*_HIT_COLUMNS).where(Member.member_no == bindparam("code"), _live)
BY_PHONE = (
    select(*_HIT_COLUMNS).join(MemberPhone, MemberPhone.member_id == Member.id)
    .where(MemberPhone.e164 == bindparam("e164"), _live)
)
BY_SUFFIX = (
    select(*_HIT_COLUMNS).join(MemberPhone, MemberPhone.member_id == Member.id)
    .where(MemberPhone.suffix4 == bindparam("suffix"), _live)
    .limit(CANDIDATE_LIMIT + 1)
)
TERMS = (
    select(MemberTerm.member_id, MemberTerm.term, MemberTerm.weight)
    .where(MemberTerm.term >= bindparam("lo"), MemberTerm.term < bindparam("hi"))
    .order_by(MemberTerm.term)
    .limit(CANDIDATE_LIMIT + 1)
)
BY_IDS = select(*_HIT_COLUMNS).where(
    Member.id.in_(bindparam("ids", expanding=True)), _live
)


class LookupService:
    """Thread-safe: each call checks a connection out of the engine's pool."""

    def __init__(self, engine: Engine, tiers: TierTable | None = None) -> None:
        self.engine = engine
        if tiers is None:
            with Session(engine) as session:
                tiers = load_tier_table(session)
        self.tiers = tiers

    def search(self, query: str, limit: int = RESULT_LIMIT) -> LookupOutcome:
        text = scan.clean(query[: scan.MAX_QUERY * 4])
        if not text:
            return LookupOutcome(query, note=Note.EMPTY)
        if len(text) > scan.MAX_QUERY:
            return LookupOutcome(query, note=Note.TOO_LONG)
        with self.engine.connect() as conn:
            hits, more = self._dispatch(conn, text)
        hits = self._dedupe(hits)
        note = Note.MORE if more or len(hits) > limit else Note.OK if hits else Note.NO_MATCH
        return LookupOutcome(query, hits[:limit], note)

    # -- grammar ---------------------------------------------------------------------

    def _dispatch(self, conn, text: str) -> tuple[list[MemberHit], bool]:  # type: ignore[no-untyped-def]
        payload = scan.parse_payload(text)
        if payload is not None:
            return self._exact_codes(conn, payload.card_no, payload.member_no), False
        squeezed = phones.squeeze(text)
        if _DIGITS.match(squeezed):
            return self._digits(conn, squeezed)
        if _MEMBER_NO.match(squeezed):
            code = squeezed.upper()
            return self._exact_codes(conn, code, code), False
        return self._names(conn, text)

    def _digits(self, conn, digits: str) -> tuple[list[MemberHit], bool]:  # type: ignore[no-untyped-def]
        if len(digits) == 4:
            rows = conn.execute(BY_SUFFIX, {"suffix": digits}).all()
            hits = self._ranked(rows, Match.PHONE_SUFFIX)
            return hits, len(rows) > CANDIDATE_LIMIT
        hits = self._exact_codes(conn, digits.lstrip("+"), None)
        e164 = phones.try_normalize(digits)
        if e164:
            hits += self._ranked(conn.execute(BY_PHONE, {"e164": e164}).all(), Match.PHONE)
        return hits, False

    def _exact_codes(self, conn, card: str | None, member_no: str | None) -> list[MemberHit]:  # type: ignore[no-untyped-def]
        hits: list[MemberHit] = []
        if card:
            hits += self._ranked(conn.execute(BY_CARD, {"code": card}).all(), Match.CARD)
        if member_no:
            rows = conn.execute(BY_MEMBER_NO, {"code": member_no}).all()
            hits += self._ranked(rows, Match.MEMBER_NO)
        return hits

    def _names(self, conn, text: str) -> tuple[list[MemberHit], bool]:  # type: ignore[no-untyped-def]
        term = query_term(text)
        if not term:
            return [], False
        found = conn.execute(TERMS, {"lo": term, "hi": term + _TOP}).all()
        more = len(found) > CANDIDATE_LIMIT
        best: dict[uuid.UUID, tuple[int, int]] = {}
        for member_id, found_term, weight in found[:CANDIDATE_LIMIT]:
            key = (0 if found_term == term else 1, weight)
            best[member_id] = min(best.get(member_id, key), key)
        if not best:
            return [], False
        rows = conn.execute(BY_IDS, {"ids": list(best)}).all()
        hits = [self._hit(row, Match.NAME) for row in rows]
        hits.sort(key=lambda h: (best[h.member_id], -self.tiers.rank(h.tier_code), h.name))
        return hits, more

    # -- shaping ---------------------------------------------------------------------

    def _ranked(self, rows: Iterable, match: Match) -> list[MemberHit]:  # type: ignore[type-arg]
        hits = [self._hit(row, match) for row in rows]
        hits.sort(key=lambda h: (-self.tiers.rank(h.tier_code), h.member_no))
        return hits

    def _hit(self, row, match: Match) -> MemberHit:  # type: ignore[no-untyped-def]
        member_id, member_no, name_zh, name_latin, gender, tier_code, override, e164 = row
        tier = self.tiers.get(override or tier_code)
        return MemberHit(
            member_id=member_id, member_no=member_no,
            name=name_zh or name_latin or member_no, name_latin=name_latin, gender=gender,
            tier_code=tier.code if tier else None,
            tier_name_zh=tier.name_zh if tier else None,
            tier_name_en=tier.name_en if tier else None,
            tier_overridden=bool(override), phone_masked=phones.mask(e164) if e164 else None,
            match=match,
        )

    @staticmethod
    def _dedupe(hits: list[MemberHit]) -> list[MemberHit]:
        seen: set[uuid.UUID] = set()
        out = []
        for hit in hits:
            if hit.member_id not in seen:
                seen.add(hit.member_id)
                out.append(hit)
        return out


def statement_for(match: Match) -> Select:  # type: ignore[type-arg]
    """The statement behind each exact lookup (the benchmark runs them raw too)."""
    return {Match.CARD: BY_CARD, Match.MEMBER_NO: BY_MEMBER_NO, Match.PHONE: BY_PHONE,
            Match.PHONE_SUFFIX: BY_SUFFIX}[match]

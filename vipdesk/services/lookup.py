"""One query string → ranked members: phones in any writing, last 4 digits, cards,
member numbers, scanned QR payloads, Chinese names (substring), Latin names and pinyin.
Bare digits that are no number as typed are also read as Hong Kong or Macau (8 digits)
and Taiwanese mobile (9 from 9) numbers: guests from there give them without a code.

Hot path: the statements below are compiled once to SQL text; on SQLite (the desk) each
thread keeps one DBAPI connection from the engine and runs that text on a raw cursor, so
an exact phone or card lookup costs a couple of index seeks plus ~tens of µs of Python
(benchmarks/lookup.py: pool checkout and SQLAlchemy's result processing were ~5× the
query itself). Other databases go through SQLAlchemy Core, same statements.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, select
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session

from vipdesk.models import Member, MemberCard, MemberPhone, MemberTerm
from vipdesk.services import phones, scan
from vipdesk.services.names import query_term
from vipdesk.services.tiers import TierTable, load_tier_table

RESULT_LIMIT = 50
CANDIDATE_LIMIT = 200
_DIGITS = re.compile(r"^\+?[0-9]+$")
# A member or card number: letters then digits (M0000001), or a number a desk handed out
# (the store's code and a hexadecimal tail: SH011FBE8371) — a letter first, a digit in it.
_MEMBER_NO = re.compile(r"^(?=[A-Za-z0-9]*[0-9])[A-Za-z][A-Za-z0-9]{3,23}$")
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


_masked = lru_cache(maxsize=1 << 16)(phones.mask)  # phonenumbers.parse is ~20 µs a number


@dataclass(frozen=True)
class CompiledSql:
    """A statement as the SQL text the driver receives, with its positional parameters."""

    text: str
    order: tuple[str, ...]
    fixed: dict[str, Any]  # values compiled in (LIMIT, OFFSET)

    @classmethod
    def of(cls, statement: Select, dialect: Dialect) -> CompiledSql:  # type: ignore[type-arg]
        compiled = statement.compile(dialect=dialect)
        fixed = {name: bind.effective_value for name, bind in compiled.binds.items()
                 if not bind.required}
        return cls(compiled.string, tuple(compiled.positiontup or ()), fixed)

    def params(self, given: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(given[k] if k in given else self.fixed[k] for k in self.order)


class _RawRunner:
    """SQLite fast path: compiled SQL text on this thread's own DBAPI connection.

    Outside a transaction pysqlite reads in autocommit, so every query sees the newest
    committed data (no snapshot is pinned by keeping the connection).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.compiled = {stmt: CompiledSql.of(stmt, engine.dialect)
                         for stmt in (BY_CARD, BY_MEMBER_NO, BY_PHONE, BY_SUFFIX, TERMS)}
        self.local = threading.local()
        # BY_IDS with its expanding IN list written out per call (the list's length varies).
        self.by_ids = CompiledSql.of(select(*_HIT_COLUMNS).where(_live), engine.dialect)

    def cursor(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = self.engine.raw_connection()
        return conn.cursor()

    def rows(self, statement: Select, **given: Any) -> list[Sequence[Any]]:  # type: ignore[type-arg]
        sql = self.compiled[statement]
        cur = self.cursor()
        try:
            return cur.execute(sql.text, sql.params(given)).fetchall()  # type: ignore[no-any-return]
        finally:
            cur.close()

    def members(self, ids: list[Any]) -> list[Sequence[Any]]:
        cur = self.cursor()
        try:
            marks = ",".join("?" * len(ids))
            sql = f"{self.by_ids.text} AND members.id IN ({marks})"
            return cur.execute(sql, self.by_ids.params({}) + tuple(ids)).fetchall()  # type: ignore[no-any-return]
        finally:
            cur.close()


class _CoreRunner:
    """Any other database: the same statements through SQLAlchemy Core."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def rows(self, statement: Select, **given: Any) -> list[Sequence[Any]]:  # type: ignore[type-arg]
        return list(self.conn.execute(statement, given).all())

    def members(self, ids: list[Any]) -> list[Sequence[Any]]:
        return list(self.conn.execute(BY_IDS, {"ids": ids}).all())


class LookupService:
    """Thread-safe: on SQLite each thread uses its own connection, elsewhere each call
    checks one out of the engine's pool."""

    def __init__(self, engine: Engine, tiers: TierTable | None = None) -> None:
        self.engine = engine
        if tiers is None:
            with Session(engine) as session:
                tiers = load_tier_table(session)
        self.tiers = tiers
        self._raw = _RawRunner(engine) if engine.dialect.name == "sqlite" else None

    def search(self, query: str, limit: int = RESULT_LIMIT) -> LookupOutcome:
        text = scan.clean(query[: scan.MAX_QUERY * 4])
        if not text:
            return LookupOutcome(query, note=Note.EMPTY)
        if len(text) > scan.MAX_QUERY:
            return LookupOutcome(query, note=Note.TOO_LONG)
        if self._raw is not None:
            hits, more = self._dispatch(self._raw, text)
        else:
            with self.engine.connect() as conn:
                hits, more = self._dispatch(_CoreRunner(conn), text)
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
            hits = self._exact_codes(conn, code, code)
            if hits:
                return hits, False
        return self._names(conn, text)

    def _digits(self, conn, digits: str) -> tuple[list[MemberHit], bool]:  # type: ignore[no-untyped-def]
        if len(digits) == 4:
            rows = conn.rows(BY_SUFFIX, suffix=digits)
            hits = self._ranked(rows, Match.PHONE_SUFFIX)
            return hits, len(rows) > CANDIDATE_LIMIT
        hits = self._exact_codes(conn, digits.lstrip("+"), None)
        e164 = phones.try_normalize(digits)
        # Bare digits no valid number as typed: what they are in Hong Kong, Macau, Taiwan.
        for number in [e164] if e164 else phones.neighbour_readings(digits):
            hits += self._ranked(conn.rows(BY_PHONE, e164=number), Match.PHONE)
        return hits, False

    def _exact_codes(self, conn, card: str | None, member_no: str | None) -> list[MemberHit]:  # type: ignore[no-untyped-def]
        hits: list[MemberHit] = []
        if card:
            hits += self._ranked(conn.rows(BY_CARD, code=card), Match.CARD)
        if member_no:
            rows = conn.rows(BY_MEMBER_NO, code=member_no)
            hits += self._ranked(rows, Match.MEMBER_NO)
        return hits

    def _names(self, conn, text: str) -> tuple[list[MemberHit], bool]:  # type: ignore[no-untyped-def]
        term = query_term(text)
        if not term:
            return [], False
        found = conn.rows(TERMS, lo=term, hi=term + _TOP)
        more = len(found) > CANDIDATE_LIMIT
        best: dict[Any, tuple[int, int]] = {}  # member id as the driver returns it
        for member_id, found_term, weight in found[:CANDIDATE_LIMIT]:
            key = (0 if found_term == term else 1, weight)
            best[member_id] = min(best.get(member_id, key), key)
        if not best:
            return [], False
        rows = conn.members(list(best))
        hits = [self._hit(row, Match.NAME) for row in rows]
        order = {_as_uuid(k): v for k, v in best.items()}
        hits.sort(key=lambda h: (order[h.member_id], -self.tiers.rank(h.tier_code), h.name))
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
            member_id=_as_uuid(member_id), member_no=member_no,
            name=name_zh or name_latin or member_no, name_latin=name_latin, gender=gender,
            tier_code=tier.code if tier else None,
            tier_name_zh=tier.name_zh if tier else None,
            tier_name_en=tier.name_en if tier else None,
            tier_overridden=bool(override), phone_masked=_masked(e164) if e164 else None,
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


def _as_uuid(value: Any) -> uuid.UUID:
    """SQLite's raw driver gives the 32-hex-digit text SQLAlchemy stored; Core a UUID."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)


def statement_for(match: Match) -> Select:  # type: ignore[type-arg]
    """The statement behind each exact lookup (the benchmark runs them raw too)."""
    return {Match.CARD: BY_CARD, Match.MEMBER_NO: BY_MEMBER_NO, Match.PHONE: BY_PHONE,
            Match.PHONE_SUFFIX: BY_SUFFIX}[match]

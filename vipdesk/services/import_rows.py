"""The table rows and outbox payloads of imported members, as plain tuples and strings.

A first load builds about thirteen table rows a member (member, phone, card, six or so
search terms, tier change, four outbox ops); through dicts, `isinstance` dispatch and a
JSON encoder per payload that cost more CPU than SQLite's inserts. Here each row is one
tuple in its INSERT's column order, and each payload is the canonical JSON
(`tables.canonical`: sorted keys, compact, UTF-8 as is) filled into a template made
from the synced columns once. Only the columns an import sets are inserted: the others
are NULL either way, and binding a NULL costs as much as binding a value.

"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from vipdesk.models.lounge import birthday_md
from vipdesk.outbox import tables
from vipdesk.services.members import NewMember
from vipdesk.services.name_index import _cached_terms

MEMBER_COLUMNS = ("id", "member_no", "name_zh", "name_latin", "gender", "birthday",
                  "birthday_md", "email", "language", "home_store_id", "advisor_id",
                  "spend_12m_cents", "tier_code", "updated_at", "created_at")
PHONE_COLUMNS = ("id", "member_id", "e164", "suffix4", "is_primary")  # label: NULL
CARD_COLUMNS = ("id", "member_id", "card_no", "status", "created_at")
TIER_COLUMNS = ("id", "member_id", "to_tier", "kind", "reason", "created_at")
TERM_COLUMNS = ("term", "member_id", "weight")
# Synced member columns the import fills (the rest go out as null); the payload's
# values follow them sorted. Values whose form validation fixes (E.164 phones, ASCII
# cards and member numbers, the tier reason) are quoted as they are.
_MEMBER_WIRE = ("id", "member_no", "name_zh", "name_latin", "gender", "birthday",
                "birthday_md", "email", "language", "home_store_id", "advisor_id",
                "tier_code", "created_at")


def json_text(value: str | None) -> str:
    """A string as canonical JSON writes it: quoted as is unless it holds what JSON
    escapes (quote, backslash, control characters; `isprintable` is stricter, and
    orjson then writes exactly what the stdlib would)."""
    if value is None:
        return "null"
    if value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return orjson.dumps(value).decode()


def _template(table: str, filled: Iterable[str]) -> str:
    """`{"row":{...}}` with the synced columns in sorted order: `%s` where the import
    fills a value, null elsewhere."""
    names = sorted(c.name for c in tables.synced_columns(table))
    wanted = set(filled)
    assert wanted <= set(names), wanted - set(names)
    body = ",".join(f'"{name}":{"%s" if name in wanted else "null"}' for name in names)
    return '{"row":{' + body + "}}"


_MEMBER_TEMPLATE = _template("members", _MEMBER_WIRE)
assert sorted(_MEMBER_WIRE) == [
    "advisor_id", "birthday", "birthday_md", "created_at", "email", "gender",
    "home_store_id", "id", "language", "member_no", "name_latin", "name_zh", "tier_code"]
_PHONE_TEMPLATE = _template("member_phones", ("e164", "id", "is_primary", "member_id",
                                              "suffix4"))
_CARD_TEMPLATE = _template("member_cards", ("card_no", "created_at", "id", "member_id",
                                            "status"))
_TIER_TEMPLATE = _template("tier_changes", ("created_at", "id", "kind", "member_id",
                                            "reason", "to_tier"))


class Ids:
    """UUIDv7 as the 32 hex digits SQLAlchemy stores and the dashed form payloads carry,
    by slicing one urandom hex string per batch (uuid.UUID objects cost ~2 µs each, and
    a member needs eight ids). Time-ordered keys append to their indexes."""

    def __init__(self, count: int) -> None:
        self.hex = os.urandom(10 * count).hex()  # 20 digits an id, 19 of them used
        self.used = 0
        ms = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
        self.prefix = f"{ms:012x}7"  # 48-bit milliseconds, version 7
        self.dashed = f"{ms:012x}"[:8] + "-" + f"{ms:012x}"[8:] + "-7"

    def v7(self) -> tuple[str, str]:
        """(hex, dashed), by string slicing: 12 random bits, the variant digit (10xx, two
        random bits), 60 random bits."""
        at = self.used * 20
        self.used += 1
        r = self.hex
        a, v, b, c = r[at:at + 3], _VARIANT[r[at + 3]], r[at + 4:at + 7], r[at + 7:at + 19]
        return f"{self.prefix}{a}{v}{b}{c}", f"{self.dashed}{a}-{v}{b}-{c}"

    def hexes(self, count: int) -> list[str]:
        """`count` ids in the stored form only (outbox op ids)."""
        start = self.used * 20
        self.used += count
        r, p, var = self.hex, self.prefix, _VARIANT
        return [f"{p}{r[at:at + 3]}{var[r[at + 3]]}{r[at + 4:at + 19]}"
                for at in range(start, start + 20 * count, 20)]


_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def ids_needed(items: Iterable[Prepared]) -> int:
    """Ids a batch takes: four a member at most (member, tier change, and per phone and
    card) plus one op id each."""
    return sum(2 * (2 + len(p.e164s) + len(p.data.cards)) for p in items)


@dataclass(frozen=True)
class Prepared:
    """A member to write, its phones already in E.164 (normalised once, in validation)."""

    data: NewMember
    e164s: tuple[str, ...]


@dataclass
class Rows:
    """A batch's rows per table; `ops` per synced table: (record id, payload), one for
    each of the table's rows in the same order (when captured), and an op id for each."""

    members: list[tuple[Any, ...]]
    phones: list[tuple[Any, ...]]
    cards: list[tuple[Any, ...]]
    terms: list[tuple[Any, ...]]
    tiers: list[tuple[Any, ...]]
    ops: dict[str, list[tuple[str, str]]]
    op_ids: list[str]
    created_at: str = ""  # as stored: the ops' own time too

    @classmethod
    def empty(cls, created_at: str = "") -> Rows:
        return cls([], [], [], [], [], {"members": [], "member_phones": [],
                                        "member_cards": [], "tier_changes": []}, [],
                   created_at)


class RowBuilder:
    """Appends each prepared member's rows (and payloads, when `capture`) to a `Rows`."""

    def __init__(self, capture: bool,
                 terms: Callable[[str | None, str | None], tuple[tuple[str, int], ...]]
                 = _cached_terms) -> None:
        self.capture = capture
        self.terms = terms
        self.now(datetime.now(UTC))

    def now(self, moment: datetime) -> None:
        """The rows' created_at from here on: each batch takes the time it is built."""
        self.now_db = db_time(moment)
        self.now_wire_json = json_text(moment.astimezone(UTC).isoformat())

    def build(self, batch: list[Prepared]) -> Rows:
        self.now(datetime.now(UTC))
        rows = Rows.empty(self.now_db)
        ids = Ids(ids_needed(batch))
        for item in batch:
            self.member(item, ids, rows)
        self.add_op_ids(rows, ids)
        return rows

    def add_op_ids(self, rows: Rows, ids: Ids) -> None:
        rows.op_ids = ids.hexes(sum(map(len, rows.ops.values())))

    def member(self, item: Prepared, ids: Ids, rows: Rows) -> None:
        data = item.data
        hex_id, wire_id = ids.v7()
        day = data.birthday
        birthday = day.isoformat() if day else None
        day_md = birthday_md(day)
        home, advisor = _hex(data.home_store_id), _hex(data.advisor_id)
        rows.members.append((
            hex_id, data.member_no, data.name_zh, data.name_latin, data.gender, birthday,
            day_md, data.email, data.language, home, advisor, data.spend_12m_cents,
            data.tier_code, self.now_db, self.now_db))
        member_json = f'"{wire_id}"'
        if self.capture:  # the template's order: _MEMBER_WIRE sorted
            rows.ops["members"].append((hex_id, _MEMBER_TEMPLATE % (
                _wire_uuid(data.advisor_id), f'"{birthday}"' if day else "null",
                "null" if day_md is None else day_md, self.now_wire_json,
                json_text(data.email), json_text(data.gender), _wire_uuid(data.home_store_id),
                member_json, json_text(data.language), f'"{data.member_no}"',
                json_text(data.name_latin), json_text(data.name_zh),
                json_text(data.tier_code))))
        self.phones(item.e164s, hex_id, member_json, ids, rows)
        self.cards(data.cards, hex_id, member_json, ids, rows)
        rows.terms.extend([(term, hex_id, weight)
                           for term, weight in self.terms(data.name_zh, data.name_latin)])
        if data.tier_code:
            self.tier(data, hex_id, member_json, ids, rows)

    def phones(self, e164s: tuple[str, ...], member_hex: str, member_json: str, ids: Ids,
               rows: Rows) -> None:
        primary = True
        for e164 in e164s:
            hex_id, wire_id = ids.v7()
            rows.phones.append((hex_id, member_hex, e164, e164[-4:], int(primary)))
            if self.capture:  # e164, id, is_primary, member_id, suffix4
                rows.ops["member_phones"].append((hex_id, _PHONE_TEMPLATE % (
                    f'"{e164}"', f'"{wire_id}"', "true" if primary else "false",
                    member_json, f'"{e164[-4:]}"')))
            primary = False

    def cards(self, cards: list[str], member_hex: str, member_json: str, ids: Ids,
              rows: Rows) -> None:
        for card in dict.fromkeys(c.upper() for c in cards):
            hex_id, wire_id = ids.v7()
            rows.cards.append((hex_id, member_hex, card, "active", self.now_db))
            if self.capture:  # card_no, created_at, id, member_id, status
                rows.ops["member_cards"].append((hex_id, _CARD_TEMPLATE % (
                    f'"{card}"', self.now_wire_json, f'"{wire_id}"', member_json,
                    '"active"')))

    def tier(self, data: NewMember, member_hex: str, member_json: str, ids: Ids,
             rows: Rows) -> None:
        hex_id, wire_id = ids.v7()
        reason = f"imported, 12m spend ¥{data.spend_12m_cents // 100:,}"
        rows.tiers.append((hex_id, member_hex, data.tier_code, "auto", reason, self.now_db))
        if self.capture:  # created_at, id, kind, member_id, reason, to_tier
            rows.ops["tier_changes"].append((hex_id, _TIER_TEMPLATE % (
                self.now_wire_json, f'"{wire_id}"', '"auto"', member_json,
                f'"{reason}"', json_text(data.tier_code))))


def db_time(moment: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite (UTC, naive, always six decimals)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _wire_uuid(value: Any) -> str:
    """A uuid.UUID as a payload carries it (dashed), or null."""
    return "null" if value is None else f'"{value}"'


def _hex(value: Any) -> str | None:
    """A uuid.UUID as SQLAlchemy stores it (32 hex digits)."""
    return None if value is None else str(value.hex)

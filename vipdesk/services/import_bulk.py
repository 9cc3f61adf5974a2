"""Writing a batch of imported members with the DBAPI's executemany: the members, their
phones, cards, search terms and first tier change, and each synced row's outbox op, in
the caller's transaction.

The rows are the ones the ORM path writes (`members.stage_member`, `add_terms`, a
`TierChange`, and the outbox capture's session hook): same columns, same defaults, same
payloads, the ops in the same order per batch (parents first, tier history after);
`tests/services/test_import_bulk.py` compares the two paths row by row. It exists
because the ORM path costs ~1.5 ms a member (unit of work, one capture per flush) and a
chain's first load is a million members. SQLite only: the centre never imports files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from vipdesk.models import Member
from vipdesk.models.lounge import birthday_md
from vipdesk.outbox import state as sync_state
from vipdesk.outbox.capture import physical_clock
from vipdesk.outbox.hlc import HybridClock
from vipdesk.outbox.ops import INSERT, PROTOCOL
from vipdesk.outbox.tables import dependency_rank
from vipdesk.services.members import NewMember
from vipdesk.services.name_index import _cached_terms

MEMBER_COLUMNS = tuple(c.name for c in Member.__table__.columns)
_MEMBER_POSITION = {name: i for i, name in enumerate(MEMBER_COLUMNS)}
_MEMBER_TEMPLATE: list[Any] = [None] * len(MEMBER_COLUMNS)
# Local columns (tables.LOCAL_COLUMNS) stay out of the payload, as in the capture.
_MEMBER_LOCAL = frozenset({"spend_12m_cents", "updated_at"})
_MEMBER_WIRE_TEMPLATE: dict[str, Any] = dict.fromkeys(
    c for c in MEMBER_COLUMNS if c not in _MEMBER_LOCAL)
_PHONE_COLUMNS = ("id", "member_id", "e164", "suffix4", "label", "is_primary")
_CARD_COLUMNS = ("id", "member_id", "card_no", "status", "created_at")
_TIER_COLUMNS = ("id", "member_id", "from_tier", "to_tier", "kind", "reason", "created_by",
                 "created_at")
_OUTBOX_COLUMNS = ("op_id", "kind", "table_name", "record_id", "payload", "hlc", "protocol",
                   "created_at")


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


@dataclass(frozen=True)
class Prepared:
    """A member to write, its phones already in E.164 (normalised once, in validation)."""

    data: NewMember
    e164s: tuple[str, ...]


class _Ids:
    """UUIDv7 as the 32 hex digits SQLAlchemy stores and the dashed form payloads carry,
    from one urandom call per batch (uuid.UUID objects cost ~2 µs each, several per
    member). Op ids are v7 too (the capture's are v4; nothing reads their order): a
    time-ordered key appends to the op-id index instead of touching a random page."""

    def __init__(self, count: int) -> None:
        self.hex = os.urandom(10 * count).hex()  # 20 digits an id, 19 of them used
        self.used = 0
        ms = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
        self.prefix = f"{ms:012x}7"  # 48-bit milliseconds, version 7

    def v7(self) -> tuple[str, str]:
        """By string slicing (~3× cheaper than building the 128-bit integer): 12 random
        bits, the variant digit (10xx, two random bits), 60 random bits."""
        at = self.used * 20
        self.used += 1
        r = self.hex
        h = f"{self.prefix}{r[at:at + 3]}{_VARIANT[r[at + 3]]}{r[at + 4:at + 19]}"
        return h, f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


@dataclass
class _Rows:
    members: list[tuple[Any, ...]]
    phones: list[tuple[Any, ...]]
    cards: list[tuple[Any, ...]]
    terms: list[tuple[Any, ...]]
    tiers: list[tuple[Any, ...]]
    ops: dict[str, list[tuple[str, str]]]  # table → (record id hex, payload), in order


class BulkWriter:
    """One per batch transaction: `write(prepared)` inserts everything the ORM would."""

    def __init__(self, conn: Connection, capture: bool,
                 terms_table: str = "member_terms") -> None:
        self.conn = conn
        self.capture = capture
        self.terms_table = terms_table  # a first load stages them (import_first_load)
        now = datetime.now(UTC)
        # The stored form through the column type itself, so it cannot drift from the ORM's.
        bind = Member.__table__.c.created_at.type.bind_processor(conn.dialect)
        stored = now.replace(tzinfo=None)
        self.now_db = bind(now) if bind else stored.isoformat(" ")
        self.now_wire = now.isoformat()

    def write(self, batch: list[Prepared]) -> None:
        ids = _Ids(count=len(batch) * 12 + sum(4 * len(p.e164s) + 4 * len(p.data.cards)
                                                for p in batch))
        rows = _Rows([], [], [], [], [], {"members": [], "member_phones": [],
                                          "member_cards": [], "tier_changes": []})
        for item in batch:
            self._member(item, ids, rows)
        run = self.conn.exec_driver_sql
        run(_insert_sql("members", MEMBER_COLUMNS), rows.members)
        if rows.phones:
            run(_insert_sql("member_phones", _PHONE_COLUMNS), rows.phones)
        if rows.cards:
            run(_insert_sql("member_cards", _CARD_COLUMNS), rows.cards)
        if rows.terms:
            run(_insert_sql(self.terms_table, ("term", "member_id", "weight")),
                rows.terms)
        if rows.tiers:
            run(_insert_sql("tier_changes", _TIER_COLUMNS), rows.tiers)
        if self.capture:
            self._outbox(rows.ops, ids)

    def _member(self, item: Prepared, ids: _Ids, rows: _Rows) -> None:
        data = item.data
        hex_id, wire_id = ids.v7()
        values: dict[str, Any] = {
            "id": hex_id, "member_no": data.member_no, "name_zh": data.name_zh,
            "name_latin": data.name_latin, "gender": data.gender, "birthday": data.birthday,
            "birthday_md": birthday_md(data.birthday), "email": data.email,
            "language": data.language, "home_store_id": data.home_store_id,
            "advisor_id": data.advisor_id, "spend_12m_cents": data.spend_12m_cents,
            "tier_code": data.tier_code, "updated_at": self.now_db,
            "created_at": self.now_db}
        # Every other column is NULL, as the ORM leaves it: a template, not 31 lookups.
        row = _MEMBER_TEMPLATE.copy()
        for name, value in values.items():
            row[_MEMBER_POSITION[name]] = _stored(value)
        rows.members.append(tuple(row))
        if self.capture:
            wire = _MEMBER_WIRE_TEMPLATE.copy()
            for name, value in values.items():
                if name not in _MEMBER_LOCAL:
                    wire[name] = _wire(value)
            wire.update(id=wire_id, created_at=self.now_wire)
            rows.ops["members"].append((hex_id, _json(wire)))
        self._phones(item, hex_id, wire_id, ids, rows)
        self._cards(data, hex_id, wire_id, ids, rows)
        rows.terms.extend((term, hex_id, weight)
                          for term, weight in _cached_terms(data.name_zh, data.name_latin))
        if data.tier_code:
            self._tier(data, hex_id, wire_id, ids, rows)

    def _phones(self, item: Prepared, member_hex: str, member_wire: str, ids: _Ids,
                rows: _Rows) -> None:
        for i, e164 in enumerate(item.e164s):
            hex_id, wire_id = ids.v7()
            rows.phones.append((hex_id, member_hex, e164, e164[-4:], None, int(i == 0)))
            if self.capture:
                rows.ops["member_phones"].append((hex_id, _json({
                    "id": wire_id, "member_id": member_wire, "e164": e164,
                    "suffix4": e164[-4:], "label": None, "is_primary": i == 0})))

    def _cards(self, data: NewMember, member_hex: str, member_wire: str, ids: _Ids,
               rows: _Rows) -> None:
        for card in dict.fromkeys(c.upper() for c in data.cards):
            hex_id, wire_id = ids.v7()
            rows.cards.append((hex_id, member_hex, card, "active", self.now_db))
            if self.capture:
                rows.ops["member_cards"].append((hex_id, _json({
                    "id": wire_id, "member_id": member_wire, "card_no": card,
                    "status": "active", "created_at": self.now_wire})))

    def _tier(self, data: NewMember, member_hex: str, member_wire: str, ids: _Ids,
              rows: _Rows) -> None:
        hex_id, wire_id = ids.v7()
        reason = f"imported, 12m spend ¥{data.spend_12m_cents // 100:,}"
        rows.tiers.append((hex_id, member_hex, None, data.tier_code, "auto", reason, None,
                           self.now_db))
        if self.capture:
            rows.ops["tier_changes"].append((hex_id, _json({
                "id": wire_id, "member_id": member_wire, "from_tier": None,
                "to_tier": data.tier_code, "kind": "auto", "reason": reason,
                "created_by": None, "created_at": self.now_wire})))

    def _outbox(self, ops: dict[str, list[tuple[str, str]]], ids: _Ids) -> None:
        """The ops in the capture's order: the members' flush (parents first), then the
        flush of their tier history; HLC stamps continue the desk's."""
        conn = self.conn
        clock = HybridClock(sync_state.node(conn), sync_state.last_stamp(conn),
                            physical_clock(conn.engine))
        first = sorted(("members", "member_phones", "member_cards"), key=dependency_rank)
        rows = [(ids.v7()[0], INSERT, table, record, payload, str(clock.tick()), PROTOCOL,
                 self.now_db)
                for table in (*first, "tier_changes") for record, payload in ops[table]]
        if rows:
            conn.exec_driver_sql(_insert_sql("sync_outbox", _OUTBOX_COLUMNS), rows)
            sync_state.save_stamp(conn, clock.last)


def _stored(value: Any) -> Any:
    """A value as pysqlite is given it through SQLAlchemy's column types."""
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, str | bytes):
        return value.hex  # a uuid.UUID (store or advisor)
    return value


def _wire(value: Any) -> Any:
    """As `tables.encode_value` writes it into a payload."""
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, str | bytes):
        return str(value)
    return value


def _json(payload: dict[str, Any]) -> str:
    """`tables.canonical({"row": payload})` (sorted keys, compact, UTF-8 as is), by
    orjson: the payloads hold only strings, ints, booleans and nulls, and strings without
    control characters (validation refuses them), which both write alike."""
    return orjson.dumps({"row": payload}, option=orjson.OPT_SORT_KEYS).decode()


def chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]

"""Re-tiering many members in SQL: spend summed, movers found and members rewritten
set-based (each member whose spend or tier moved, once), then each mover's tier change
and outbox ops written with executemany.

The rows and ops are the ones `tiers.record_change` writes through the ORM for one
member (a `TierChange` insert, then the member's `tier_code` update whose op carries the
old code as its base); `tests/services/test_purchase_bulk.py` compares the two. It
exists because loading a million movers through the ORM took ~1 ms each, and a year on
most of a million-member desk moves. Only movers get rows and ops: a spend that changes
without moving the tier touches the desk-local cache column alone.

The statements go through SQLAlchemy's connection (the change stream sees them); the
temporary tables live in the connection's TEMP schema and are dropped before returning.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from vipdesk.outbox.bulk import BulkOp, Ids, canonical, insert_sql, write_ops
from vipdesk.outbox.ops import INSERT, UPDATE
from vipdesk.services.purchase_writes import dashed, stored_datetime

DEFAULTS_NAMESPACE = uuid.UUID("6f1c2a9e-5b7d-4c3e-9a41-2d8e7f0b3c55")
CHUNK = 5000  # movers per round of writes: bounded memory however many move
TIER_COLUMNS = ("id", "member_id", "from_tier", "to_tier", "kind", "reason", "created_by",
                "created_at")
_SCOPED = " AND id IN (SELECT id FROM temp.retier_scope)"


def lapse_change_id(member_id: str, old: str | None, new: str | None, day: datetime,
                    reason: str) -> uuid.UUID:
    """The id of a lapse found by the daily pass: derived from what moved, so two desks
    finding the same lapse the same day write the same row (`tiers.record_change`)."""
    return uuid.uuid5(DEFAULTS_NAMESPACE, f"lapse/{member_id}/{old}/{new}/"
                                          f"{day.isoformat()}/{reason}")


@dataclass
class Retier:
    """What to re-tier and how the changes read: `ladder` is (threshold in cents, tier
    code), highest first; `reason(spend)` the change's reason; `lapse_day` dates the
    changes (and derives their ids) for the daily pass."""

    ladder: Sequence[tuple[int, str]]
    window: tuple[datetime, datetime]  # spend counts purchases after the first, up to the second
    reason: Callable[[int], str]
    lapse_day: datetime | None = None
    members: int = 0
    moves: dict[tuple[str | None, str | None], int] = field(default_factory=dict)


def retier_in_sql(conn: Connection, plan: Retier, capture: bool,
                  only: Iterable[str] | None = None) -> Retier:
    """Every non-erased member (or those `only` names, by stored id) re-tiered; the plan
    comes back with the members looked at and the moves counted."""
    now = datetime.now(UTC)
    scoped = _scope(conn, only)
    try:
        _sum_spend(conn, plan, scoped)
        plan.members = int(conn.exec_driver_sql(
            "SELECT count(*) FROM temp.retier_scope" if scoped else
            "SELECT count(*) FROM members WHERE erased_at IS NULL").scalar_one())
        _find_movers(conn, plan, scoped)
        plan.moves = {(old, new): n for old, new, n in conn.exec_driver_sql(
            "SELECT old, new, count(*) FROM temp.retier_moves GROUP BY old, new")}
        _update_members(conn, stored_datetime(now), scoped)
        _write_moves(conn, plan, capture, now)
    finally:
        for name in ("retier_scope", "retier_spend", "retier_moves"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
    return plan


def _scope(conn: Connection, only: Iterable[str] | None) -> bool:
    if only is None:
        return False
    conn.exec_driver_sql("CREATE TEMP TABLE retier_scope (id TEXT PRIMARY KEY) WITHOUT ROWID")
    # In key order: appending to the table's B-tree, not a random page per id.
    conn.exec_driver_sql("INSERT OR IGNORE INTO temp.retier_scope (id) VALUES (?)",
                         [(member_id,) for member_id in sorted(set(only))])
    return True


# A member's trailing spend as just summed (members without purchases in the window: 0).
_SPEND = "coalesce((SELECT s.spend FROM temp.retier_spend s WHERE s.member_id = members.id), 0)"


def _sum_spend(conn: Connection, plan: Retier, scoped: bool) -> None:
    """The trailing spend of every member in scope, in one pass over the purchases'
    (member, time, amount) index."""
    start, end = (stored_datetime(at) for at in plan.window)
    conn.exec_driver_sql("CREATE TEMP TABLE retier_spend (member_id TEXT PRIMARY KEY, "
                         "spend INTEGER NOT NULL) WITHOUT ROWID")
    members = " member_id IN (SELECT id FROM temp.retier_scope) AND" if scoped else ""
    conn.exec_driver_sql(
        "INSERT INTO temp.retier_spend SELECT member_id, sum(amount_cents) FROM purchases "
        f"WHERE{members} occurred_at > ? AND occurred_at <= ? GROUP BY member_id",
        (start, end))


def _find_movers(conn: Connection, plan: Retier, scoped: bool) -> None:
    """Members whose tier by their new spend is not their tier: neither erased nor
    overridden (a manager's override stands; its member still gets the new spend)."""
    whens = " ".join("WHEN spend >= ? THEN ?" for _ in plan.ladder)
    computed = f"CASE {whens} ELSE NULL END" if plan.ladder else "NULL"
    params: list[Any] = [v for step in plan.ladder for v in step]
    conn.exec_driver_sql("CREATE TEMP TABLE retier_moves (id TEXT PRIMARY KEY, old TEXT, "
                         "new TEXT, spend INTEGER NOT NULL) WITHOUT ROWID")
    conn.exec_driver_sql(
        "INSERT INTO temp.retier_moves (id, old, new, spend) SELECT id, old, new, spend "
        f"FROM (SELECT id, tier_code AS old, {computed} AS new, spend FROM "
        f"(SELECT id, tier_code, {_SPEND} AS spend FROM members "
        f"WHERE erased_at IS NULL AND tier_override_code IS NULL{_SCOPED if scoped else ''}))"
        " WHERE new IS NOT old", tuple(params))


def _update_members(conn: Connection, now_db: str, scoped: bool) -> None:
    """Each member whose spend or tier moved rewritten once, spend and tier together;
    the others not at all (each rewrite fires the members' triggers, the care list's
    dirty marks)."""
    moved = "id IN (SELECT id FROM temp.retier_moves)"
    conn.exec_driver_sql(
        f"UPDATE members SET spend_12m_cents = {_SPEND}, tier_code = CASE WHEN {moved} "
        "THEN (SELECT m.new FROM temp.retier_moves m WHERE m.id = members.id) "
        "ELSE tier_code END, updated_at = ? "
        f"WHERE (spend_12m_cents != {_SPEND} OR {moved}){_SCOPED if scoped else ''}",
        (now_db,))


def _write_moves(conn: Connection, plan: Retier, capture: bool, now: datetime) -> None:
    """The movers' tier changes and ops, a round at a time in id order."""
    writer = _MoveWriter(conn, plan, capture, now)
    last = ""
    while chunk := conn.exec_driver_sql(
            "SELECT id, old, new, spend FROM temp.retier_moves WHERE id > ? "
            "ORDER BY id LIMIT ?", (last, CHUNK)).all():
        writer.write([tuple(row) for row in chunk])
        last = chunk[-1][0]


class _MoveWriter:
    def __init__(self, conn: Connection, plan: Retier, capture: bool, now: datetime) -> None:
        self.conn = conn
        self.plan = plan
        self.capture = capture
        self.now_db = stored_datetime(now)
        at = plan.lapse_day or now
        self.at_db, self.at_wire = stored_datetime(at), at.astimezone(UTC).isoformat()

    def write(self, movers: list[tuple[Any, ...]]) -> None:
        """Per round, as one ORM flush wrote it: the changes' inserts, then the members'
        updates (their rows rewritten already, by `_update_members`); the ops in the same
        order."""
        ids = Ids(count=3 * len(movers))
        changes = []
        inserts: list[BulkOp] = []
        member_ops: list[BulkOp] = []
        for member_id, old, new, spend in movers:
            change_hex, change_wire = self._change_id(ids, member_id, old, new, spend)
            reason = self.plan.reason(spend)
            changes.append((change_hex, member_id, old, new, "auto", reason, None, self.at_db))
            if self.capture:
                inserts.append((INSERT, "tier_changes", change_hex, canonical({"row": {
                    "id": change_wire, "member_id": dashed(member_id), "from_tier": old,
                    "to_tier": new, "kind": "auto", "reason": reason, "created_by": None,
                    "created_at": self.at_wire}})))
                member_ops.append((UPDATE, "members", member_id, canonical(
                    {"set": {"tier_code": new}, "base": {"tier_code": old}})))
        self.conn.exec_driver_sql(insert_sql("tier_changes", TIER_COLUMNS), changes)
        if self.capture:
            write_ops(self.conn, inserts + member_ops, ids, self.now_db)

    def _change_id(self, ids: Ids, member_id: str, old: str | None, new: str | None,
                   spend: int) -> tuple[str, str]:
        if self.plan.lapse_day is None:
            return ids.v7()
        found = lapse_change_id(dashed(member_id), old, new, self.plan.lapse_day,
                                self.plan.reason(spend))
        return found.hex, str(found)

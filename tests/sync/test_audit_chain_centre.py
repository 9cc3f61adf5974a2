"""The centre checks each desk's audit chain as its entries arrive: a rewrite the desk's
own `audit verify` cannot see (hashes recomputed), entries deleted before they were
sent, a forged entry and a replaced one all become an alert managers see among the sync
conflicts, on every desk; an intact chain raises nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.sync.conftest import centre_by_name
from tests.sync.helpers import wait_for_watermark
from vipdesk.db import session_factory, unit_of_work
from vipdesk.models import AuditEntry, SyncConflict, SyncOutbox
from vipdesk.outbox import audit_chain, tables
from vipdesk.services import audit
from vipdesk.services.auth import Actor
from vipdesk.sync.central import Centre
from vipdesk.sync.chain_watch import CHAIN_FIELD
from vipdesk.sync.conflicts import SettleError, list_conflicts, settle_conflict
from vipdesk.sync.engine import sync_once

MANAGER = Actor(None, "manager", "Manager Zhou")
TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_rewrite")


@pytest.fixture(params=["pg", "sqlite", "service"])
def centre(request: pytest.FixtureRequest) -> Centre:
    return centre_by_name(request, request.param)


def _write(desk: Engine, *details: str) -> None:
    with unit_of_work(session_factory(desk)) as s:
        for detail in details:
            audit.record(s, MANAGER, "member.view", None, detail)


def _sync(desk: Engine, centre: Centre, store: str = "SH01") -> None:
    wait_for_watermark(centre)
    sync_once(desk, centre, store)


def _alerts(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(SyncConflict).where(SyncConflict.field == CHAIN_FIELD))
        return [{**json.loads(r.lost_value), "store": r.lost_store,
                 "desk_key": json.loads(r.kept_value)["desk_key"]} for r in rows]


def _rows(desk: Engine) -> list[dict[str, Any]]:
    with desk.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(AuditEntry.__table__).order_by(AuditEntry.seq))]


def _attack(desk: Engine, *statements: tuple[str, dict[str, Any]]) -> None:
    """A shell on the desk: the triggers dropped, raw SQL (which no outbox captures)."""
    with desk.begin() as conn:
        for name in TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        for sql, params in statements:
            conn.exec_driver_sql(sql, params)


def _rewrite(desk: Engine, seq: int, detail: str) -> None:
    """Change entry `seq` and recompute every hash after it: the desk verifies clean."""
    rows = _rows(desk)
    prev = rows[seq - 2]["entry_hash"] if seq > 1 else audit_chain.GENESIS
    changes = []
    for row in rows[seq - 1:]:
        row["detail"] = detail if row["seq"] == seq else row["detail"]
        row["prev_hash"] = prev
        row["entry_hash"] = prev = audit_chain.entry_hash(row)
        changes.append(("UPDATE audit_log SET detail = ?, prev_hash = ?, entry_hash = ? "
                        "WHERE seq = ?", (row["detail"], row["prev_hash"],
                                          row["entry_hash"], row["seq"])))
    _attack(desk, *changes)  # type: ignore[arg-type]


def test_an_intact_chain_raises_nothing(centre: Centre, make_desk) -> None:
    desk = make_desk("a", seed_tiers=True)
    _write(desk, "one", "two")
    _sync(desk, centre)
    _write(desk, "three")
    _sync(desk, centre)
    assert _alerts(centre.engine) == []
    with centre.engine.connect() as conn:
        assert audit_chain.verify(conn).intact


def test_entries_deleted_before_they_were_sent(centre: Centre, make_desk) -> None:
    desk = make_desk("a", seed_tiers=True)
    _write(desk, "one", "two", "three")
    second = _rows(desk)[1]["id"]
    _attack(desk, ("DELETE FROM audit_log WHERE seq = 2", {}),
            ("DELETE FROM sync_outbox WHERE record_id = ?", (second.hex,)))  # type: ignore[arg-type]
    _sync(desk, centre)
    [alert] = _alerts(centre.engine)
    assert (alert["kind"], alert["seq"], alert["store"]) == ("missing", 3, "SH01")
    assert "entry 2 is missing" in alert["problem"]


def test_a_rewrite_with_recomputed_hashes_shows_at_the_centre(centre: Centre,
                                                              make_desk) -> None:
    desk, other = make_desk("a", seed_tiers=True), make_desk("b")
    _write(desk, "one", "reveal of a phone", "three")
    _sync(desk, centre)
    _rewrite(desk, 2, "nothing to see")
    with desk.connect() as conn:
        assert audit_chain.verify(conn).intact  # the desk alone cannot tell
    _write(desk, "four")  # the next entry continues the rewritten chain
    _sync(desk, centre)
    [alert] = _alerts(centre.engine)
    assert (alert["kind"], alert["seq"]) == ("unlinked", 4)
    # Managers see it on every desk, among the sync conflicts; they acknowledge it.
    _sync(other, centre, "BJ01")
    with session_factory(other)() as s:
        [view] = list_conflicts(s)
    assert (view.table_name, view.field, view.lost_store) == ("audit_log", CHAIN_FIELD, "SH01")
    with pytest.raises(SettleError, match="cannot be put back"), \
            unit_of_work(session_factory(other)) as s:
        settle_conflict(s, view.id, "lost", MANAGER)
    with unit_of_work(session_factory(other)) as s:
        settle_conflict(s, view.id, "kept", MANAGER)
    with session_factory(other)() as s:
        assert list_conflicts(s) == []


def _queue(desk: Engine, row: dict[str, Any]) -> None:
    """Put a hand-made audit entry in the desk's outbox, as a forger would."""
    with desk.begin() as conn:
        hlc = conn.scalar(select(SyncOutbox.hlc).order_by(SyncOutbox.seq.desc()).limit(1))
        payload = tables.canonical({"row": tables.encode_row("audit_log", row)})
        conn.exec_driver_sql(
            "INSERT INTO sync_outbox (op_id, kind, table_name, record_id, payload, hlc, "
            "protocol, created_at) VALUES (?, 'insert', 'audit_log', ?, ?, ?, 1, "
            "'2026-11-25 09:00:00.000000')",
            (uuid.uuid4().hex, row["id"].hex, payload, hlc or "0"))


def test_a_forged_entry_sent_without_the_chain(centre: Centre, make_desk) -> None:
    desk = make_desk("a", seed_tiers=True)
    _write(desk, "one", "two")
    _sync(desk, centre)
    _write(desk, "three")  # keeps the outbox's stamp fresh for the forgery
    forged = {**_rows(desk)[-1], "id": uuid.uuid4(), "seq": 4, "detail": "forged",
              "prev_hash": _rows(desk)[-1]["entry_hash"], "entry_hash": "1" * 64}
    _queue(desk, forged)
    _sync(desk, centre)
    [alert] = _alerts(centre.engine)
    assert (alert["kind"], alert["seq"]) == ("altered", 4)


def test_a_replaced_entry_sent_again_is_refused_and_alerted(centre: Centre,
                                                            make_desk) -> None:
    desk = make_desk("a", seed_tiers=True)
    _write(desk, "one", "two")
    _sync(desk, centre)
    _write(desk, "three")
    replaced = {**_rows(desk)[1], "detail": "rewritten"}
    replaced["entry_hash"] = audit_chain.entry_hash(replaced)
    _queue(desk, replaced)
    _sync(desk, centre)
    [alert] = _alerts(centre.engine)
    assert (alert["kind"], alert["seq"]) == ("refused", 2)
    with centre.engine.connect() as conn:  # the centre's copy is the one first sent
        kept = conn.scalar(select(AuditEntry.detail).where(AuditEntry.id == replaced["id"]))
    assert kept == "two"

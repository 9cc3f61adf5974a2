"""Change-log retention: `trim` drops the old log; a desk whose cursor is behind the
horizon (or a new desk) rebuilds from a snapshot taken under one REPEATABLE READ
snapshot, then continues from the log — and ends equal to the centre and the others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.sync.helpers import (
    count,
    digest,
    edit_member,
    log_visit,
    member_field,
    new_member,
    wait_for_watermark,
)
from vipdesk.models import SyncChangeLog, Visit
from vipdesk.sync.central import Centre
from vipdesk.sync.engine import sync_once
from vipdesk.sync.snapshot import BehindHorizon, trim


def _log_size(centre: Centre) -> int:
    with centre.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(SyncChangeLog)) or 0)


def test_desks_behind_the_horizon_rebuild_from_a_snapshot_and_continue(
        centre: Centre, make_desk) -> None:  # type: ignore[no-untyped-def]
    a, stale, current = make_desk("a", seed_tiers=True), make_desk("stale"), make_desk("cur")
    member_id = new_member(a, "M1")
    sync_once(a, centre, "SH01")
    sync_once(stale, centre, "BJ01")  # pulled once, then away
    second = new_member(a, "M2", name="李雷", phone="13900139000")
    for i in range(30):
        log_visit(a, member_id, f"v{i}")
    edit_member(a, member_id, email="wang@example.com")
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre)  # so that `current` reaches the head of the log
    sync_once(current, centre, "GZ01")
    wait_for_watermark(centre)  # trim marks only what is pullable (no open transaction)
    assert trim(centre.engine, timedelta(0))["trimmed"] > 0
    assert _log_size(centre) == 0
    edit_member(a, second, occupation="教师")  # after the trim: only in the log
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre)
    fresh = make_desk("fresh")
    reports = [sync_once(d, centre, s) for d, s in
               ((stale, "BJ01"), (current, "GZ01"), (fresh, "SH02"))]
    assert reports[0].pulled.snapshot and reports[2].pulled.snapshot
    assert not reports[1].pulled.snapshot  # its cursor was at the head: the log suffices
    assert count(fresh, Visit) == count(stale, Visit) == 30
    everyone = {digest(d) for d in (a, stale, current, fresh)} | {digest(centre.engine)}
    assert len(everyone) == 1
    log_visit(fresh, member_id, "after")  # the rebuilt desk keeps syncing normally
    sync_once(fresh, centre, "SH02")
    wait_for_watermark(centre)
    sync_once(stale, centre, "BJ01")
    assert count(stale, Visit) == 31 and digest(stale) == digest(centre.engine)


def test_a_cursor_behind_the_horizon_is_told_so(centre: Centre, make_desk) -> None:
    a = make_desk("a")
    new_member(a, "M1")
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre)
    trim(centre.engine, timedelta(0))
    with pytest.raises(BehindHorizon, match="rebuilds from a snapshot"):
        centre.changes((0, 0), 10)
    assert trim(centre.engine, timedelta(days=30))["trimmed"] == 0  # nothing that old


def test_an_open_snapshot_does_not_hold_back_other_desks(centre: Centre, make_desk) -> None:
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    new_member(a, "M1")
    sync_once(a, centre, "SH01")
    head, rows = centre.snapshot()
    next(rows)  # the snapshot is open and copying
    member = new_member(a, "M2", phone="13900139000")
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre, timeout=5)
    sync_once(b, centre, "BJ01")
    assert member_field(b, member, "name_zh") == "王芳"
    rest = list(rows)
    assert all(change.record_id != member for change in rest)  # not in the snapshot
    assert head.cursor[0] > 0


def test_trim_from_the_command_line(pg_centre: Centre, fresh_pg_url: str, make_desk,
                                    capsys) -> None:  # type: ignore[no-untyped-def]
    from vipdesk.central.cli import main as central

    centre = pg_centre
    a = make_desk("a")
    new_member(a, "M1")
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre)
    assert central(["trim", "--keep-days", "0", "--db-url", fresh_pg_url]) == 0
    assert "trimmed" in capsys.readouterr().out and _log_size(centre) == 0
    assert central(["trim", "--keep-days", "-1", "--db-url", fresh_pg_url]) == 2

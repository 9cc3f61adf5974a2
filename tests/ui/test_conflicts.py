"""A manager reviews a concurrent edit in the window and puts the other value back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.desk import Desk
from vipdesk.models import Member, Staff, SyncConflict
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.ui.conflicts import ConflictsDialog
from vipdesk.ui.ops import Ops

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def actor(engine: Engine, staff_no: str) -> Actor:
    with Session(engine) as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == staff_no)).one()
        return Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


@pytest.fixture
def conflict(demo_copy: Engine) -> Iterator[Engine]:
    with Session(demo_copy) as s, s.begin():
        wang = s.scalars(select(Member).where(Member.member_no == "M0000001")).one()
        wang.occupation = "基金经理"
        s.add(SyncConflict(table_name="members", record_id=wang.id, field="occupation",
                           kept_value=json.dumps("基金经理"), kept_store="SH01",
                           kept_hlc="000001764036000000-0000-SH01",
                           lost_value=json.dumps("投资公司合伙人"), lost_store="BJ01",
                           lost_hlc="000001764035000000-0000-BJ01", detected_at=NOW))
    yield demo_copy


def dialog_for(qtbot: Any, engine: Engine, staff_no: str) -> tuple[ConflictsDialog, Ops]:
    desk = Desk(engine, clock=FixedClock(NOW), actor=actor(engine, staff_no))
    ops = Ops()
    dialog = ConflictsDialog(desk, ops)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    return dialog, ops


def test_manager_restores_the_other_value(qtbot: Any, conflict: Engine) -> None:
    dialog, ops = dialog_for(qtbot, conflict, "S001")
    assert "王小明" in dialog.table.item(0, 0).text()
    assert "投资公司合伙人" in dialog.table.item(0, 3).text()
    dialog.restore.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=5000)
    with Session(conflict) as s:
        wang = s.scalars(select(Member).where(Member.member_no == "M0000001")).one()
        settled = s.scalars(select(SyncConflict)).one()
    assert wang.occupation == "投资公司合伙人"
    assert settled.settled_choice == "lost" and settled.settled_by == "周婷"
    ops.shutdown()


def test_lounge_staff_may_not_settle(qtbot: Any, conflict: Engine) -> None:
    dialog, ops = dialog_for(qtbot, conflict, "S005")
    dialog.keep.click()
    qtbot.waitUntil(lambda: "未处理" in dialog.message.text() or
                    "Not settled" in dialog.message.text(), timeout=5000)
    with Session(conflict) as s:
        assert s.scalars(select(SyncConflict)).one().settled_at is None
    ops.shutdown()

"""Overdue complaint clocks and the 10-in-24h emergency reach the manager as desktop
notifications, once each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.desk import Desk
from vipdesk.models import Complaint, Member, Staff
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.ui import i18n
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def manager_window(qtbot: Any, demo_copy: Engine) -> Iterator[MainWindow]:
    with Session(demo_copy) as s:
        boss = s.scalars(select(Staff).where(Staff.staff_no == "S001")).one()
        actor = Actor(boss.id, boss.role, boss.name, boss.store_id, boss.staff_no)
    ops = Ops()
    win = MainWindow(Desk(demo_copy, clock=FixedClock(NOW), actor=actor), ops,
                     i18n.install("zh"))
    qtbot.addWidget(win)
    yield win
    ops.shutdown()
    i18n.install("en")


def add_billing_complaints(engine: Engine, n: int) -> None:
    with Session(engine) as s, s.begin():
        members = s.scalars(select(Member.id).limit(n)).all()
        for i, member_id in enumerate(members):
            s.add(Complaint(member_id=member_id, received_at=NOW - timedelta(hours=i + 1),
                            description="积分未到账", category="billing", severity="minor"))


def titles(win: MainWindow) -> list[str]:
    return [title for title, _ in win.history_forms.notifier.sent]


def test_overdue_clocks_are_announced_once(qtbot: Any, manager_window: MainWindow) -> None:
    qtbot.waitUntil(lambda: "投诉处理已超时" in titles(manager_window), timeout=5000)
    manager_window.history_forms.refresh_overdue()
    qtbot.wait(300)
    assert titles(manager_window).count("投诉处理已超时") == 1


def test_eleven_complaints_of_a_kind_raise_the_emergency(qtbot: Any, demo_copy: Engine,
                                                         manager_window: MainWindow) -> None:
    add_billing_complaints(demo_copy, 11)
    manager_window.history_forms.refresh_overdue()
    qtbot.waitUntil(lambda: "紧急：投诉集中出现" in titles(manager_window), timeout=5000)
    message = dict(manager_window.history_forms.notifier.sent)["紧急：投诉集中出现"]
    assert "11 宗" in message

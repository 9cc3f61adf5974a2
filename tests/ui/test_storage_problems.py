"""When SQLite cannot take a write — another program holds the desk database's write lock
past the wait, the disk is full, the file is read-only — the form says what happened in
the desk's language, keeps what was typed, and saves once the database is free."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.ui.conftest import staff_actor
from tests.ui.test_history_forms import NOW, _member_with_drink, _open
from vipdesk.desk import Desk
from vipdesk.models import Visit
from vipdesk.services.clock import FixedClock
from vipdesk.ui import i18n
from vipdesk.ui.history_forms import CheckInDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops


@pytest.fixture
def win(qtbot: Any, demo_copy: Engine) -> Iterator[MainWindow]:
    desk = Desk(demo_copy, clock=FixedClock(NOW), actor=staff_actor(demo_copy, "S001"))
    ops = Ops()
    window = MainWindow(desk, ops, i18n.install("zh"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    ops.shutdown()
    i18n.install("en")


def _visits(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Visit)) or 0)


def test_a_check_in_while_another_program_writes_says_so_and_saves_after(
        qtbot: Any, win: MainWindow) -> None:
    member_no, _ = _member_with_drink(win.desk)
    _open(qtbot, win, member_no)
    before = _visits(win.desk.engine)
    path = win.desk.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None)  # an import, say
    other.execute("BEGIN IMMEDIATE")
    try:
        win.card.check_in_button.click()
        dialog = win.history_forms.dialog
        assert isinstance(dialog, CheckInDialog)
        dialog.purpose.setCurrentText("试衣")
        dialog.ok.click()
        # SQLite waits out its busy timeout (5 s) before it gives up.
        qtbot.waitUntil(lambda: "本机数据库正忙" in dialog.general.text(), timeout=20000)
        assert "SQL" not in dialog.general.text() and dialog.isVisible()
        assert dialog.purpose.currentText() == "试衣"  # what was typed is kept
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _visits(win.desk.engine) == before
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    assert _visits(win.desk.engine) == before + 1

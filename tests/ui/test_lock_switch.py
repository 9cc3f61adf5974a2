"""Switching person at the lock screen, typed as people type: the next person's staff
number must never be sent as the previous person's PIN (five of those locked them out)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.ui.conftest import sign_in
from vipdesk.models import Staff
from vipdesk.services.staff import DEMO_PIN
from vipdesk.ui.main_window import MainWindow


def failed_attempts(win: MainWindow, staff_no: str) -> int:
    with Session(win.desk.engine) as s:
        return s.scalars(select(Staff.failed_attempts)
                         .where(Staff.staff_no == staff_no)).one()


def type_into_focus(qtbot: Any, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def locked_on_manager(qtbot: Any, gated: MainWindow) -> None:
    gated.activateWindow()
    sign_in(qtbot, gated, "S001", DEMO_PIN)
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
    gated.gate.lock()
    screen = gated.gate.screen
    qtbot.waitUntil(lambda: QApplication.focusWidget() in (screen.staff_no, screen.secret),
                    timeout=2000)


def test_a_colleague_types_their_number_and_pin_over_the_lock(qtbot: Any,
                                                              gated: MainWindow) -> None:
    locked_on_manager(qtbot, gated)
    type_into_focus(qtbot, "S005")  # the first key replaces the manager's number
    type_into_focus(qtbot, DEMO_PIN)
    qtbot.waitUntil(lambda: not gated.gate.locked or gated.gate.screen.error.text() != "",
                    timeout=10000)
    assert failed_attempts(gated, "S001") == 0  # nothing was tried as the manager's PIN
    assert not gated.gate.locked and gated.desk.actor.staff_no == "S005"


def test_five_switches_do_not_lock_the_previous_person_out(qtbot: Any,
                                                           gated: MainWindow) -> None:
    locked_on_manager(qtbot, gated)
    for _ in range(5):
        type_into_focus(qtbot, "S005")
        type_into_focus(qtbot, DEMO_PIN)
        qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
        gated.gate.lock()  # S005 leaves; the manager comes back
        type_into_focus(qtbot, "S001")
        type_into_focus(qtbot, DEMO_PIN)
        qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
        assert gated.desk.actor.staff_no == "S001"
        gated.gate.lock()
    assert failed_attempts(gated, "S001") == 0 and failed_attempts(gated, "S005") == 0


def test_the_person_who_locked_comes_back_with_enter_and_pin(qtbot: Any,
                                                             gated: MainWindow) -> None:
    locked_on_manager(qtbot, gated)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # keeps S001
    type_into_focus(qtbot, DEMO_PIN)
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
    assert gated.desk.actor.staff_no == "S001"


def test_the_lock_screen_follows_a_language_switch(qtbot: Any, gated: MainWindow) -> None:
    from vipdesk.ui import i18n

    locked_on_manager(qtbot, gated)
    screen = gated.gate.screen

    def label(row: int) -> str:
        return (screen.staff_label, screen.secret_label)[row].text()

    assert (label(0), screen.button.text()) == ("员工号", "登录")
    i18n.install("en")
    qtbot.waitUntil(lambda: label(0) == "Staff number", timeout=2000)
    assert label(1) == "PIN or password" and screen.button.text() == "Sign in"
    assert screen.title.text().startswith("Locked — ")
    i18n.install("zh")
    qtbot.waitUntil(lambda: label(0) == "员工号", timeout=2000)
    assert screen.title.text().startswith("已锁屏")

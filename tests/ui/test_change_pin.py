"""修改PIN from the window's menu: live checks, OK only when valid, the PIN really changes,
a wrong current PIN keeps the dialog open, a lock-out locks the desk."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from tests.ui.conftest import sign_in
from vipdesk.models import Staff
from vipdesk.services import staff
from vipdesk.services.staff import DEMO_PIN, SignInFailed
from vipdesk.ui import i18n
from vipdesk.ui.change_pin import ChangePinDialog, say_secret_problem
from vipdesk.ui.main_window import MainWindow

NEW_PIN = "13572468"


@pytest.fixture
def signed_in(qtbot: Any, gated: MainWindow) -> MainWindow:
    """The gated window with lounge staff S005 (张敏) signed in."""
    assert not gated.pin_action.isEnabled()  # nobody to change a PIN for behind the lock
    sign_in(qtbot, gated, "S005", DEMO_PIN)
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
    return gated


def _open(win: MainWindow) -> ChangePinDialog:
    assert win.pin_action.isEnabled() and win.pin_action.text() == "修改PIN…"
    win.pin_action.trigger()
    dialog = win.findChild(ChangePinDialog)
    assert isinstance(dialog, ChangePinDialog) and dialog.isVisible()
    return dialog


def _fill(dialog: ChangePinDialog, current: str, new: str, repeat: str) -> None:
    dialog.current.setText(current)
    dialog.new.setText(new)
    dialog.repeat.setText(repeat)


def _signs_in(win: MainWindow, secret: str) -> bool:
    try:
        staff.sign_in(win.desk.factory, "S005", secret, win.desk.clock)
    except SignInFailed:
        return False
    return True


def test_ok_is_disabled_until_valid_with_messages_beside_the_fields(
        qtbot: Any, signed_in: MainWindow) -> None:
    dialog = _open(signed_in)
    assert dialog.windowTitle() == "修改PIN — 张敏"
    assert all(f.echoMode() == f.EchoMode.Password
               for f in (dialog.current, dialog.new, dialog.repeat))
    assert not dialog.is_valid() and dialog.ok.text() == "保存"
    assert not any(label.isVisible() for label in dialog.errors.values())  # not yet typed
    _fill(dialog, DEMO_PIN, "123456", "123456")
    assert not dialog.is_valid()
    assert dialog.errors["new"].isVisible()
    assert dialog.errors["new"].text() == "PIN 码太容易猜到（同一数字重复或简单连号）"
    dialog.new.setText("1357")
    assert dialog.errors["new"].text() == "PIN 码：至少 6 位数字"
    dialog.new.setText(DEMO_PIN)
    assert dialog.errors["new"].text() == "新 PIN 码与当前 PIN 码相同"
    dialog.new.setText(NEW_PIN)
    assert not dialog.errors["new"].isVisible()
    assert dialog.errors["repeat"].text() == "两次输入的新 PIN 码不一致"
    assert not dialog.is_valid()
    dialog.repeat.setText(NEW_PIN)
    assert not dialog.errors["repeat"].isVisible()
    assert dialog.is_valid()
    dialog.current.clear()
    assert not dialog.is_valid() and dialog.errors["current"].text() == "必填"
    dialog.reject()


def test_success_changes_the_pin(qtbot: Any, signed_in: MainWindow) -> None:
    dialog = _open(signed_in)
    _fill(dialog, DEMO_PIN, NEW_PIN, NEW_PIN)
    with qtbot.waitSignal(dialog.finished, timeout=15000):
        dialog.ok.click()
    qtbot.waitUntil(lambda: signed_in.status_message.text() == "PIN 码已修改。", timeout=5000)
    assert not signed_in.gate.locked
    assert _signs_in(signed_in, NEW_PIN)
    assert not _signs_in(signed_in, DEMO_PIN)


def test_wrong_current_pin_keeps_the_dialog_open(qtbot: Any, signed_in: MainWindow) -> None:
    dialog = _open(signed_in)
    _fill(dialog, "97531864", NEW_PIN, NEW_PIN)
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.general.text() == "当前 PIN 码不正确，未做任何修改。",
                    timeout=15000)
    assert dialog.isVisible() and not signed_in.gate.locked
    assert dialog.current.text() == "" and not dialog.is_valid()
    assert not dialog.errors["current"].isVisible()  # emptied by the desk, not "required"
    assert dialog.new.text() == NEW_PIN  # only the wrong part is typed again
    dialog.current.setText(DEMO_PIN)
    assert dialog.is_valid()
    with qtbot.waitSignal(dialog.finished, timeout=15000):
        dialog.ok.click()
    assert _signs_in(signed_in, NEW_PIN)


def test_lock_out_locks_the_desk_with_the_reason(qtbot: Any, signed_in: MainWindow) -> None:
    last = staff.LockoutPolicy().max_failures - 1
    with signed_in.desk.factory() as s, s.begin():  # one wrong PIN away from the lock-out
        s.execute(update(Staff).where(Staff.staff_no == "S005").values(failed_attempts=last))
    dialog = _open(signed_in)
    _fill(dialog, "97531864", NEW_PIN, NEW_PIN)
    dialog.ok.click()
    qtbot.waitUntil(lambda: signed_in.gate.locked, timeout=15000)
    assert "账号已锁定" in signed_in.gate.screen.error.text()
    assert signed_in.gate.screen.staff_no.text() == "S005"
    qtbot.waitUntil(lambda: signed_in.findChild(ChangePinDialog) is None, timeout=5000)
    assert not signed_in.pin_action.isEnabled()
    with signed_in.desk.factory() as s:
        row = s.scalars(select(Staff).where(Staff.staff_no == "S005")).one()
        assert row.locked_until is not None
    assert not _signs_in(signed_in, DEMO_PIN)  # locked, as after five wrong sign-ins


def test_locking_the_desk_closes_the_dialog(qtbot: Any, signed_in: MainWindow) -> None:
    dialog = _open(signed_in)
    dialog.current.setText(DEMO_PIN)
    signed_in.gate.lock()  # idle lock or Ctrl+Shift+L: nothing stays over the lock screen
    qtbot.waitUntil(lambda: signed_in.findChild(ChangePinDialog) is None, timeout=5000)
    signed_in.gate.lock()  # the closed dialog's connection is gone with it


@pytest.mark.parametrize("secret", ["12345", "111111", "short", " spaced-out", "x" * 200])
def test_every_secret_problem_reads_in_chinese(qapp: Any, secret: str) -> None:
    problem = staff.secret_problem(secret)
    assert problem is not None
    i18n.install("zh")
    try:
        said = say_secret_problem(problem)
    finally:
        i18n.install("en")
    assert said != problem and any("\u4e00" <= ch <= "\u9fff" for ch in said)

"""The sign-in / lock screen and the idle watcher."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from vipdesk.ui.signin import IdleWatcher, SignInScreen


def _screen(qtbot) -> SignInScreen:  # type: ignore[no-untyped-def]
    screen = SignInScreen()
    qtbot.addWidget(screen)
    screen.show()
    screen.activateWindow()  # the keyboard goes where the focus is: this window
    qtbot.waitExposed(screen)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is screen, timeout=2000)
    return screen


def test_enter_hands_over_the_pair_and_forgets_the_secret(qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = _screen(qtbot)
    qtbot.keyClicks(screen.staff_no, " S005 ")
    qtbot.keyClick(screen.staff_no, Qt.Key.Key_Return)
    assert screen.focusWidget() is screen.secret
    qtbot.keyClicks(screen.secret, "246810")
    with qtbot.waitSignal(screen.sig_signin_requested) as sig:
        qtbot.keyClick(screen.secret, Qt.Key.Key_Return)
    assert sig.args == ["S005", "246810"]
    assert screen.secret.text() == "" and not screen.button.isEnabled()  # busy until answer
    screen.show_error("staff number or PIN/password is wrong")
    assert screen.error.text().endswith("wrong") and screen.button.isEnabled()


def test_missing_fields_are_said_not_sent(qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = _screen(qtbot)
    with qtbot.assertNotEmitted(screen.sig_signin_requested):
        screen.submit()
        qtbot.keyClicks(screen.staff_no, "S005")
        screen.submit()
    assert screen.error.text() and screen.focusWidget() is screen.secret


def test_the_lock_screen_keeps_the_person_and_allows_a_switch(qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = _screen(qtbot)
    screen.show_locked("S005", "张敏")
    assert "张敏" in screen.title.text() and screen.staff_no.text() == "S005"
    # The colleague types their own number: it replaces the old one, never lands in
    # the PIN field (where it was once sent as the previous person's PIN).
    assert QApplication.focusWidget() is screen.staff_no
    assert screen.staff_no.selectedText() == "S005"
    qtbot.keyClicks(QApplication.focusWidget(), "S001")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert QApplication.focusWidget() is screen.secret
    qtbot.keyClicks(QApplication.focusWidget(), "135792")
    with qtbot.waitSignal(screen.sig_signin_requested) as sig:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert sig.args == ["S001", "135792"]


def test_the_one_who_locked_presses_enter_then_types_the_pin(qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = _screen(qtbot)
    screen.show_locked("S005", "张敏")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.keyClicks(QApplication.focusWidget(), "246810")
    with qtbot.waitSignal(screen.sig_signin_requested) as sig:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert sig.args == ["S005", "246810"]


def test_secret_is_masked_and_bounded(qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = _screen(qtbot)
    assert screen.secret.echoMode() == screen.secret.EchoMode.Password
    screen.secret.setText("x" * 10_000)
    assert len(screen.secret.text()) == 128


def test_idle_watcher_fires_and_input_postpones_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = _screen(qtbot)
    watcher = IdleWatcher(10, interval_ms=300)
    watcher.install(QApplication.instance())  # type: ignore[arg-type]
    try:
        with qtbot.waitSignal(watcher.sig_idle, timeout=2000):
            pass
        watcher.restart()
        for _ in range(4):  # keep typing for longer than the interval: no lock
            qtbot.wait(120)
            with qtbot.assertNotEmitted(watcher.sig_idle, wait=0):
                qtbot.keyClick(screen.staff_no, Qt.Key.Key_A)
        with qtbot.waitSignal(watcher.sig_idle, timeout=2000):
            pass
    finally:
        QApplication.instance().removeEventFilter(watcher)  # type: ignore[union-attr]


def test_zero_minutes_never_locks(qtbot) -> None:  # type: ignore[no-untyped-def]
    watcher = IdleWatcher(0)
    assert not watcher.timer.isActive()
    with qtbot.assertNotEmitted(watcher.sig_idle, wait=200):
        watcher.restart()

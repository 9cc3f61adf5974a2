"""The card's actions from the keyboard: each key presses the button on offer, and
nothing when no member is on screen or the desk is locked."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from vipdesk.models import Member, Visit
from vipdesk.ui.history_forms import CheckInDialog, ComplaintDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.points_forms import CheckOutDialog

CTRL = Qt.KeyboardModifier.ControlModifier


def _press(qtbot: Any, win: MainWindow, key: Qt.Key,
           modifier: Qt.KeyboardModifier = CTRL) -> None:
    qtbot.keyClick(QApplication.focusWidget() or win, key, modifier)


def _open_guest(qtbot: Any, win: MainWindow) -> None:
    with win.desk.factory() as s:
        here = select(Visit.member_id).where(Visit.checked_out_at.is_(None))
        member_no = s.scalar(select(Member.member_no).where(~Member.id.in_(here))
                             .order_by(Member.member_no).limit(1))
    win.open_member(win.desk.members.search(str(member_no)).hits[0])
    qtbot.waitUntil(lambda: win.card.profile is not None and win.card.isVisible(),
                    timeout=5000)


def test_ctrl_i_checks_in_then_offers_check_out(qtbot: Any, win: MainWindow) -> None:
    _open_guest(qtbot, win)
    _press(qtbot, win, Qt.Key.Key_I)
    dialog = win.history_forms.dialog
    assert isinstance(dialog, CheckInDialog) and dialog.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.card.check_out_button.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    _press(qtbot, win, Qt.Key.Key_I)
    assert isinstance(win.points_forms.dialog, CheckOutDialog)
    assert win.points_forms.dialog.isVisible()
    win.points_forms.dialog.discard()


def test_ctrl_k_opens_the_complaint_form_and_tooltips_name_the_keys(
        qtbot: Any, win: MainWindow) -> None:
    _open_guest(qtbot, win)
    assert "Ctrl+K" in win.card.complaint_button.toolTip()
    _press(qtbot, win, Qt.Key.Key_K)
    dialog = win.history_forms.dialog
    assert isinstance(dialog, ComplaintDialog) and dialog.isVisible()
    dialog.discard()


def test_no_card_no_action(qtbot: Any, win: MainWindow) -> None:
    assert not win.card_keys.press(("complaint_button",))  # nobody on screen
    _open_guest(qtbot, win)
    win.gate.lock()
    assert not win.card_keys.press(("complaint_button",))  # behind the lock
    assert win.history_forms.dialog is None


def test_space_presses_the_focused_card_button(qtbot: Any, win: MainWindow) -> None:
    """Tab to a button and Space presses it: the scanner must not take the space."""
    _open_guest(qtbot, win)
    query = win.search.text()
    win.card.complaint_button.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.card.complaint_button,
                    timeout=3000)
    qtbot.keyClick(win.card.complaint_button, Qt.Key.Key_Space)
    dialog = win.history_forms.dialog
    assert isinstance(dialog, ComplaintDialog) and dialog.isVisible()
    assert win.search.text() == query
    dialog.discard()


def _two_guests(win: MainWindow) -> list[Any]:
    with win.desk.factory() as s:
        here = select(Visit.member_id).where(Visit.checked_out_at.is_(None))
        numbers = s.scalars(select(Member.member_no).where(~Member.id.in_(here))
                            .order_by(Member.member_no).limit(2)).all()
    return [win.desk.members.search(str(n)).hits[0] for n in numbers]


def test_a_key_pressed_while_the_card_is_on_its_way_waits_for_it(
        qtbot: Any, win: MainWindow) -> None:
    """Scan, then Ctrl+I at once: the check-in is for the scanned guest, once the card
    shows; never for the guest whose card was still on screen."""
    first, second = _two_guests(win)
    win.open_member(first)
    qtbot.waitUntil(lambda: win.card.profile is not None and win.card.isVisible(),
                    timeout=5000)
    win.open_member(second)  # the first guest's card is still up while this one loads
    _press(qtbot, win, Qt.Key.Key_I)
    assert win.history_forms.dialog is None  # not on the first guest's card
    qtbot.waitUntil(lambda: isinstance(win.history_forms.dialog, CheckInDialog), timeout=5000)
    dialog = win.history_forms.dialog
    assert isinstance(dialog, CheckInDialog) and dialog.member_id == second.member_id
    dialog.discard()


def test_a_held_key_is_dropped_when_another_card_shows(qtbot: Any, win: MainWindow) -> None:
    first, second = _two_guests(win)
    win.open_member(first)
    _press(qtbot, win, Qt.Key.Key_K)  # held for the first guest…
    win.open_member(second)  # …who is put away before the card came
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_id == second.member_id, timeout=5000)
    qtbot.wait(100)
    assert win.history_forms.dialog is None

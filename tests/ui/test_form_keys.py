"""Forms driven the way people drive them: keys on whatever has focus.

Enter saves a filled form and never cancels one; Enter on an incomplete form says what is
missing and saves nothing; Esc asks before throwing typed work away; the cursor starts in
the first field; Tab leaves a multi-line field; a check-in has no preset purpose.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from sqlalchemy import func, select

from vipdesk.models import Complaint, HomeVisit, Visit
from vipdesk.ui.forms import FormDialog
from vipdesk.ui.history_forms import CheckInDialog, ComplaintDialog, HomeVisitDialog
from vipdesk.ui.main_window import MainWindow


def _count(win: MainWindow, model: Any) -> int:
    with win.desk.factory() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _guest_not_here(win: MainWindow) -> str:
    """A member with no visit today, so check-in is offered."""
    with win.desk.factory() as s:
        here = select(Visit.member_id).where(Visit.checked_out_at.is_(None))
        from vipdesk.models import Member

        return str(s.scalar(select(Member.member_no).where(~Member.id.in_(here))
                            .order_by(Member.member_no).limit(1)))


def _open_card(qtbot: Any, win: MainWindow) -> None:
    member_no = _guest_not_here(win)
    win.open_member(win.desk.members.search(member_no).hits[0])
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_no == member_no, timeout=5000)


def _focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def _type(qtbot: Any, text: str) -> None:
    """ASCII as key presses; Chinese as an input method commits it (QTest cannot type it)."""
    if text.isascii():
        qtbot.keyClicks(_focus(), text)
        return
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(_focus(), event)


def _press(qtbot: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
           ) -> None:
    qtbot.keyClick(_focus(), key, modifier)


def _opened(qtbot: Any, win: MainWindow, button: Any, kind: type) -> Any:
    button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, kind)
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.isAncestorOf(_focus()), timeout=5000)
    return dialog


def test_a_complaint_typed_with_the_keyboard_is_saved_by_enter(qtbot: Any,
                                                             win: MainWindow) -> None:
    _open_card(qtbot, win)
    before = _count(win, Complaint)
    dialog = _opened(qtbot, win, win.card.complaint_button, ComplaintDialog)
    assert _focus() is dialog.category  # the cursor starts in the first field
    _press(qtbot, Qt.Key.Key_Down)  # 服务态度
    _press(qtbot, Qt.Key.Key_Tab)
    assert _focus() is dialog.severity
    _press(qtbot, Qt.Key.Key_Down)  # 轻微
    _press(qtbot, Qt.Key.Key_Tab)
    _type(qtbot, "休息区")
    _press(qtbot, Qt.Key.Key_Tab)
    assert _focus() is dialog.description
    _type(qtbot, "等候四十分钟无人接待")
    _press(qtbot, Qt.Key.Key_Tab)  # Tab leaves the multi-line field
    assert _focus() is dialog.impact
    _type(qtbot, "错过航班")
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert _count(win, Complaint) == before + 1
    assert "投诉" in win.status_message.text()
    qtbot.waitUntil(lambda: win.card.complaints_button.isVisible(), timeout=5000)


def test_enter_on_a_half_filled_complaint_says_what_is_missing(qtbot: Any,
                                                             win: MainWindow) -> None:
    _open_card(qtbot, win)
    before = _count(win, Complaint)
    dialog = _opened(qtbot, win, win.card.complaint_button, ComplaintDialog)
    dialog.description.setFocus()
    _type(qtbot, "试衣间没有热水")
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()  # neither saved nor thrown away
    assert dialog.errors["category"].isVisibleTo(dialog)
    assert dialog.errors["category"].text() == "必填"
    assert dialog.errors["severity"].isVisibleTo(dialog)
    assert _focus() is dialog.category  # the cursor goes where work is missing
    assert dialog.description.toPlainText() == "试衣间没有热水"
    assert _count(win, Complaint) == before
    assert "*" in dialog.form.labelForField(dialog.form.itemAt(0, dialog.form.ItemRole.FieldRole)
                                            .layout()).text()  # type: ignore[union-attr]
    dialog.discard()


def test_enter_right_after_opening_a_home_visit_saves_nothing(qtbot: Any,
                                                             win: MainWindow) -> None:
    _open_card(qtbot, win)
    before = _count(win, HomeVisit)
    dialog = _opened(qtbot, win, win.card.home_visit_button, HomeVisitDialog)
    _press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.errors["notes"].isVisibleTo(dialog)
    assert _focus() is dialog.notes
    assert _count(win, HomeVisit) == before
    _type(qtbot, "新居乔迁，太太喜欢白茶")
    _press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # saves from notes
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert _count(win, HomeVisit) == before + 1


def _answer_discard(dialog: FormDialog, button_text: str, seen: list[str]) -> None:
    """Click a button of the 'discard?' question once it is up (it runs its own loop)."""
    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(20, answer)


def test_esc_asks_before_discarding_typed_work(qtbot: Any, win: MainWindow) -> None:
    _open_card(qtbot, win)
    dialog = _opened(qtbot, win, win.card.complaint_button, ComplaintDialog)
    dialog.description.setFocus()
    _type(qtbot, "包装破损")
    seen: list[str] = []
    _answer_discard(dialog, "继续填写", seen)
    _press(qtbot, Qt.Key.Key_Escape)
    assert seen and "放弃" in seen[0]
    assert dialog.isVisible() and dialog.description.toPlainText() == "包装破损"
    # the cursor is back where the person was typing
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.description, timeout=3000)
    _answer_discard(dialog, "放弃", seen)
    _press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert len(seen) == 2


def test_esc_closes_an_untouched_form_at_once(qtbot: Any, win: MainWindow) -> None:
    _open_card(qtbot, win)
    dialog = _opened(qtbot, win, win.card.complaint_button, ComplaintDialog)
    _press(qtbot, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_check_in_has_no_preset_purpose_and_enter_confirms(qtbot: Any,
                                                          win: MainWindow) -> None:
    _open_card(qtbot, win)
    dialog = _opened(qtbot, win, win.card.check_in_button, CheckInDialog)
    assert dialog.purpose.currentText() == ""  # nothing chosen for the guest
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert win.status_message.text().startswith("已登记到店：")
    with win.desk.factory() as s:
        latest = s.scalars(select(Visit).order_by(Visit.checked_in_at.desc()).limit(1)).one()
    assert latest.purpose is None


def test_ok_is_the_default_button_even_while_the_form_is_incomplete(qtbot: Any,
                                                                     win: MainWindow) -> None:
    _open_card(qtbot, win)
    dialog = _opened(qtbot, win, win.card.complaint_button, ComplaintDialog)
    assert dialog.ok.isDefault() and dialog.ok.isEnabled()
    assert not dialog.cancel.isDefault() and not dialog.cancel.autoDefault()
    dialog.discard()

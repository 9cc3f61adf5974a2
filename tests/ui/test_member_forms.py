"""Registering a new VIP from a search that found nobody, and editing a member from the
card, driven with the keyboard on a writable demo lounge (manager S001 unless a test
puts someone else at the desk)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from vipdesk.models import Member, Staff
from vipdesk.services.auth import Actor
from vipdesk.services.lookup import MemberHit
from vipdesk.services.member_edit import MemberChanges, MemberDesk
from vipdesk.ui.edit_member_form import EditDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.register_member_form import RegisterDialog
from vipdesk.ui.results import HitRole

NEW_PHONE = "13912345678"


def _type(widget: QWidget, text: str) -> None:
    """Type characters the way an input method delivers them (QTest's key clicks only
    know Latin keys): one key event per character, carrying the text."""
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier,
                                                     char))


def _put_at_desk(win: MainWindow, staff_no: str) -> None:
    with win.desk.factory() as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == staff_no)).one()
        win.desk.actor = Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


def _search(qtbot: Any, win: MainWindow, text: str) -> None:
    win.search.setFocus()
    qtbot.keyClicks(win.search, text)
    qtbot.keyClick(win.search, Qt.Key.Key_Return)


def _open_card(qtbot: Any, win: MainWindow, phone: str) -> uuid.UUID:
    _search(qtbot, win, phone)
    qtbot.waitUntil(lambda: win.card.profile is not None and win.card.isVisible(),
                    timeout=5000)
    qtbot.waitUntil(lambda: win.busy.text() == "", timeout=5000)
    assert win.card.profile is not None
    return win.card.profile.member_id


def _edit_dialog(qtbot: Any, win: MainWindow) -> EditDialog:
    assert win.card.edit_button.text() == "编辑资料…" and win.card.edit_button.isVisible()
    qtbot.keyClick(win.search, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(win.member_forms.dialog, EditDialog)
                    and win.member_forms.dialog.isVisible(), timeout=5000)
    dialog = win.member_forms.dialog
    assert isinstance(dialog, EditDialog)
    return dialog


def test_register_from_a_failed_lookup_with_the_keyboard(qtbot: Any, win: MainWindow) -> None:
    _search(qtbot, win, NEW_PHONE)
    button = win.placeholder.register_button
    qtbot.waitUntil(button.isVisible, timeout=5000)
    assert button.text() == "登记新会员  (Ctrl+N)"
    qtbot.keyClick(win.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = win.member_forms.dialog
    assert isinstance(dialog, RegisterDialog) and dialog.isVisible()
    assert dialog.phones.text() == NEW_PHONE  # carried over from the search
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.name_zh, timeout=2000)
    _type(dialog.name_zh, "欧阳娜娜")
    qtbot.keyClick(dialog.name_zh, Qt.Key.Key_Return)  # no consent yet: not saved
    assert dialog.isVisible()
    assert dialog.errors["consent"].text() == "请先征得客户同意"
    assert dialog.focusWidget() is dialog.consent
    qtbot.keyClick(dialog.consent, Qt.Key.Key_Space)
    qtbot.keyClick(dialog.consent, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.name == "欧阳娜娜", timeout=5000)
    assert not dialog.isVisible()
    assert "欧阳娜娜" in win.status_message.text()
    assert win.card.history_title.text() == "服务记录 · 暂无"  # not a bare heading
    with win.desk.factory() as s:
        member = s.scalar(select(Member).where(Member.name_zh == "欧阳娜娜"))
        assert member is not None and member.consent_by == win.desk.actor.staff_id
        assert member.phones[0].e164 == "+86" + NEW_PHONE


def _register(qtbot: Any, win: MainWindow, name: str, phone: str | None = None) -> None:
    """Ctrl+N after a search that found nobody, the name typed, consent ticked, Enter;
    `phone` replaces the number the search carried into the form."""
    qtbot.waitUntil(win.placeholder.register_button.isVisible, timeout=5000)
    qtbot.keyClick(win.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = win.member_forms.dialog
    assert isinstance(dialog, RegisterDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.name_zh, timeout=2000)
    _type(dialog.name_zh, name)
    if phone is not None:
        dialog.phones.setFocus()
        qtbot.keyClick(dialog.phones, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(dialog.phones, phone)
    dialog.consent.setFocus()
    qtbot.keyClick(dialog.consent, Qt.Key.Key_Space)
    qtbot.keyClick(dialog.consent, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)


def _listed(qtbot: Any, win: MainWindow, name: str) -> MemberHit:
    """The card open on `name` and the list beside it showing them, selected."""
    qtbot.waitUntil(lambda: win.card.profile is not None and win.card.profile.name == name
                    and [h.name for h in win.results_model.hits] == [name], timeout=5000)
    hit = win.results.currentIndex().data(HitRole)
    assert isinstance(hit, MemberHit) and win.card.profile is not None
    assert hit.member_id == win.card.profile.member_id
    return hit


@pytest.mark.parametrize(("lang", "registered", "no_visit"), [
    ("zh", "已登记：欧阳娜娜（{}）", "尚未到店"),
    ("en", "Registered: 欧阳娜娜 ({})", "no visit yet")])
def test_a_registered_member_is_listed_as_if_the_search_had_found_them(
        qtbot: Any, win: MainWindow, lang: str, registered: str, no_visit: str) -> None:
    win.search.setFocus()
    if lang != win.lang:
        qtbot.keyClick(win.search, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert win.lang == lang
    _search(qtbot, win, NEW_PHONE)
    qtbot.waitUntil(lambda: win.results_model.hits == [] and not win.search_seq_pending(),
                    timeout=5000)
    _register(qtbot, win, "欧阳娜娜")
    hit = _listed(qtbot, win, "欧阳娜娜")
    assert hit.match == "phone"  # what was searched finds them now
    confirmation = registered.format(hit.member_no)
    assert win.status_message.text() == confirmation
    assert win.search.text() == NEW_PHONE
    assert not win.placeholder.register_button.isVisibleTo(win.placeholder)  # not "no hits"
    qtbot.waitUntil(lambda: no_visit in win.results_model.line(hit), timeout=5000)
    # ↓ from the search box reaches the listed member, and Enter opens them again.
    assert win.focusWidget() is win.search  # the window's, once the form has closed
    qtbot.keyClick(win.search, Qt.Key.Key_Down)
    assert win.focusWidget() is win.results
    with qtbot.waitSignal(win.sig_card_shown, timeout=5000) as shown:
        qtbot.keyClick(win.results, Qt.Key.Key_Return)
    assert shown.args[0].profile.member_id == hit.member_id
    qtbot.waitUntil(lambda: win.busy.text() == "", timeout=5000)
    assert win.status_message.text() == confirmation  # the confirmation stays


def test_a_member_registered_under_another_number_is_listed_all_the_same(
        qtbot: Any, win: MainWindow) -> None:
    _search(qtbot, win, NEW_PHONE)
    _register(qtbot, win, "欧阳娜娜", phone="13912340000")  # the number typed was wrong
    hit = _listed(qtbot, win, "欧阳娜娜")
    assert hit.match == "phone" and hit.phone_masked is not None  # found by the new number
    assert hit.phone_masked.endswith("0000")
    assert win.status_message.text() == f"已登记：欧阳娜娜（{hit.member_no}）"
    with qtbot.waitSignal(win.sig_card_shown, timeout=5000):
        qtbot.keyClick(win.search, Qt.Key.Key_Return)  # Enter opens the listed member


def test_a_day_that_does_not_exist_is_called_that_not_a_bad_format(qtbot: Any,
                                                                   win: MainWindow) -> None:
    _search(qtbot, win, NEW_PHONE)
    qtbot.waitUntil(win.placeholder.register_button.isVisible, timeout=5000)
    qtbot.keyClick(win.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = win.member_forms.dialog
    assert isinstance(dialog, RegisterDialog)
    _type(dialog.name_zh, "欧阳娜娜")
    for typed, said in (("1990-02-30", "没有这一天：1990-02-30"),
                        ("1990/02/30", "没有这一天：1990-02-30"),
                        ("30.2.1990", "日期格式不对（年-月-日，如 1990-05-04）")):
        dialog.birthday.setText(typed)
        qtbot.keyClick(dialog.birthday, Qt.Key.Key_Return)
        assert dialog.isVisible() and dialog.errors["birthday"].text() == said, typed


def test_the_form_says_who_has_the_phone_and_opens_them_instead(qtbot: Any,
                                                                 win: MainWindow) -> None:
    dialog = win.member_forms.open_register("")
    assert dialog is not None
    qtbot.keyClicks(dialog.phones, "138 0013 8000")
    qtbot.waitUntil(dialog.open_match.isVisible, timeout=5000)
    assert "王小明" in dialog.match_label.text()
    dialog.open_match.setFocus()  # in a dialog, Space presses the focused button
    qtbot.keyClick(dialog.open_match, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.name == "王小明", timeout=5000)
    assert not dialog.isVisible()
    _listed(qtbot, win, "王小明")  # the list beside the card shows whom it opened


def test_a_preference_edited_shows_first_on_the_card(qtbot: Any, win: MainWindow) -> None:
    win.desk.clock.advance(minutes=1)  # type: ignore[attr-defined]
    _open_card(qtbot, win, "13800138000")
    dialog = _edit_dialog(qtbot, win)
    box = dialog.preferences
    box.setFocus()
    box.moveCursor(box.textCursor().MoveOperation.End)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    _type(box, "尺码：42")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: "尺码: 42" in win.card.preferences.text(), timeout=5000)
    rows = win.card.preferences.text().split("<br>")
    assert rows[1] == "尺码: 42"  # newest first, under the section title
    assert "已保存" in win.status_message.text()


def test_staff_edit_preferences_but_not_the_private_file(qtbot: Any, win: MainWindow) -> None:
    member_id = _open_card(qtbot, win, "13800138000")
    MemberDesk(win.desk).apply(member_id, MemberChanges(file={"family": "两个孩子"}))
    _put_at_desk(win, "S005")
    dialog = _edit_dialog(qtbot, win)
    assert "family" not in dialog.file_boxes and "lifestyle" not in dialog.file_boxes
    assert "两个孩子" not in " ".join(b.toPlainText() for b in dialog.file_boxes.values())
    assert dialog.preferences.isEnabled()
    assert not dialog.name_zh.isEnabled() and not dialog.phones_add.isEnabled()
    assert "merge_from" not in dialog.errors and "tier_override" not in dialog.errors
    assert dialog.hint.isVisible() and "偏好" in dialog.hint.text()


def test_managers_see_the_advisor_and_override_the_tier_with_a_reason(
        qtbot: Any, win: MainWindow) -> None:
    member_id = _open_card(qtbot, win, "13800138000")
    with win.desk.factory() as s:
        member = s.get(Member, member_id)
        assert member is not None and member.advisor_id is not None
        advisor = s.get(Staff, member.advisor_id)
        assert advisor is not None
    dialog = _edit_dialog(qtbot, win)
    assert advisor.name in dialog.advisor.currentText()  # the member's own advisor
    assert "merge_from" in dialog.errors  # managers merge duplicates here
    dialog.tier.setFocus()
    dialog.tier.setCurrentIndex(1)
    qtbot.keyClick(dialog.tier, Qt.Key.Key_Return)  # no reason yet: not saved
    assert dialog.isVisible() and dialog.focusWidget() is dialog.tier_reason
    qtbot.keyClicks(dialog.tier_reason, "special contribution")
    qtbot.keyClick(dialog.tier_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: win.card.profile is not None and win.card.profile.tier_overridden,
                    timeout=5000)
    profile = win.card.profile
    assert profile is not None and profile.tier_override_reason == "special contribution"


def test_a_line_without_a_label_is_a_note_in_the_desks_language() -> None:
    from vipdesk.ui.member_form_base import parse_preferences, pref_line

    assert parse_preferences("饮品：普洱\n靠窗的位置\n\n size : 42") == [
        ("drink", "普洱"), ("note", "靠窗的位置"), ("size", "42")]
    assert pref_line("note", "靠窗的位置") == "Note：靠窗的位置"  # English desk here

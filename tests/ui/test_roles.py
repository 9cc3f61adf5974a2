"""The window is shaped by who signs in (SPEC §1): lounge staff see the desk and the queue,
not the care list, reports or the sync menus; a manager who signs in on the same window
gets them back; the complaint dialog offers the signed-in person only their own steps."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from sqlalchemy import Engine, select

from tests.ui.conftest import staff_actor
from vipdesk.change_stream import Changes
from vipdesk.desk import Desk
from vipdesk.models import Complaint, Member
from vipdesk.services.complaints import ComplaintDraft, ComplaintView
from vipdesk.services.staff import DEMO_PIN
from vipdesk.ui import i18n
from vipdesk.ui.complaint_steps import ComplaintsDialog
from vipdesk.ui.conflicts import ConflictsDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

WAITED = ComplaintDraft("wait_time", "minor", "在贵宾室等了 20 分钟无人招呼")


def type_into_focus(qtbot: Any, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def sign_in_as(qtbot: Any, win: MainWindow, staff_no: str) -> None:
    """At the lock screen, as people do: number, Enter, PIN, Enter."""
    win.activateWindow()
    screen = win.gate.screen
    qtbot.waitUntil(lambda: QApplication.focusWidget() in (screen.staff_no, screen.secret),
                    timeout=2000)
    if QApplication.focusWidget() is screen.secret:  # the sign-in screen starts empty
        screen.staff_no.setFocus()
    type_into_focus(qtbot, staff_no)
    type_into_focus(qtbot, DEMO_PIN)
    qtbot.waitUntil(lambda: not win.gate.locked, timeout=10000)
    assert win.desk.actor.staff_no == staff_no


def switch_to(qtbot: Any, win: MainWindow, staff_no: str) -> None:
    win.gate.lock()
    sign_in_as(qtbot, win, staff_no)


def pages_offered(win: MainWindow) -> set[str]:
    return {mode for mode, button in win.modes.buttons.items()
            if button.isVisibleTo(win)}


def menus_offered(win: MainWindow) -> set[str]:
    return {name for name, action in (("conflicts", win.manager.conflicts_action),
                                      ("refused", win.manager.dead_letters_action))
            if action.isVisible() and action.isEnabled()}


def test_staff_see_only_their_pages_and_f3_does_nothing(qtbot: Any, gated: MainWindow) -> None:
    # over the lock screen nobody is signed in: no manager's menu shows, even greyed out
    assert not gated.manager.conflicts_action.isVisible()
    assert not gated.manager.dead_letters_action.isVisible()
    sign_in_as(qtbot, gated, "S005")
    assert pages_offered(gated) == {"desk", "queue"}
    assert menus_offered(gated) == set()
    card = gated.card  # home visits are the advisors' and managers'
    assert not card.home_visit_button.isVisibleTo(card)
    assert card.complaint_button.isVisibleTo(card)
    qtbot.keyClick(gated, Qt.Key.Key_F3)
    qtbot.keyClick(gated, Qt.Key.Key_F4)
    assert gated.modes.mode == "desk" and not gated.modes.stack.isVisible()
    assert gated.results.isVisible()
    qtbot.keyClick(gated, Qt.Key.Key_F2)  # the queue board is theirs to run
    assert gated.modes.mode == "queue" and gated.modes.stack.isVisible()


def test_a_key_for_another_roles_action_says_so(qtbot: Any, gated: MainWindow) -> None:
    """Ctrl+H (home visit) at lounge staff's desk: a word in the status bar, no form."""
    sign_in_as(qtbot, gated, "S005")
    open_card(qtbot, gated, a_member_without_complaints(gated.desk))
    qtbot.waitUntil(gated.card.check_in_button.isVisible, timeout=5000)
    gated.search.setFocus()
    qtbot.keyClick(gated.search, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert gated.status_message.text() == "您的岗位不能使用“家访”。"
    assert gated.history_forms.dialog is None or not gated.history_forms.dialog.isVisible()
    gated.status_message.clear()  # a key that is merely not on offer now stays silent
    qtbot.keyClick(gated.search, Qt.Key.Key_K,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert gated.status_message.text() == ""


def test_a_manager_after_staff_gets_the_pages_back_and_staff_after_lose_them(
        qtbot: Any, gated: MainWindow) -> None:
    sign_in_as(qtbot, gated, "S005")
    switch_to(qtbot, gated, "S001")
    assert pages_offered(gated) == {"desk", "queue", "care", "reports"}
    assert menus_offered(gated) == {"conflicts", "refused"}
    assert gated.card.home_visit_button.isVisibleTo(gated.card)
    qtbot.keyClick(gated, Qt.Key.Key_F3)
    assert gated.modes.mode == "care" and gated.modes.stack.isVisible()
    switch_to(qtbot, gated, "S005")
    assert pages_offered(gated) == {"desk", "queue"}
    assert gated.modes.mode == "desk" and not gated.modes.stack.isVisible()
    assert menus_offered(gated) == set()


def test_a_manager_page_showing_goes_when_the_role_cannot_open_it(
        qtbot: Any, gated: MainWindow) -> None:
    """Even without passing the lock (the person changes under an open page)."""
    sign_in_as(qtbot, gated, "S001")
    qtbot.keyClick(gated, Qt.Key.Key_F4)
    assert gated.modes.mode == "reports"
    gated.desk.actor = staff_actor(gated.desk.engine, "S005")
    gated.gate.sig_signed_in.emit(gated.desk.actor)
    assert gated.modes.mode == "desk" and not gated.modes.stack.isVisible()


def test_the_managers_sync_windows_close_over_the_lock(qtbot: Any, gated: MainWindow) -> None:
    """Opened by a manager, they must not wait on screen for the next person."""
    sign_in_as(qtbot, gated, "S001")
    gated.manager.conflicts_action.trigger()
    dialog = gated.findChild(ConflictsDialog)
    assert dialog is not None and dialog.isVisible()
    switch_to(qtbot, gated, "S005")
    assert not any(d.isVisible() for d in gated.findChildren(ConflictsDialog))


def test_an_advisor_sees_the_care_list_but_not_reports(qtbot: Any, gated: MainWindow) -> None:
    sign_in_as(qtbot, gated, "S002")
    assert pages_offered(gated) == {"desk", "queue", "care"}
    assert menus_offered(gated) == set()
    assert gated.card.home_visit_button.isVisibleTo(gated.card)  # for their own VIPs
    qtbot.keyClick(gated, Qt.Key.Key_F4)
    assert gated.modes.mode == "desk"


def test_on_the_board_an_advisor_marks_served_but_does_not_call(qtbot: Any,
                                                                gated: MainWindow) -> None:
    sign_in_as(qtbot, gated, "S002")
    desk = gated.desk
    with desk.factory() as s:
        guest = s.scalars(select(Member.id).order_by(Member.member_no).limit(1)).one()
    desk.queue.add(guest, "advisor", appointment=False)
    qtbot.keyClick(gated, Qt.Key.Key_F2)
    board = gated.manager.board
    qtbot.waitUntil(lambda: len(board.model.rows) == 1, timeout=5000)
    assert not board.call_button.isVisibleTo(board)
    assert not board.assign_button.isVisibleTo(board)
    assert board.served_button.isVisibleTo(board)
    board.view.setFocus()
    said = gated.status_message.text()
    qtbot.keyClick(board.view, Qt.Key.Key_N)  # calling is not theirs: the key does nothing,
    qtbot.wait(300)  # … not even a refusal in the status bar
    assert gated.status_message.text() == said
    assert [row.state for row in desk.queue.board()] == ["waiting"]


# -- the complaint dialog ---------------------------------------------------------------


def a_member_without_complaints(desk: Desk) -> str:
    with desk.factory() as s:
        return s.scalars(select(Member.member_no)
                         .where(~Member.id.in_(select(Complaint.member_id)))
                         .order_by(Member.member_no).limit(1)).one()


def open_card(qtbot: Any, win: MainWindow, member_no: str) -> None:
    win.search.setFocus()
    qtbot.keyClicks(win.search, member_no)
    qtbot.keyClick(win.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_no == member_no, timeout=5000)


def complaints_dialog(qtbot: Any, win: MainWindow, *views: ComplaintView) -> ComplaintsDialog:
    win.ops.publish(Changes.of({"complaints"}))  # written beside the window
    qtbot.waitUntil(lambda: win.card.complaints_button.isVisibleTo(win.card), timeout=5000)
    win.card.complaints_button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, ComplaintsDialog)
    wanted = {v.complaint_id for v in views}
    qtbot.waitUntil(lambda: wanted <= {v.complaint_id for v in dialog.views}, timeout=5000)
    return dialog


def choose(dialog: ComplaintsDialog, view: ComplaintView) -> None:
    dialog.list.setCurrentRow(next(i for i, v in enumerate(dialog.views)
                                   if v.complaint_id == view.complaint_id))


def step_buttons(dialog: ComplaintsDialog) -> set[str]:
    return {b.objectName() for b in dialog.findChildren(QPushButton)
            if b.objectName().startswith("step_") and not b.isHidden()}


def hint(dialog: ComplaintsDialog) -> str:
    return " ".join(label.text() for label in dialog.findChildren(QLabel, "managerHint")
                    if not label.isHidden())


def offers(qtbot: Any, dialog: ComplaintsDialog, buttons: set[str], hint_text: str) -> None:
    """The dialog shows exactly these step buttons and this hint (widgets added to a
    shown dialog appear on the next turn of the event loop)."""
    def shown() -> None:
        assert (step_buttons(dialog), hint(dialog)) == (buttons, hint_text)
    qtbot.waitUntil(shown, timeout=2000)


def test_staff_record_the_first_contact_of_their_own_complaint(qtbot: Any,
                                                                gated: MainWindow) -> None:
    sign_in_as(qtbot, gated, "S005")
    desk = gated.desk
    open_card(qtbot, gated, a_member_without_complaints(desk))
    assert gated.card.profile is not None
    member_id = gated.card.profile.member_id
    mine = desk.complaints.open(member_id, WAITED)  # S005 takes it down
    theirs = desk.complaints.service.open(staff_actor(desk.engine, "S001"), member_id, WAITED)
    dialog = complaints_dialog(qtbot, gated, mine, theirs)
    assert not dialog.points.isVisibleTo(dialog) and not dialog.item.isVisibleTo(dialog)

    choose(dialog, theirs)  # the manager's complaint: named, not offered
    offers(qtbot, dialog, set(), "→ 已联系：此操作需店长处理")

    choose(dialog, mine)
    offers(qtbot, dialog, {"step_contacted"}, "")
    dialog.note.setText("已致电客户道歉")
    button = dialog.findChild(QPushButton, "step_contacted")
    assert button is not None
    button.click()
    # Generous: the step is written off the GUI thread, and CI's two cores are busy.
    qtbot.waitUntil(lambda: desk.complaints.get(mine.complaint_id).state == "contacted",
                    timeout=15000)
    assert desk.complaints.service.steps(mine.complaint_id)[-1].by == desk.actor.staff_id
    qtbot.waitUntil(lambda: any(v.complaint_id == mine.complaint_id and v.state == "contacted"
                                for v in dialog.views), timeout=5000)
    choose(dialog, mine)  # resolving is a manager's: no button, a plain hint
    offers(qtbot, dialog, set(), "→ 已解决：此操作需店长处理")
    assert "Traceback" not in dialog.error.text() and "may not" not in dialog.error.text()


def test_the_first_contact_is_a_note_and_enter(qtbot: Any, gated: MainWindow) -> None:
    """Keyboard only: Ctrl+Shift+K, the cursor waits in the note, Enter takes the step."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    sign_in_as(qtbot, gated, "S005")
    desk = gated.desk
    open_card(qtbot, gated, a_member_without_complaints(desk))
    assert gated.card.profile is not None
    mine = desk.complaints.open(gated.card.profile.member_id, WAITED)
    dialog = complaints_dialog(qtbot, gated, mine)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.note, timeout=3000)
    typed = QInputMethodEvent()
    typed.setCommitString("已致电道歉，约好明天取件")
    QApplication.sendEvent(dialog.note, typed)
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    # Generous: the step is written off the GUI thread, and CI's two cores are busy.
    qtbot.waitUntil(lambda: desk.complaints.get(mine.complaint_id).state == "contacted",
                    timeout=15000)
    assert dialog.isVisible()  # the list stays: the next complaint may need a step too
    # …and the status bar no longer asks for a contact within 30 minutes
    qtbot.waitUntil(lambda: gated.status_message.text().endswith("的投诉：已联系。"),
                    timeout=5000)


def test_enter_right_after_a_reload_takes_the_step(qtbot: Any, gated: MainWindow) -> None:
    """A reload rebuilds the step buttons, and the layout shows them only on the next turn
    of the event loop: Enter typed in that gap still takes the forward step."""
    sign_in_as(qtbot, gated, "S005")
    desk = gated.desk
    open_card(qtbot, gated, a_member_without_complaints(desk))
    assert gated.card.profile is not None
    mine = desk.complaints.open(gated.card.profile.member_id, WAITED)
    dialog = complaints_dialog(qtbot, gated, mine)
    dialog._show(list(dialog.views))  # what a reload's answer does, without a turn after
    button = dialog.findChild(QPushButton, "step_contacted")
    assert button is not None and not button.isVisible()  # the gap is real
    dialog.note.setText("已致电道歉")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.complaints.get(mine.complaint_id).state == "contacted",
                    timeout=15000)


def test_a_second_enter_while_saving_takes_no_second_step(qtbot: Any,
                                                          gated: MainWindow) -> None:
    """A manager may take every step: Enter twice in a row is still one step."""
    sign_in_as(qtbot, gated, "S001")
    desk = gated.desk
    open_card(qtbot, gated, a_member_without_complaints(desk))
    assert gated.card.profile is not None
    mine = desk.complaints.open(gated.card.profile.member_id, WAITED)
    dialog = complaints_dialog(qtbot, gated, mine)
    dialog.note.setText("已致电道歉")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.saving, timeout=15000)
    assert [s.to_state for s in desk.complaints.service.steps(mine.complaint_id)][-1] \
        == "contacted"
    assert desk.complaints.get(mine.complaint_id).state == "contacted"


def test_a_manager_is_offered_every_step(qtbot: Any, gated: MainWindow) -> None:
    sign_in_as(qtbot, gated, "S001")
    desk = gated.desk
    open_card(qtbot, gated, a_member_without_complaints(desk))
    assert gated.card.profile is not None
    theirs = desk.complaints.service.open(staff_actor(desk.engine, "S005"),
                                  gated.card.profile.member_id, WAITED)
    dialog = complaints_dialog(qtbot, gated, theirs)
    choose(dialog, theirs)
    offers(qtbot, dialog, {"step_contacted"}, "")
    assert dialog.points.isVisibleTo(dialog)


# -- sync conflicts ---------------------------------------------------------------------


def test_an_empty_conflicts_list_says_so_and_offers_nothing(qtbot: Any,
                                                            demo_engine: Engine) -> None:
    desk = Desk(demo_engine, actor=staff_actor(demo_engine, "S001"))
    assert desk.review.conflicts() == []
    ops = Ops()
    i18n.install("zh")
    dialog = ConflictsDialog(desk, ops)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(ops.sig_busy, check_params_cb=lambda busy: not busy, timeout=5000):
        pass  # the list has been read and shown
    assert not dialog.keep.isVisible() and not dialog.restore.isVisible()
    assert not dialog.table.isVisible()
    assert dialog.empty.isVisible() and dialog.empty.text() == "没有需要处理的同步冲突。"
    ops.shutdown()
    i18n.install("en")


def test_a_complaint_clock_reads_as_a_span_not_a_time_of_day(qapp: Any) -> None:
    from vipdesk.ui.complaint_steps import duration

    try:
        i18n.install("en")
        assert [duration(125), duration(17 * 3600 + 10 * 60 + 33), duration(3 * 86400)] \
            == ["02:05", "17 h 10 min", "3 days"]
        i18n.install("zh")
        assert duration(17 * 3600 + 10 * 60) == "17 小时 10 分钟"
    finally:
        i18n.install("en")

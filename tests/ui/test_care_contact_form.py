"""A care contact logged from the member card (outside the care list), on a writable demo
lounge: manager S001 unless a test signs someone else in."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import func, select

from vipdesk.models import CareContact, Member, Staff
from vipdesk.services.auth import Actor
from vipdesk.services.care import KINDS, MAX_OUTCOME
from vipdesk.ui.care_contact_form import CareContactDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.timeline_view import describe

KIND_ZH = ["生日祝福", "节日问候", "周年纪念", "回访", "欢迎卡", "新会员首访", "投诉联系",
           "投诉回访", "流失挽回", "家访", "其他"]


def _sign_in(win: MainWindow, staff_no: str) -> Actor:
    with win.desk.factory() as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == staff_no)).one()
        win.desk.actor = Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)
    return win.desk.actor


def _first_member(win: MainWindow, **where: Any) -> uuid.UUID:
    with win.desk.factory() as s:
        member_id = s.scalar(select(Member.id).filter_by(erased_at=None, **where)
                             .order_by(Member.member_no).limit(1))
    assert member_id is not None
    return member_id


def _show(qtbot: Any, win: MainWindow, member_id: uuid.UUID) -> None:
    """Open the member's card and wait until every question the card asked is answered
    (the permission check among them)."""
    win.open_member_id(member_id)
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_id == member_id, timeout=5000)
    qtbot.waitUntil(lambda: win.busy.text() == "", timeout=5000)


def _dialog(qtbot: Any, win: MainWindow, member_id: uuid.UUID | None = None
            ) -> CareContactDialog:
    _show(qtbot, win, member_id or _first_member(win))
    button = win.card.care_button
    assert button.isVisible() and button.text() == "关怀联系…"
    button.click()
    dialog = win.care_contact_forms.dialog
    assert isinstance(dialog, CareContactDialog) and dialog.isVisible()
    return dialog


def _pick(box: Any, code: str) -> None:
    index = box.findData(code)
    assert index > 0, code
    box.setCurrentIndex(index)


def _contacts(win: MainWindow) -> int:
    with win.desk.factory() as s:
        return int(s.scalar(select(func.count()).select_from(CareContact)) or 0)


def test_ok_waits_for_kind_and_channel(qtbot: Any, win: MainWindow) -> None:
    dialog = _dialog(qtbot, win)
    assert dialog.windowTitle().startswith("关怀联系 — ")
    kinds = [dialog.kind.itemText(i) for i in range(1, dialog.kind.count())]
    assert kinds == KIND_ZH and [dialog.kind.itemData(i) for i in range(1, 12)] == list(KINDS)
    assert dialog.channel.itemText(1) == "电话"
    assert not dialog.is_valid()
    _pick(dialog.kind, "callback")
    assert not dialog.is_valid()  # the channel is still blank
    _pick(dialog.channel, "wechat")
    assert dialog.is_valid()  # the outcome is optional
    dialog.kind.setCurrentIndex(0)  # back to "— 请选择 —": flagged where it is
    assert not dialog.is_valid()
    assert dialog.errors["kind"].isVisibleTo(dialog) and dialog.errors["kind"].text() == "必填"
    dialog.reject()


def test_an_over_long_outcome_is_refused_beside_the_field(qtbot: Any,
                                                          win: MainWindow) -> None:
    before = _contacts(win)
    dialog = _dialog(qtbot, win)
    _pick(dialog.kind, "holiday")
    _pick(dialog.channel, "sms")
    dialog.outcome.setPlainText("好" * (MAX_OUTCOME + 1))
    error = dialog.errors["outcome"]
    assert not dialog.is_valid()
    assert error.isVisibleTo(dialog) and error.text() == "最多 500 字（现 501 字）"
    assert dialog.counter.text() == "501 / 500"
    dialog.submit()  # Enter does not get past it either
    assert _contacts(win) == before
    dialog.outcome.setPlainText("好" * MAX_OUTCOME)
    assert dialog.is_valid() and not error.isVisibleTo(dialog)
    dialog.reject()


def test_saved_contact_is_in_the_database_and_on_top_of_the_timeline(
        qtbot: Any, win: MainWindow) -> None:
    before = _contacts(win)
    dialog = _dialog(qtbot, win)
    _pick(dialog.kind, "birthday")
    _pick(dialog.channel, "phone")
    dialog.outcome.setPlainText("已致电祝贺生日，周六来店取礼品")
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: bool(win.card.timeline.entries)
                    and win.card.timeline.entries[0].kind == "care", timeout=5000)
    top = win.card.timeline.entries[0]
    assert describe(top) == "生日祝福 · 电话"
    assert top.detail is not None and "周六来店取礼品" in top.detail
    assert win.status_message.text().startswith("已登记：生日祝福 · ")
    assert win.card.profile is not None
    with win.desk.factory() as s:
        contact = s.scalars(select(CareContact).where(
            CareContact.member_id == win.card.profile.member_id)
            .order_by(CareContact.at.desc())).first()
    assert contact is not None and (contact.kind, contact.channel) == ("birthday", "phone")
    assert contact.by == win.desk.actor.staff_id and contact.task_key is None
    assert contact.outcome is not None and contact.outcome.startswith("已致电祝贺生日")
    assert _contacts(win) == before + 1


def test_cancel_writes_nothing(qtbot: Any, win: MainWindow) -> None:
    before = _contacts(win)
    dialog = _dialog(qtbot, win)
    top = list(win.card.timeline.entries[:1])
    _pick(dialog.kind, "churn")
    _pick(dialog.channel, "in_person")
    dialog.outcome.setPlainText("愿意下月再来看新品")
    assert dialog.is_valid()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not dialog.isVisible()
    qtbot.wait(200)
    qtbot.waitUntil(lambda: win.busy.text() == "", timeout=5000)
    assert _contacts(win) == before
    assert win.care_contact_forms.dialog is dialog and not dialog.saving
    assert list(win.card.timeline.entries[:1]) == top


def test_a_contact_from_the_card_closes_the_matching_care_task(qtbot: Any,
                                                               win: MainWindow) -> None:
    care = win.desk.care.build_list()  # what the care list (F3) would have stored this morning
    task = next(i for i in care.items if i.status == "due" and i.kind == "birthday")
    dialog = _dialog(qtbot, win, task.member_id)
    qtbot.waitUntil(lambda: dialog.form.isRowVisible(dialog.task_row), timeout=5000)
    assert dialog.task.currentIndex() == 0 and dialog.task.itemText(0) == "— 不关联 —"
    _pick(dialog.task, task.task_key)
    assert dialog.task.currentText().startswith("生日祝福 · ")
    assert dialog.task.currentText().endswith(" · 今日到期")
    assert dialog.kind.currentData() == "birthday"  # filled in from the task
    _pick(dialog.channel, "wechat")
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    with win.desk.factory() as s:
        keys = list(s.scalars(select(CareContact.task_key)
                              .where(CareContact.member_id == task.member_id)))
    assert task.task_key in keys
    assert task.task_key not in {t.task_key for t in win.desk.care.open_tasks(task.member_id)}
    after = {i.task_key: i.status for i in win.desk.care.build_list().items}
    assert after[task.task_key] == "done"


def test_a_role_without_care_log_cannot_open_it(qtbot: Any, win: MainWindow) -> None:
    _sign_in(win, "S009")  # the administrator: no care.log.own
    _show(qtbot, win, _first_member(win))
    assert not win.card.care_button.isVisible()
    assert win.card.points_button.isVisible()  # the card itself is shown
    qtbot.keyClick(win, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert win.care_contact_forms.dialog is None
    assert win.care_contact_forms.open() is None
    assert win.status_message.text() == "您无权为该会员登记关怀联系。"


def test_advisors_log_for_their_own_vips_only(qtbot: Any, win: MainWindow) -> None:
    advisor = _sign_in(win, "S002")
    own = _first_member(win, advisor_id=advisor.staff_id)
    with win.desk.factory() as s:
        other = s.scalar(select(Member.id).where(Member.advisor_id != advisor.staff_id)
                         .order_by(Member.member_no).limit(1))
    assert other is not None
    _show(qtbot, win, other)
    assert not win.card.care_button.isVisible()
    _show(qtbot, win, own)
    assert win.card.care_button.isVisible()


def test_lounge_staff_log_but_are_offered_no_care_tasks(qtbot: Any, win: MainWindow) -> None:
    care = win.desk.care.build_list()  # as the manager: tasks stored
    member_id = next(i.member_id for i in care.items if i.status == "due")
    assert win.desk.care.open_tasks(member_id)
    _sign_in(win, "S005")  # lounge staff: care.log.own, but not care.view
    dialog = _dialog(qtbot, win, member_id)
    qtbot.waitUntil(lambda: win.busy.text() == "", timeout=5000)
    assert not dialog.form.isRowVisible(dialog.task_row) and dialog.task.count() == 1
    assert win.desk.care.open_tasks(member_id) == []
    dialog.reject()


def test_the_shortcut_opens_the_form(qtbot: Any, win: MainWindow) -> None:
    _show(qtbot, win, _first_member(win))
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    dialog = win.care_contact_forms.dialog
    assert isinstance(dialog, CareContactDialog) and dialog.isVisible()
    dialog.reject()

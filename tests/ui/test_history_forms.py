"""The history forms on the member card: check-in, complaints and their steps, home visits.

These write, so each test gets its own copy of the demo lounge and a manager (S001) at
the desk, with the clock fixed in the evening of the demo's "today".
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QPushButton
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.ui.test_layout_1366 import TITLE_BAR, layout_problems
from vipdesk.change_stream import Changes
from vipdesk.db import open_desk_db
from vipdesk.desk import Desk
from vipdesk.models import Complaint, Member, Preference, Staff, Visit
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.services.complaints import ComplaintDraft
from vipdesk.ui import i18n, theme
from vipdesk.ui.complaint_steps import ComplaintsDialog
from vipdesk.ui.history_forms import CheckInDialog, ComplaintDialog, HomeVisitDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai, after the demo's day


def _actor(session: Session, staff_no: str) -> Actor:
    staff = session.scalar(select(Staff).where(Staff.staff_no == staff_no))
    assert staff is not None
    return Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


@pytest.fixture
def write_desk(demo_db: Path, tmp_path: Path) -> Iterator[Desk]:
    copy = tmp_path / "desk.db"
    shutil.copy(demo_db, copy)
    engine = open_desk_db(copy, migrate=False)
    with Session(engine) as s:
        actor = _actor(s, "S001")
    assert actor.role == "manager"
    yield Desk(engine, clock=FixedClock(NOW), actor=actor)
    engine.dispose()


@pytest.fixture
def win(qtbot: Any, write_desk: Desk) -> Iterator[MainWindow]:
    ops = Ops()
    window = MainWindow(write_desk, ops, i18n.install("zh"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    ops.shutdown()
    i18n.install("en")


def _member_with_drink(desk: Desk) -> tuple[str, str]:
    """A member with a usual drink (their latest drink preference, as the card lists it
    first) who has not checked in today."""
    with desk.factory() as s:
        row = s.execute(
            select(Member.member_no, Preference.value).join(Preference,
                                                            Preference.member_id == Member.id)
            .where(Preference.tag == "drink",
                   ~Member.id.in_(select(Visit.member_id).where(
                       Visit.checked_in_at >= NOW - timedelta(days=1))))
            .order_by(Member.member_no, Preference.created_at.desc(), Preference.id.desc())
            .limit(1)).one()
    return row[0], row[1]


def _open(qtbot: Any, win: MainWindow, member_no: str) -> None:
    hit = win.desk.members.search(member_no).hits[0]
    win.open_member(hit)
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_no == member_no, timeout=5000)


def _open_count(win: MainWindow) -> int:
    assert win.card.profile is not None
    return next((int(str(a.params["count"])) for a in win.card.profile.alerts
                 if a.code == "open_complaint"), 0)


def test_check_in_from_the_card_prefills_the_drink_and_lands_in_the_timeline(
        qtbot: Any, win: MainWindow) -> None:
    member_no, drink = _member_with_drink(win.desk)
    _open(qtbot, win, member_no)
    win.card.check_in_button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, CheckInDialog)
    assert dialog.offered.text() == drink
    assert dialog.is_valid()
    dialog.purpose.setCurrentText("试衣")
    dialog.ok.click()
    qtbot.waitUntil(lambda: win.card.timeline.entries[0].kind == "visit"
                    and win.card.timeline.entries[0].summary == "试衣", timeout=5000)
    assert win.card.timeline.entries[0].detail == drink
    assert not dialog.isVisible()


def test_a_second_check_in_is_refused_in_the_dialog(qtbot: Any, win: MainWindow) -> None:
    member_no, _ = _member_with_drink(win.desk)
    _open(qtbot, win, member_no)
    assert win.card.profile is not None
    win.desk.visits.check_in(win.card.profile.member_id, "咨询", None)
    win.card.check_in_button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, CheckInDialog)
    dialog.ok.click()
    qtbot.waitUntil(lambda: "已登记到店" in dialog.general.text(), timeout=5000)
    assert dialog.isVisible() and dialog.is_valid()


def test_complaint_form_validates_as_people_type_then_saves(qtbot: Any,
                                                             win: MainWindow) -> None:
    member_no, _ = _member_with_drink(win.desk)
    _open(qtbot, win, member_no)
    before = _open_count(win)
    win.card.complaint_button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, ComplaintDialog)
    assert not dialog.is_valid()  # nothing chosen yet
    dialog.description.setPlainText("x" * 4001)
    error = dialog.errors["description"]
    assert error.isVisible() and "4000" in error.text()
    assert not dialog.is_valid()
    dialog.category.setCurrentIndex(dialog.category.findData("wait_time"))
    dialog.severity.setCurrentIndex(dialog.severity.findData("minor"))
    assert not dialog.is_valid()  # the description is still too long
    dialog.description.setPlainText("等候取货超过40分钟")
    dialog.place.setText("贵宾室")
    assert not error.isVisible()
    assert dialog.is_valid()
    dialog.ok.click()
    qtbot.waitUntil(lambda: _open_count(win) == before + 1, timeout=5000)
    first = win.card.timeline.entries[0]
    assert first.kind == "complaint" and first.summary == "wait_time · received"
    assert win.card.complaints_button.isVisibleTo(win.card)


def test_a_complaint_advances_to_contacted_from_its_dialog(qtbot: Any,
                                                           win: MainWindow) -> None:
    member_no, _ = _member_with_drink(win.desk)
    _open(qtbot, win, member_no)
    assert win.card.profile is not None
    view = win.desk.complaints.open(win.card.profile.member_id, ComplaintDraft(
        "service_attitude", "minor", "店员未及时招呼"))
    win.ops.publish(Changes.of({"complaints"}))  # written beside the window
    qtbot.waitUntil(lambda: win.card.complaints_button.isVisibleTo(win.card), timeout=5000)
    win.card.complaints_button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, ComplaintsDialog)
    qtbot.waitUntil(lambda: any(v.complaint_id == view.complaint_id for v in dialog.views),
                    timeout=5000)
    dialog.list.setCurrentRow(next(i for i, v in enumerate(dialog.views)
                                   if v.complaint_id == view.complaint_id))
    assert "30:00" in dialog.list.currentItem().text()  # contact due in 30 minutes
    dialog.note.setText("已致电道歉")
    button = dialog.findChild(QPushButton, "step_contacted")
    assert button is not None
    button.click()
    qtbot.waitUntil(lambda: win.desk.complaints.get(view.complaint_id).state == "contacted",
                    timeout=5000)
    qtbot.waitUntil(lambda: dialog.findChild(QPushButton, "step_resolved")
                    is not None, timeout=5000)


def test_resolving_a_minor_complaint_needs_points_in_range(qtbot: Any,
                                                           win: MainWindow) -> None:
    member_no, _ = _member_with_drink(win.desk)
    _open(qtbot, win, member_no)
    assert win.card.profile is not None
    view = win.desk.complaints.open(win.card.profile.member_id, ComplaintDraft(
        "wait_time", "minor", "等候过久"))
    win.desk.complaints.advance(view.complaint_id, _step("contacted"))
    win.ops.publish(Changes.of({"complaints"}))  # written beside the window
    qtbot.waitUntil(lambda: win.card.complaints_button.isVisibleTo(win.card), timeout=5000)
    dialog = win.history_forms.open(ComplaintsDialog)
    assert isinstance(dialog, ComplaintsDialog)
    qtbot.waitUntil(lambda: any(v.complaint_id == view.complaint_id for v in dialog.views),
                    timeout=5000)
    dialog.list.setCurrentRow(next(i for i, v in enumerate(dialog.views)
                                   if v.complaint_id == view.complaint_id))
    dialog.note.setText("致歉，补偿积分")
    dialog.points.setValue(50)
    dialog.advance("resolved")
    assert "100" in dialog.error.text()  # refused before anything is written
    assert win.desk.complaints.get(view.complaint_id).state == "contacted"
    dialog.points.setValue(200)
    dialog.advance("resolved")
    qtbot.waitUntil(lambda: win.desk.complaints.get(view.complaint_id).state == "resolved",
                    timeout=5000)


def test_home_visit_refuses_a_future_date_and_saves_a_valid_one(qtbot: Any,
                                                                 win: MainWindow) -> None:
    member_no, _ = _member_with_drink(win.desk)
    _open(qtbot, win, member_no)
    assert win.card.profile is not None
    member_id = win.card.profile.member_id
    win.card.home_visit_button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, HomeVisitDialog)
    dialog.visited_on.setDate(QDate(2026, 11, 26))
    assert not dialog.is_valid()
    assert dialog.errors["visited_on"].isVisible()
    assert dialog.errors["visited_on"].text() == "不能是将来的日期"
    dialog.visited_on.setDate(QDate(2026, 11, 23))
    dialog.gift.setText("明前龙井")
    dialog.notes.setPlainText("与太太一同接待，谈及春季旅行")
    dialog.satisfaction.setCurrentIndex(dialog.satisfaction.findData("very_satisfied"))
    dialog.follow_up.setChecked(True)
    dialog.follow_up_on.setDate(QDate(2026, 11, 20))  # before the visit: refused
    dialog.follow_up_text.setText("寄送新款目录")
    assert not dialog.is_valid()
    assert dialog.errors["follow_ups"].isVisible()
    dialog.follow_up_on.setDate(QDate(2026, 12, 1))
    assert dialog.is_valid()
    dialog.ok.click()
    qtbot.waitUntil(lambda: win.card.timeline.entries[0].kind == "home_visit", timeout=5000)
    assert win.card.timeline.entries[0].summary == "明前龙井"
    tasks = win.desk.home_visits.open_follow_ups(member_id)
    assert [(t.due_on, t.description) for t in tasks][-1] == (date(2026, 12, 1), "寄送新款目录")


def test_overdue_complaints_show_in_the_status_bar(qtbot: Any, win: MainWindow) -> None:
    overdue = len(win.desk.complaints.overdue())
    assert overdue > 0  # the demo lounge has complaints nobody called back in time
    qtbot.waitUntil(lambda: win.history_forms.overdue.text().startswith(f"{overdue} "),
                    timeout=5000)


def _step(to_state: str) -> Any:
    from vipdesk.services.complaints import StepDraft

    return StepDraft(to_state)


def test_a_follow_up_date_is_in_store_time_whatever_the_pcs_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A desk PC left on UTC (or anything else) shows the follow-up in store time, as
    every other time on the desk."""
    import time
    from types import SimpleNamespace

    from vipdesk.ui.complaint_steps import clock_text

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        view = SimpleNamespace(contact_due=None,
                               follow_up_due=datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
        text, late = clock_text(view, datetime(2026, 11, 25, 2, 0, tzinfo=UTC),  # type: ignore[arg-type]
                                "Asia/Shanghai")
        assert "2026-11-26 10:00" in text and not late
    finally:
        monkeypatch.undo()
        time.tzset()


# Typed in the note as it came: markup stays text, 2,000 characters stay readable.
HOSTILE_NOTE = "<b>x</b> " + "客人要求店长本人回电，" * 181 + "完"


def _commit(widget: Any, text: str) -> None:
    """What an input method hands the focused field when a phrase is chosen."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _member_without_complaints(desk: Desk) -> str:
    with desk.factory() as s:
        return s.scalars(select(Member.member_no)
                         .where(~Member.id.in_(select(Complaint.member_id)))
                         .order_by(Member.member_no).limit(1)).one()


def _take_step(qtbot: Any, dialog: ComplaintsDialog, typed: str, note: str, state: str) -> None:
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.note, timeout=5000)
    if typed:
        qtbot.keyClicks(dialog.note, typed)
    _commit(dialog.note, note)
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [v.state for v in dialog.views] == [state], timeout=15000)


@pytest.mark.parametrize(("lang", "names"), [
    ("zh", ("已受理", "已联系", "已解决")), ("en", ("Received", "Contacted", "Resolved"))])
def test_each_step_taken_shows_who_when_and_the_note_as_typed(
        qtbot: Any, win: MainWindow, lang: str, names: tuple[str, str, str]) -> None:
    """Keyboard only: the card by its number, Ctrl+Shift+K, a note and Enter for the first
    contact, another for the resolution; each step says what, when (store time: 23:30 in
    Shanghai, not 15:30 UTC) and who, over its note, newest first, in a box that keeps the
    dialog's size."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    font = app.font()
    theme.apply(app, screen_height=768)  # the real style sheet, as at the store's screen
    try:
        win.resize(1366, 768 - TITLE_BAR)
        win.search.setFocus()
        if lang != win.lang:
            qtbot.keyClick(win.search, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert win.lang == lang
        member_no = _member_without_complaints(win.desk)
        qtbot.keyClicks(win.search, member_no)
        qtbot.keyClick(win.search, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: win.card.profile is not None
                        and win.card.profile.member_no == member_no, timeout=5000)
        assert win.card.profile is not None
        win.desk.complaints.open(win.card.profile.member_id, ComplaintDraft(
            "wait_time", "minor", "等候过久"))
        win.ops.publish(Changes.of({"complaints"}))  # written beside the window
        qtbot.waitUntil(lambda: win.card.complaints_button.isVisibleTo(win.card), timeout=5000)
        qtbot.keyClick(win.search, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)
        dialog = win.history_forms.dialog
        assert isinstance(dialog, ComplaintsDialog)
        qtbot.waitUntil(lambda: len(dialog.views) == 1, timeout=5000)
        when, who = "2026-11-25 23:30", win.desk.actor.name
        received = f"{names[0]}  ·  {when}  ·  {who}"
        assert dialog.history.toPlainText() == f"{received}\n等候过久"

        _take_step(qtbot, dialog, "<b>x</b> ", HOSTILE_NOTE[len("<b>x</b> "):], "contacted")
        contacted = f"{names[1]}  ·  {when}  ·  {who}"
        qtbot.waitUntil(lambda: contacted in dialog.history.toPlainText(), timeout=5000)
        assert dialog.history.toPlainText() == f"{contacted}\n{HOSTILE_NOTE}\n{received}\n等候过久"
        assert len(HOSTILE_NOTE) >= 2000

        _take_step(qtbot, dialog, "", "已退还运费，客人满意", "resolved")
        resolved = f"{names[2]}  ·  {when}  ·  {who}"
        qtbot.waitUntil(lambda: resolved in dialog.history.toPlainText(), timeout=5000)
        assert dialog.history.toPlainText() == (f"{resolved}\n已退还运费，客人满意\n"
                                                f"{contacted}\n{HOSTILE_NOTE}\n{received}\n等候过久")
        # The long note wraps and scrolls inside its box; the latest step shows on top.
        history = dialog.history
        assert history.horizontalScrollBar().maximum() == 0
        assert history.verticalScrollBar().maximum() > 0
        assert history.verticalScrollBar().value() == 0
        assert history.firstVisibleBlock().text() == resolved
        assert history.height() < 300
        assert dialog.height() <= 768 - TITLE_BAR and dialog.width() <= 1366
        # (the points box's own inner field measures 15 px high for an 18 px hint at this
        # screen's font, with or without the steps box: not what is checked here)
        problems = [p for p in layout_problems(dialog, QSize(1366, 768))
                    if "qt_spinbox_lineedit" not in p]
        assert not problems, "\n".join(problems)
        assert dialog.error.text() == ""
    finally:
        app.setStyleSheet("")
        app.setFont(font)


@pytest.mark.parametrize(("lang", "words"), [
    ("zh", "请写明处理情况"), ("en", "Say what was done")])
def test_enter_pressed_again_does_not_resolve_a_complaint_with_nothing_on_record(
        qtbot: Any, win: MainWindow, lang: str, words: str) -> None:
    """The first contact recorded with a note and Enter; an Enter pressed once more (an
    impatient key, an input method's extra Return) must not resolve the complaint with
    no word of how: the dialog asks for the note and nothing is written."""
    if lang != win.lang:
        qtbot.keyClick(win.search, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    member_no = _member_without_complaints(win.desk)
    _open(qtbot, win, member_no)
    assert win.card.profile is not None
    view = win.desk.complaints.open(win.card.profile.member_id, ComplaintDraft(
        "wait_time", "minor", "等候过久"))
    win.ops.publish(Changes.of({"complaints"}))
    qtbot.waitUntil(lambda: win.card.complaints_button.isVisibleTo(win.card), timeout=5000)
    qtbot.keyClick(win.search, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(win.history_forms.dialog, ComplaintsDialog), timeout=5000)
    dialog = win.history_forms.dialog
    assert isinstance(dialog, ComplaintsDialog)
    _take_step(qtbot, dialog, "", "已致电致歉", "contacted")
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.note, timeout=5000)
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)  # the second Enter, the note empty
    qtbot.waitUntil(lambda: words in dialog.error.text(), timeout=5000)
    assert win.desk.complaints.get(view.complaint_id).state == "contacted"
    assert [s.to_state for s in win.desk.complaints.steps(view.complaint_id)] == [
        "received", "contacted"]
    _take_step(qtbot, dialog, "", "补偿 200 积分，客人接受", "resolved")

"""在店贵宾: the strip of guests in the lounge now, the card's in-lounge chip, the
confirmation after check-in, and results that tell people of one name apart."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from tests.ui.test_main_window import ime_commit
from vipdesk.desk import Desk
from vipdesk.models import Member
from vipdesk.ui.history_forms import CheckInDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.points_forms import CheckOutDialog

WANG = "13800138000"  # 王小明 (M0000001), a black-card member of the demo


def card_name(win: MainWindow) -> str:
    return win.card.name.text() if win.pages.currentWidget() is win.card else ""


def open_member(qtbot: Any, win: MainWindow, query: str) -> str:
    hit = win.desk.members.search(query).hits[0]
    win.scan(query)
    qtbot.waitUntil(lambda: card_name(win) == hit.name, timeout=5000)
    return hit.name


def in_dialog(qtbot: Any, dialog: Any) -> None:
    """Wait until the keyboard is in the dialog (keys typed now go there)."""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None
                    and QApplication.focusWidget().window() is dialog, timeout=3000)


def check_in_by_keyboard(qtbot: Any, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: win.card.check_in_button.isVisible(), timeout=5000)
    win.card.check_in_button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, CheckInDialog)
    in_dialog(qtbot, dialog)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)


def test_check_in_says_so_shows_the_chip_and_the_strip(qtbot: Any, win: MainWindow) -> None:
    name = open_member(qtbot, win, WANG)
    assert not win.card.in_lounge.isVisible()
    check_in_by_keyboard(qtbot, win)
    qtbot.waitUntil(lambda: win.card.in_lounge.isVisible(), timeout=5000)
    assert win.card.in_lounge.text() == "在店 · 15:20 起"  # 07:20 UTC in Shanghai
    assert "已登记到店" in win.status_message.text() and "15:20" in win.status_message.text()
    qtbot.waitUntil(lambda: any(g.name == name for g in win.lounge_strip.guests), timeout=5000)
    assert "在店贵宾" in win.lounge_strip.title.text()
    member_id = win.desk.members.search(WANG).hits[0].member_id
    chip = win.lounge_strip.chip_for(member_id)
    assert chip is not None and chip[0].text() == f"{name} · 15:20"


def test_clicking_a_name_in_the_strip_opens_the_card(qtbot: Any, win: MainWindow) -> None:
    member_id = win.desk.members.search(WANG).hits[0].member_id
    win.desk.visits.check_in(member_id, None, None)  # e.g. at the other desk of this lounge
    win.lounge.timer.timeout.emit()  # the strip's timer comes round
    qtbot.waitUntil(lambda: win.lounge_strip.chip_for(member_id) is not None, timeout=5000)
    open_member(qtbot, win, "880000000002")  # someone else is on screen
    chip = win.lounge_strip.chip_for(member_id)
    assert chip is not None
    chip[0].click()
    qtbot.waitUntil(lambda: card_name(win) == "王小明", timeout=5000)
    qtbot.waitUntil(lambda: win.card.in_lounge.isVisible(), timeout=5000)


def test_check_out_from_the_strip_asks_then_takes_the_guest_off(qtbot: Any,
                                                               win: MainWindow) -> None:
    member_id = win.desk.members.search(WANG).hits[0].member_id
    win.desk.visits.check_in(member_id, None, None)
    win.lounge.refresh()
    qtbot.waitUntil(lambda: win.lounge_strip.chip_for(member_id) is not None, timeout=5000)
    win.lounge_strip.chip_for(member_id)[1].click()  # type: ignore[index]
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), CheckOutDialog),
                    timeout=5000)
    in_dialog(qtbot, QApplication.activeModalWidget())
    assert card_name(win) == "王小明"  # the guest being checked out is on screen
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # confirm
    qtbot.waitUntil(lambda: win.lounge_strip.chip_for(member_id) is None, timeout=5000)
    assert not win.desk.visits.is_checked_in(member_id)
    qtbot.waitUntil(lambda: not win.card.in_lounge.isVisible(), timeout=5000)


def test_the_lock_empties_the_strip(qtbot: Any, win: MainWindow) -> None:
    member_id = win.desk.members.search(WANG).hits[0].member_id
    win.desk.visits.check_in(member_id, None, None)
    win.lounge.refresh()
    qtbot.waitUntil(lambda: win.lounge_strip.guests != [], timeout=5000)
    win.gate.lock()
    assert win.lounge_strip.guests == []
    win.lounge.timer.timeout.emit()
    qtbot.wait(300)
    assert win.lounge_strip.guests == []  # nobody signed in: nobody's names


def _namesakes(desk: Desk) -> str:
    """A Chinese name that three or more demo members share."""
    from sqlalchemy import func

    with desk.factory() as s:
        return str(s.scalars(select(Member.name_zh).where(Member.name_zh.is_not(None))
                             .group_by(Member.name_zh)
                             .having(func.count() >= 3).limit(1)).one())


def test_results_tell_namesakes_apart(qtbot: Any, win: MainWindow) -> None:
    name = _namesakes(win.desk)
    hits = [h for h in win.desk.members.search(name).hits if h.name == name]
    win.desk.visits.check_in(hits[0].member_id, None, None)
    win.search.setFocus()
    ime_commit(win.search, name)  # Chinese comes from the input method
    qtbot.waitUntil(lambda: bool(win.results_model.facts), timeout=5000)
    lines = {h.member_id: win.results_model.line(h) for h in win.results_model.hits}
    assert "● 在店" in lines[hits[0].member_id]
    for hit in hits[1:]:
        assert "在店" not in lines[hit.member_id].splitlines()[0]
    for hit in hits:
        third = lines[hit.member_id].splitlines()[2]
        assert "上次到店" in third or "尚未到店" in third
    assert len({lines[h.member_id] for h in hits}) == len(hits)


def test_the_listed_hit_says_in_the_lounge_once_checked_in(qtbot: Any,
                                                          win: MainWindow) -> None:
    """The list beside the card follows the check-in made from the card (it kept the
    last visit of before, and no 在店, until the next search)."""
    open_member(qtbot, win, WANG)
    hit = win.results_model.hits[0]
    qtbot.waitUntil(lambda: hit.member_id in win.results_model.facts, timeout=5000)
    assert "在店" not in win.results_model.line(hit).splitlines()[0]
    check_in_by_keyboard(qtbot, win)
    qtbot.waitUntil(lambda: "● 在店" in win.results_model.line(hit), timeout=5000)
    assert "上次到店 2026-11-25" in win.results_model.line(hit)  # today, store time


def test_the_strip_and_the_chip_follow_the_language(qtbot: Any, win: MainWindow) -> None:
    member_id = win.desk.members.search(WANG).hits[0].member_id
    win.desk.visits.check_in(member_id, None, None)
    win.lounge.refresh()
    open_member(qtbot, win, WANG)
    qtbot.waitUntil(lambda: win.card.in_lounge.text() == "在店 · 15:20 起", timeout=5000)
    qtbot.waitUntil(lambda: win.lounge_strip.chip_for(member_id) is not None, timeout=5000)
    win.toggle_language()
    qtbot.waitUntil(lambda: win.lounge_strip.title.text() == "In the lounge (1)", timeout=2000)
    chip = win.lounge_strip.chip_for(member_id)
    assert chip is not None and chip[1].text() == "Check out"
    assert win.card.in_lounge.text() == "In the lounge · since 15:20"
    win.toggle_language()
    qtbot.waitUntil(lambda: "在店贵宾" in win.lounge_strip.title.text(), timeout=2000)
    assert win.card.in_lounge.text() == "在店 · 15:20 起"

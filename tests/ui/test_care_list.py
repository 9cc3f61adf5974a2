"""The care list page: today's work first and the most valuable members on top, filters
by due date, kind, advisor and tier with counts that follow, overdue marked in the due
column only, and "log contact" closing a task through the care service (by its key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from sqlalchemy import select

from vipdesk.desk import Desk
from vipdesk.models import CareContact
from vipdesk.ui.care_list import OVERDUE_RED, CareListPage, ItemRole
from vipdesk.ui.main_window import MainWindow

NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai


def show_care(qtbot: Any, win: MainWindow) -> CareListPage:
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, Qt.Key.Key_F3)
    page = win.manager.care
    qtbot.waitUntil(lambda: page.isVisible() and page.loaded is not None)
    assert page.model.rowCount() > 0, "the demo day should have care tasks"
    return page


def test_model_and_filter(qtbot: Any, qtmodeltester: Any, win: MainWindow) -> None:
    page = show_care(qtbot, win)
    qtmodeltester.check(page.model)
    everything = page.model.rowCount()
    kinds = {i.kind for i in page.model.items}
    assert kinds <= {page.kinds.itemData(n) for n in range(1, page.kinds.count())}
    page.kinds.setCurrentIndex(page.kinds.findData(min(kinds)))
    chosen = page.kinds.currentData()
    today = page.model.chosen
    assert page.model.rowCount() == sum(1 for i in page.model.all_items
                                        if i.kind == chosen and today.matches(i))
    assert {i.kind for i in page.model.items} == {chosen}
    qtmodeltester.check(page.model)
    page.kinds.setCurrentIndex(0)
    assert page.model.rowCount() == everything


def test_opens_on_today_with_the_most_valuable_members_first(qtbot: Any, win: MainWindow,
                                                             mgr_desk: Desk) -> None:
    page = show_care(qtbot, win)
    assert page.due.currentData() == "today"
    shown = page.model.items
    assert {i.status for i in shown} <= {"overdue", "due", "done"}
    assert len(shown) < len(page.model.all_items) or not any(
        i.status == "upcoming" for i in page.model.all_items)
    open_items = [i for i in shown if i.status != "done"]
    value = [(mgr_desk.tiers.rank(i.tier_code), i.spend_12m_cents) for i in open_items]
    assert value == sorted(value, reverse=True)
    assert value[0][0] == max(rank for rank, _ in value) > 0
    assert page.model.index(0, 3).data() == mgr_desk.tiers.get(open_items[0].tier_code).name_zh


def test_filters_by_advisor_tier_and_due_and_the_counts_follow(qtbot: Any,
                                                               win: MainWindow) -> None:
    page = show_care(qtbot, win)
    qtbot.waitUntil(lambda: page.advisors.count() > 2)
    everyone = page.summary.text()
    advisor = page.model.items[0].advisor_id  # the top guest's advisor
    page.advisors.setFocus()
    while page.advisors.currentData() != advisor:
        qtbot.keyClick(page.advisors, Qt.Key.Key_Down)
    mine = page.model.items
    assert mine and all(i.advisor_id == advisor for i in mine)
    open_mine = sum(1 for i in mine if i.status != "done")
    overdue_mine = sum(1 for i in mine if i.status == "overdue")
    assert page.summary.text() != everyone
    assert page.summary.text().endswith(f"待办 {open_mine} 项，逾期 {overdue_mine} 项")
    page.tiers.setFocus()
    qtbot.keyClick(page.tiers, Qt.Key.Key_Down)  # the highest tier
    tier = page.tiers.currentData()
    assert all(i.tier_code == tier and i.advisor_id == advisor for i in page.model.items)
    page.due.setFocus()
    qtbot.keyClick(page.due, Qt.Key.Key_Down)  # overdue only
    assert page.due.currentData() == "overdue"
    assert all(i.status == "overdue" for i in page.model.items)


def test_overdue_is_marked_in_the_due_column_not_the_whole_row(qtbot: Any, win: MainWindow,
                                                               mgr_desk: Desk) -> None:
    page = show_care(qtbot, win)
    due_today = {i.task_key for i in page.model.items if i.status == "due"}
    assert due_today
    mgr_desk.clock.advance(days=1)  # type: ignore[attr-defined]
    page.loaded = None
    page.load()
    qtbot.waitUntil(lambda: page.loaded is not None)
    overdue = [i for i in page.model.items if i.task_key in due_today]
    assert overdue and all(i.status == "overdue" and i.days_overdue == 1 for i in overdue)
    row = page.model.items.index(overdue[0])
    assert page.model.index(row, 0).data() == "逾期 1 天"
    assert page.model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole).color() == QColor(
        OVERDUE_RED)
    for column in range(page.model.columnCount()):
        assert page.model.index(row, column).data(Qt.ItemDataRole.BackgroundRole) is None
    assert page.model.index(row, 2).data(Qt.ItemDataRole.ForegroundRole) is None


def test_log_contact_closes_the_task(qtbot: Any, win: MainWindow, mgr_desk: Desk) -> None:
    page = show_care(qtbot, win)
    row = next(n for n, i in enumerate(page.model.items) if i.status != "done")
    page.view.selectRow(row)
    item = page.view.currentIndex().data(ItemRole)
    open_before = len(page.loaded.open_items)  # type: ignore[union-attr]
    page.log_selected()
    dialog = page.log_dialog
    dialog.channel.setCurrentIndex(dialog.channel.findData("wechat"))
    dialog.outcome.setPlainText("已微信致以问候，客人致谢")
    dialog.accept()
    qtbot.waitUntil(lambda: any(i.task_key == item.task_key and i.status == "done"
                                for i in page.model.all_items))
    assert len(page.loaded.open_items) == open_before - 1  # type: ignore[union-attr]
    done_row = next(n for n, i in enumerate(page.model.items) if i.task_key == item.task_key)
    assert page.model.index(done_row, 0).data() == "已完成"
    assert page.model.index(done_row, 1).data(Qt.ItemDataRole.FontRole).strikeOut()
    with mgr_desk.factory() as s:
        contact = s.scalar(select(CareContact).where(CareContact.task_key == item.task_key))
    assert contact is not None
    assert (contact.channel, contact.outcome) == ("wechat", "已微信致以问候，客人致谢")
    assert win.status_message.text().startswith("已登记")


def test_instructions_to_staff_follow_the_desks_language(qtbot: Any, win: MainWindow) -> None:
    """The demo's overdue first contact of a complaint reads "请在30分钟内联系…" at a
    Chinese desk; switched to English (Ctrl+L) the list says "Call … within 30 minutes",
    while a birthday greeting stays in the guest's language."""
    page = show_care(qtbot, win)

    def contact_message() -> str:
        return next((i.message for i in page.model.all_items
                     if i.kind == "complaint_contact"), "")

    assert contact_message().startswith("请在30分钟内联系")
    greetings = {i.task_key: i.message for i in page.model.all_items if i.kind == "birthday"}
    assert any("您好" in g for g in greetings.values())  # Chinese guests greeted in Chinese
    qtbot.keyClick(win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: contact_message().startswith("Call "), timeout=10000)
    assert "within 30 minutes" in contact_message()
    assert {i.task_key: i.message for i in page.model.all_items
            if i.kind == "birthday"} == greetings

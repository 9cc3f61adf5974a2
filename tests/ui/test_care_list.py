"""The care list page: today's tasks from the service, overdue in red, filtering by kind,
and "log contact" closing a task through the care service (by its task key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from sqlalchemy import select

from vipdesk.models import CareContact
from vipdesk.services.desk import Desk
from vipdesk.ui.care_list import OVERDUE, CareListPage, ItemRole
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
    page.kinds.setCurrentIndex(1)  # the first kind after "all tasks"
    chosen = page.kinds.currentData()
    assert chosen in kinds
    assert page.model.rowCount() == sum(1 for i in page.model.all_items if i.kind == chosen)
    assert {i.kind for i in page.model.items} == {chosen}
    qtmodeltester.check(page.model)
    page.kinds.setCurrentIndex(0)
    assert page.model.rowCount() == everything


def test_overdue_tasks_carry_over_in_red(qtbot: Any, win: MainWindow,
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
    brush = page.model.index(row, 2).data(Qt.ItemDataRole.BackgroundRole)
    assert brush.color() == QColor(OVERDUE[0])
    assert page.model.index(row, 0).data().startswith("逾期")


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

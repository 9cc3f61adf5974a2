"""The queue board page: the model, adding a guest from the member card, the keys (N, S,
Enter, Ctrl++) and the amber/red rows. Each test writes to its own copy of the demo
lounge as the manager S001, with the clock fixed in the afternoon of the demo's day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from vipdesk.desk import Desk
from vipdesk.models import Member
from vipdesk.services.queue import Level
from vipdesk.ui import theme
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.queue_board import LARGE_PIXELS
from vipdesk.ui.queue_model import LEVEL_COLOURS, RowRole

NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai


def members(desk: Desk, n: int) -> list[Any]:
    with desk.factory() as s:
        return list(s.scalars(select(Member.id).where(Member.erased_at.is_(None))
                              .order_by(Member.member_no).limit(n)))


def show_board(qtbot: Any, win: MainWindow, rows: int) -> Any:
    win.activateWindow()  # a dialog may have had the focus
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, Qt.Key.Key_F2)
    board = win.manager.board
    qtbot.waitUntil(lambda: board.isVisible() and board.model.rowCount() == rows)
    return board


def test_model_passes_the_model_tester(qtbot: Any, qtmodeltester: Any, win: MainWindow,
                                       mgr_desk: Desk) -> None:
    for member_id in members(mgr_desk, 3):
        mgr_desk.queue.add(member_id, "pickup", appointment=False)
    board = show_board(qtbot, win, 3)
    qtmodeltester.check(board.model)
    assert board.model.headerData(1, Qt.Orientation.Horizontal) == "贵宾"


def test_add_to_queue_from_the_member_card(qtbot: Any, win: MainWindow,
                                           mgr_desk: Desk) -> None:
    first, member_id = members(mgr_desk, 2)
    mgr_desk.queue.add(first, "pickup", appointment=False)  # one guest already waits
    win.open_member_id(member_id)
    qtbot.waitUntil(lambda: win.card.profile is not None)
    assert win.card.profile is not None
    name = win.card.profile.name
    assert win.manager.add_button.text() == "加入排队"
    qtbot.mouseClick(win.manager.add_button, Qt.MouseButton.LeftButton)
    dialog = win.manager.add_dialog
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("fitting_room"))
    dialog.appointment.setChecked(True)
    dialog.accept()
    qtbot.waitUntil(lambda: win.status_message.text().startswith(f"已加入排队：{name}，第"))
    board = show_board(qtbot, win, 2)
    row = next(r for r in board.model.rows if r.member_id == member_id)
    assert win.status_message.text() == f"已加入排队：{name}，第 {row.position} 位。"
    assert row.position in (1, 2)
    assert (row.member_id, row.purpose, row.state) == (member_id, "fitting_room", "waiting")
    assert row.appointment_at is not None
    assert "试衣间" in board.model.index(board.model.rows.index(row), 3).data()


def test_adding_twice_says_why(qtbot: Any, win: MainWindow, mgr_desk: Desk) -> None:
    member_id = members(mgr_desk, 1)[0]
    mgr_desk.queue.add(member_id, "pickup", appointment=False)
    win.manager.add_to_queue(member_id, "王小明", "repair", False)
    qtbot.waitUntil(lambda: "已在排队看板上" in win.status_message.text())  # the desk speaks zh


def test_call_next_and_served_by_keys(qtbot: Any, win: MainWindow, mgr_desk: Desk) -> None:
    first, second = members(mgr_desk, 2)
    mgr_desk.queue.add(first, "advisor", appointment=False)
    mgr_desk.clock.advance(minutes=1)  # type: ignore[attr-defined]
    mgr_desk.queue.add(second, "advisor", appointment=False)
    board = show_board(qtbot, win, 2)
    top = board.model.rows[0]
    board.view.setFocus()
    qtbot.keyClick(board.view, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: any(r.state == "called" for r in board.model.rows))
    called = next(r for r in board.model.rows if r.state == "called")
    assert called.entry_id == top.entry_id
    assert win.status_message.text() == f"已叫号：{top.name}。"  # whom to fetch
    board.view.selectRow(board.model.rows.index(called))
    qtbot.keyClick(board.view, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: [r.entry_id for r in board.model.rows]
                    == [r.entry_id for r in board.model.rows if r.entry_id != top.entry_id]
                    and board.model.rowCount() == 1)
    qtbot.keyClick(board.view, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: board.model.rowCount() == 0)
    assert win.status_message.text().endswith("已离开队列。")


def test_rows_turn_amber_then_red(qtbot: Any, win: MainWindow, mgr_desk: Desk) -> None:
    mgr_desk.queue.add(members(mgr_desk, 1)[0], "pickup", appointment=False)
    board = show_board(qtbot, win, 1)
    index = board.model.index(0, 1)
    assert index.data(Qt.ItemDataRole.BackgroundRole) is None
    target = board.model.rows[0].target_minutes
    mgr_desk.clock.advance(minutes=target)  # type: ignore[attr-defined]
    board.refresh()
    qtbot.waitUntil(lambda: board.model.rows[0].level is Level.AMBER)
    amber = board.model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole).color()
    assert amber == QColor(LEVEL_COLOURS[Level.AMBER][0])
    mgr_desk.clock.advance(minutes=target / 2)  # type: ignore[attr-defined]
    board.refresh()
    qtbot.waitUntil(lambda: board.model.rows[0].level is Level.RED)
    red = board.model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole).color()
    assert red == QColor(LEVEL_COLOURS[Level.RED][0])
    assert "0 位等候" not in board.summary.text() and "1 位超时" in board.summary.text()


def test_enter_opens_the_card_and_large_type(qtbot: Any, win: MainWindow,
                                             mgr_desk: Desk) -> None:
    member_id = members(mgr_desk, 1)[0]
    mgr_desk.queue.add(member_id, "pickup", appointment=False)
    board = show_board(qtbot, win, 1)
    normal = board.view.fontInfo().pixelSize()
    qtbot.keyClick(board.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert board.large and board.view.fontInfo().pixelSize() == LARGE_PIXELS > normal
    assert board.view.horizontalHeader().fontInfo().pixelSize() == LARGE_PIXELS
    qtbot.keyClick(board.view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert not board.large and board.view.fontInfo().pixelSize() == normal
    assert board.view.currentIndex().data(RowRole).member_id == member_id
    qtbot.keyClick(board.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_id == member_id)
    assert win.modes.mode == "desk" and win.card.isVisible() and not board.isVisible()


def test_locking_leaves_nothing_of_the_board(qtbot: Any, win: MainWindow,
                                             mgr_desk: Desk) -> None:
    mgr_desk.queue.add(members(mgr_desk, 1)[0], "pickup", appointment=False)
    board = show_board(qtbot, win, 1)
    win.gate.lock()
    assert win.modes.mode == "desk" and board.model.rowCount() == 0
    assert not board.timer.isActive()


def test_a_selected_red_row_stays_red(qtbot: Any, win: MainWindow, mgr_desk: Desk) -> None:
    mgr_desk.queue.add(members(mgr_desk, 1)[0], "pickup", appointment=False)
    board = show_board(qtbot, win, 1)
    mgr_desk.clock.advance(minutes=2 * board.model.rows[0].target_minutes)  # type: ignore[attr-defined]
    board.refresh()
    qtbot.waitUntil(lambda: board.model.rows[0].level is Level.RED)
    board.view.selectRow(0)
    assert board.view.selectionModel().isRowSelected(0)
    rect = board.view.visualRect(board.model.index(0, 1))
    image = board.view.viewport().grab().toImage()
    # Right of the guest's name, half-way down the row: the row's fill, not the text.
    inside = image.pixelColor(rect.right() - 6, rect.center().y())
    assert inside == QColor(LEVEL_COLOURS[Level.RED][0])


def test_assign_after_call_next_suggests_the_guests_own_advisor(
        qtbot: Any, win: MainWindow, mgr_desk: Desk) -> None:
    member_id = members(mgr_desk, 1)[0]
    with mgr_desk.factory() as s:
        own = s.get_one(Member, member_id).advisor_id
    assert own is not None
    mgr_desk.queue.add(member_id, "advisor", appointment=False)
    board = show_board(qtbot, win, 1)
    board.view.setFocus()
    qtbot.keyClick(board.view, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: board.model.rows[0].state == "called")
    assert board.model.rows[0].advisor_id == own
    qtbot.keyClick(board.view, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: getattr(board, "advisor_dialog", None) is not None)
    advisors = board.advisor_dialog.advisors
    assert advisors.currentData() == own and advisors.currentIndex() == 0
    assert "忙" not in advisors.currentText()
    board.advisor_dialog.reject()


def test_large_type_shows_honorifics_only(qtbot: Any, win: MainWindow, mgr_desk: Desk) -> None:
    member_id = members(mgr_desk, 1)[0]  # 王小明, M0000001, Black Card
    mgr_desk.queue.add(member_id, "pickup", appointment=False)
    board = show_board(qtbot, win, 1)
    assert board.model.index(0, 1).data().startswith("王小明")
    board.view.setFocus()
    qtbot.keyClick(board.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    guest = board.model.index(0, 1).data()
    assert guest == "王先生"
    assert board.view.isColumnHidden(2) and board.model.index(0, 2).data() == ""
    texts = [board.model.index(0, c).data() for c in range(board.model.columnCount())]
    assert not any("M0000001" in text or "小明" in text for text in texts)
    qtbot.keyClick(board.view, Qt.Key.Key_P)  # the manager may show names on purpose
    assert board.model.index(0, 1).data().startswith("王小明  M0000001")
    assert not board.view.isColumnHidden(2)
    qtbot.keyClick(board.view, Qt.Key.Key_P)
    qtbot.keyClick(board.view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert board.model.index(0, 1).data().startswith("王小明")


def test_calling_on_the_lounge_screen_names_the_guest_by_honorific_only(
        qtbot: Any, win: MainWindow, mgr_desk: Desk) -> None:
    member_id = members(mgr_desk, 1)[0]  # 王小明
    mgr_desk.queue.add(member_id, "pickup", appointment=False)
    board = show_board(qtbot, win, 1)
    board.view.setFocus()
    qtbot.keyClick(board.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(board.view, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: win.status_message.text() == "已叫号：王先生。")
    assert "小明" not in win.status_message.text()


def test_normal_type_is_the_desks_own_again(qtbot: Any, win: MainWindow,
                                            mgr_desk: Desk) -> None:
    """Under the desk's style sheet (which sizes every widget), large type and back gives
    the sheet's size again, not a size of the board's own."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    sheet, font = app.styleSheet(), app.font()
    try:
        theme.apply(app, screen_height=1080)  # a scaled sheet: 14 px × 1.4
        mgr_desk.queue.add(members(mgr_desk, 1)[0], "pickup", appointment=False)
        board = show_board(qtbot, win, 1)
        themed = board.view.fontInfo().pixelSize()
        assert themed == round(14 * theme.scale_for(1080))
        board.set_large(True)
        assert board.view.fontInfo().pixelSize() == LARGE_PIXELS
        board.set_large(False)
        assert board.view.fontInfo().pixelSize() == themed
    finally:
        app.setStyleSheet(sheet)
        app.setFont(font)

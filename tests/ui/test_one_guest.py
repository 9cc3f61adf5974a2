"""One guest on screen: a card belongs to the search that opened it; the next scan or
search replaces it, never adds to it; keys typed in a dialog stay in the dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget

from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.points_forms import PointsDialog

FIRST, SECOND = "880000000001", "880000000002"  # the demo's first two cards


def card_name(win: MainWindow) -> str:
    return win.card.name.text() if win.pages.currentWidget() is win.card else ""


def name_of(win: MainWindow, code: str) -> str:
    return win.desk.members.search(code).hits[0].name


def scan_into_focus(qtbot: Any, code: str) -> None:
    """What a scanner sends: the digits in one burst, then Enter."""
    qtbot.keyClicks(QApplication.focusWidget(), code)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def open_by_typing(qtbot: Any, win: MainWindow, query: str, name: str) -> None:
    win.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search, timeout=2000)
    for ch in query:  # a person: slower than a scanner
        qtbot.keyClick(win.search, ch)
        qtbot.wait(60)
    qtbot.waitUntil(lambda: not win.search_seq_pending() and not win.debounce.isActive(),
                    timeout=5000)
    qtbot.keyClick(win.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card_name(win) == name, timeout=5000)


def test_after_a_card_opens_the_query_is_selected_for_the_next_scan(qtbot: Any,
                                                                    win: MainWindow) -> None:
    first, second = name_of(win, FIRST), name_of(win, SECOND)
    open_by_typing(qtbot, win, "13800138000", first)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search, timeout=2000)
    assert win.search.selectedText() == "13800138000"
    scan_into_focus(qtbot, SECOND)
    qtbot.waitUntil(lambda: card_name(win) == second, timeout=5000)
    assert win.search.text() == SECOND


def test_a_scan_into_a_box_that_still_holds_text_replaces_it(qtbot: Any,
                                                             win: MainWindow) -> None:
    second = name_of(win, SECOND)
    win.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search, timeout=2000)
    for ch in "8000":
        qtbot.keyClick(win.search, ch)
        qtbot.wait(60)
    qtbot.keyClick(win.search, Qt.Key.Key_End)  # the cursor after the old query
    scan_into_focus(qtbot, SECOND)  # the box would read 8000880000000002
    qtbot.waitUntil(lambda: card_name(win) == second, timeout=5000)
    assert win.search.text() == SECOND


def test_a_new_query_takes_the_old_card_down_at_once(qtbot: Any, win: MainWindow) -> None:
    first = name_of(win, FIRST)
    open_by_typing(qtbot, win, "13800138000", first)
    qtbot.keyClicks(QApplication.focusWidget(), "zh")
    assert win.pages.currentWidget() is win.placeholder  # before any result is back
    assert win.card.profile is None and win.current is None
    qtbot.waitUntil(lambda: len(win.results_model.hits) > 0, timeout=5000)
    assert win.pages.currentWidget() is win.placeholder
    assert win.search.text() == "zh"


def test_not_found_is_said_in_the_main_area(qtbot: Any, win: MainWindow) -> None:
    open_by_typing(qtbot, win, "13800138000", name_of(win, FIRST))
    scan_into_focus(qtbot, "8000880000000002")
    qtbot.waitUntil(lambda: "未找到" in win.placeholder.text(), timeout=5000)
    assert win.pages.currentWidget() is win.placeholder
    assert win.placeholder.isVisible() and win.placeholder.notice
    assert "8000880000000002" in win.placeholder.text()


def test_too_long_and_type_more_are_said_in_the_main_area(qtbot: Any,
                                                          win: MainWindow) -> None:
    win.search.setFocus()
    qtbot.keyClicks(win.search, "1" * 201)
    qtbot.waitUntil(lambda: "过长" in win.placeholder.text(), timeout=5000)
    win.search.selectAll()
    qtbot.keyClicks(win.search, "z")
    qtbot.waitUntil(lambda: "继续输入" in win.placeholder.text(), timeout=5000)


def test_keys_typed_in_a_dialog_stay_out_of_the_search(qtbot: Any, win: MainWindow) -> None:
    open_by_typing(qtbot, win, "13800138000", name_of(win, FIRST))
    dialog = win.points_forms.open(PointsDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is dialog, timeout=2000)
    dialog.ok.setFocus()  # a button, not a text field: the scanner used to take these
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.ok, timeout=2000)
    for ch in "1388":
        qtbot.keyClick(QApplication.focusWidget(), ch)
        qtbot.wait(70)
    qtbot.wait(400)  # longer than the scanner's settle time
    assert win.search.text() == "13800138000"
    assert card_name(win) == name_of(win, FIRST)
    dialog.reject()


def test_keys_in_another_window_stay_there(qtbot: Any, win: MainWindow) -> None:
    other = QWidget()
    qtbot.addWidget(other)
    button, field = QPushButton("ok", other), QLineEdit(other)
    QVBoxLayout(other).addWidget(button)
    other.layout().addWidget(field)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is other, timeout=2000)
    button.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is button, timeout=2000)
    scan_into_focus(qtbot, FIRST)
    for ch in "wxm":
        qtbot.keyClick(button, ch)
        qtbot.wait(70)
    qtbot.wait(400)
    assert win.search.text() == "" and win.current is None


def test_a_person_typing_digits_then_enter_is_a_search_not_a_scan(qtbot: Any,
                                                                  win: MainWindow) -> None:
    win.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search, timeout=2000)
    with qtbot.assertNotEmitted(win.in_box.sig_scanned):
        for ch in "138 0013 8000":
            qtbot.keyClick(win.search, ch)
            qtbot.wait(60)
        qtbot.keyClick(win.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card_name(win) == name_of(win, FIRST), timeout=5000)
    assert win.search.text() == "138 0013 8000"

"""What a person at the desk does: type, scan, arrow, Enter — and sees the member card."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget

from vipdesk.ui.main_window import MainWindow


def card_name(window: MainWindow) -> str:
    return window.card.name.text() if window.pages.currentWidget() is window.card else ""


def test_typing_a_phone_then_enter_opens_the_card(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.search.setFocus()
    qtbot.keyClicks(window.search, "138 0013 8000")
    qtbot.waitUntil(lambda: len(window.results_model.hits) == 1, timeout=5000)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card_name(window) == "王小明", timeout=5000)
    assert "黑卡会员" in window.card.tier.text()
    alerts = [window.card.alerts.itemAt(i).widget().text()
              for i in range(window.card.alerts.count()) if window.card.alerts.itemAt(i).widget()]
    assert any("未结投诉" in a for a in alerts)
    assert any("生日" in a for a in alerts)


def test_last_four_then_arrow_down_and_enter(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.search.setFocus()
    qtbot.keyClicks(window.search, "8000")
    qtbot.waitUntil(lambda: len(window.results_model.hits) >= 1, timeout=5000)
    hits = window.results_model.hits
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    assert window.results.hasFocus()
    if len(hits) > 1:
        qtbot.keyClick(window.results, Qt.Key.Key_Down)
    expected = hits[window.results.currentIndex().row()]
    qtbot.keyClick(window.results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card_name(window) == expected.name, timeout=5000)


def test_scanner_burst_anywhere_opens_the_member(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.results.setFocus()  # not the search box
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.results, timeout=2000)
    for ch in "880000000001":
        qtbot.keyClick(window.results, ch)
    qtbot.keyClick(window.results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card_name(window) == "王小明", timeout=5000)
    assert window.search.text() == "880000000001"


def test_slow_typing_elsewhere_goes_to_the_search_box(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.results.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.results, timeout=2000)
    qtbot.keyClick(window.results, "w")
    qtbot.wait(80)
    qtbot.keyClick(window.results, "x")
    qtbot.waitUntil(lambda: window.search.hasFocus(), timeout=2000)
    qtbot.keyClicks(window.search, "m")
    qtbot.waitUntil(lambda: any(h.name == "王小明" for h in window.results_model.hits),
                    timeout=5000)
    assert window.search.text() == "wxm"


def ime_commit(widget: QWidget, text: str) -> None:
    """Chinese arrives from the input method as a committed string, not as key presses."""
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def test_chinese_name_from_the_input_method(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.search.setFocus()
    ime_commit(window.search, "小明")
    qtbot.waitUntil(lambda: any(h.name == "王小明" for h in window.results_model.hits),
                    timeout=5000)


def test_garbage_shows_a_clear_message(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.search.setFocus()
    ime_commit(window.search, "龘龘龘不存在")
    qtbot.waitUntil(lambda: "未找到" in window.status_message.text(), timeout=5000)
    assert window.results_model.hits == []


def test_switching_language_retranslates(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.scan("13800138000")
    qtbot.waitUntil(lambda: card_name(window) == "王小明", timeout=5000)
    window.toggle_language()
    qtbot.waitUntil(lambda: "Black Card" in window.card.tier.text(), timeout=2000)
    assert "Mr Wang" in window.card.honorific.text()
    window.toggle_language()
    qtbot.waitUntil(lambda: "黑卡会员" in window.card.tier.text(), timeout=2000)


def test_results_model_passes_qt_model_checks(qtmodeltester, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(window.results_model)
    qtmodeltester.check(window.card.timeline)

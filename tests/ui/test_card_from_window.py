"""The member card's print button opens the welcome-card preview for that member."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from vipdesk.ui.main_window import MainWindow


def test_print_button_opens_the_card_preview(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from vipdesk.ui.printing import CardDialog

    window.scan("13800138000")
    qtbot.waitUntil(lambda: window.card.name.text() == "王小明", timeout=5000)
    window.card.print_button.click()
    qtbot.waitUntil(lambda: any(isinstance(w, CardDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=5000)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CardDialog))
    qtbot.waitUntil(lambda: dialog.card is not None, timeout=10000)
    assert dialog.member_id == window.current
    assert any("王" in line.text for line in dialog.card.lines)
    dialog.close()

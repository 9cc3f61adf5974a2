"""A VIP registered at one desk from a search that found nobody, and a preference added
to the file, both with the keyboard, are on the other desk after its next pull."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.sync.helpers import wait_for_watermark
from tests.sync.test_live_window import _lounge
from tests.ui.test_member_forms import NEW_PHONE, _edit_dialog, _open_card, _search, _type
from vipdesk.desk import Desk
from vipdesk.sync.central import Centre
from vipdesk.sync.engine import sync_once
from vipdesk.ui import i18n
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops
from vipdesk.ui.register_member_form import RegisterDialog

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")  # the window's workers


def _register(qtbot: Any, window: MainWindow, name: str) -> None:
    _search(qtbot, window, NEW_PHONE)
    qtbot.waitUntil(window.placeholder.register_button.isVisible, timeout=5000)
    qtbot.keyClick(window.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = window.member_forms.dialog
    assert isinstance(dialog, RegisterDialog)
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.name_zh, timeout=2000)
    _type(dialog.name_zh, name)
    dialog.consent.setFocus()
    qtbot.keyClick(dialog.consent, Qt.Key.Key_Space)
    qtbot.keyClick(dialog.consent, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.card.profile is not None
                    and window.card.profile.name == name, timeout=5000)


def _add_preference(qtbot: Any, window: MainWindow, line: str) -> None:
    """The next time the guest comes: found by phone, Ctrl+E, a line added, Ctrl+Enter."""
    window.activateWindow()  # the registration dialog had the keyboard until it closed
    qtbot.waitActive(window)
    _open_card(qtbot, window, NEW_PHONE)
    dialog = _edit_dialog(qtbot, window)
    box = dialog.preferences
    box.setFocus()
    box.moveCursor(box.textCursor().MoveOperation.End)
    if box.toPlainText():
        qtbot.keyClick(box, Qt.Key.Key_Return)
    _type(box, line)
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)


def test_registered_at_one_desk_found_with_the_preference_at_the_other(
        qtbot: Any, centre: Centre, make_desk: Any) -> None:
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    actor = _lounge(a)
    ops = Ops()
    window = MainWindow(Desk(a, actor=actor), ops, i18n.install("zh"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    _register(qtbot, window, "欧阳娜娜")
    _add_preference(qtbot, window, "尺码：42")
    qtbot.waitUntil(lambda: "尺码: 42" in window.card.preferences.text(), timeout=5000)
    ops.shutdown()

    assert sync_once(a, centre, "SH01").pending == 0
    wait_for_watermark(centre)
    sync_once(b, centre, "SH01")
    other = Desk(b, actor=actor)
    hits = other.members.search(NEW_PHONE).hits
    assert [h.name for h in hits] == ["欧阳娜娜"]
    card = other.members.open_card(hits[0].member_id)
    assert card is not None and ("size", "42") in card.profile.preferences  # 尺码, coded
    i18n.install("en")

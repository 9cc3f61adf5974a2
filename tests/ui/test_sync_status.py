"""The status bar says, in the desk's language, whether the desk is in step with the centre."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vipdesk.sync.runner import SyncStatus
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.sync_status import sync_text


def test_standalone_offline_online_wording(window: MainWindow) -> None:
    assert "单机模式" in sync_text(None)
    offline = SyncStatus(online=False, pending=3, last_error="central database unreachable")
    assert sync_text(offline).startswith("离线")
    assert "3 条待上传" in sync_text(offline)
    assert "同步失败" in sync_text(offline) and "unreachable" not in sync_text(offline)
    online = SyncStatus(online=True, pending=0,
                        last_success=datetime(2026, 11, 25, 2, 5, tzinfo=UTC))
    assert sync_text(online) == "在线  ·  0 条待上传  ·  上次同步 10:05"


def test_window_shows_the_runner_status(qtbot: Any, window: MainWindow) -> None:
    window.show_sync_status(SyncStatus(online=False, pending=7, last_error="no route"))
    assert "7 条待上传" in window.sync_label.text()
    assert "同步失败" in window.sync_label.toolTip()  # the English details go to the log
    assert "no route" not in window.sync_label.toolTip()
    window.toggle_language()  # Ctrl+L: the line and its details follow
    qtbot.waitUntil(lambda: "7 pending" in window.sync_label.text())
    assert "no route" in window.sync_label.toolTip()

"""The desk window opens maximised the first time, then as it was left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtWidgets import QApplication, QMainWindow

from vipdesk.ui.window_state import SETTINGS_GEOMETRY, normal_size, remember_main_window


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat)


def _open(qtbot: Any, settings: QSettings) -> QMainWindow:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    remember_main_window(app, settings)
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(1360, 860)
    window.show()
    return window


def test_first_start_is_maximised_and_fits_when_restored(qtbot: Any, tmp_path: Path) -> None:
    window = _open(qtbot, _settings(tmp_path))
    assert window.windowState() & Qt.WindowState.WindowMaximized
    screen = window.screen().availableSize()
    assert window.normalGeometry().height() <= screen.height()  # un-maximised, it fits


def test_the_window_opens_as_it_was_closed(qtbot: Any, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    window = _open(qtbot, settings)
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(700, 500)
    window.close()
    assert settings.value(SETTINGS_GEOMETRY)
    again = _open(qtbot, settings)
    assert not again.windowState() & Qt.WindowState.WindowMaximized
    assert again.size() == QSize(700, 500)


def test_normal_size_never_exceeds_the_screen() -> None:
    assert normal_size(QSize(1366, 738)) == QSize(1360, 708)
    assert normal_size(QSize(1920, 1040)) == QSize(1360, 860)

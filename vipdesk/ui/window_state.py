"""The desk window opens as it was left: maximised the first time (a store PC's screen
is 1366 × 768 or 1280 × 720, and the desk is the only thing on it), then at the size,
place and maximised state it had when it was last closed. Kept in the desk's QSettings,
beside the remembered card printer.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

SETTINGS_GEOMETRY = "window/geometry"
TITLE_BAR = 30  # what a window manager's frame takes above the window, about
LARGEST_NORMAL = QSize(1360, 860)  # un-maximised, the desk needs no more than this


def desk_settings() -> QSettings:
    return QSettings("vipdesk", "desk")


def normal_size(available: QSize) -> QSize:
    """Un-maximised size on a screen with this much room: never larger than the screen."""
    return LARGEST_NORMAL.boundedTo(QSize(available.width(), available.height() - TITLE_BAR))


class WindowMemory(QObject):
    """Restores the window's geometry before it first shows; saves it when it closes."""

    def __init__(self, window: QWidget, settings: QSettings) -> None:
        super().__init__(window)
        self.window, self.settings = window, settings
        window.installEventFilter(self)

    def restore(self) -> None:
        saved = self.settings.value(SETTINGS_GEOMETRY)
        if isinstance(saved, QByteArray) and not saved.isEmpty() and \
                self.window.restoreGeometry(saved):
            return
        screen = self.window.screen()
        if screen is not None:  # what un-maximising gives: a window that still fits
            self.window.resize(normal_size(screen.availableSize()))
        self.window.setWindowState(self.window.windowState() | Qt.WindowState.WindowMaximized)

    def save(self) -> None:
        self.settings.setValue(SETTINGS_GEOMETRY, self.window.saveGeometry())
        self.settings.sync()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.save()
        return False


class _FirstMainWindow(QObject):
    """Waits for the first main window to show and hands it a `WindowMemory`."""

    def __init__(self, app: QApplication, settings: QSettings) -> None:
        super().__init__(app)
        self.app, self.settings = app, settings
        self.memory: WindowMemory | None = None
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QMainWindow) and \
                self.memory is None:
            # The show event comes before the window is mapped: the state set here is
            # the one the window appears in.
            self.app.removeEventFilter(self)
            self.memory = WindowMemory(watched, self.settings)
            self.memory.restore()
        return False


def remember_main_window(app: QApplication, settings: QSettings | None = None) -> QObject:
    """The next main window shown opens as the last one was left (maximised at first)."""
    return _FirstMainWindow(app, settings or desk_settings())

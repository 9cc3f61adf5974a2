"""Desktop notifications (the system tray's balloon) for what must not wait: overdue
complaint clocks and the emergency alert. Silent where the desktop has no tray."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QStyle, QSystemTrayIcon, QWidget


class Notifier:
    def __init__(self, parent: QWidget) -> None:
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            icon = parent.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self.tray = QSystemTrayIcon(QIcon(icon), parent)
            self.tray.show()
        self.sent: list[tuple[str, str]] = []  # what was said, for the status bar and tests

    def notify(self, title: str, message: str) -> None:
        self.sent.append((title, message))
        if self.tray is not None:
            self.tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, 10_000)

"""Catching a USB barcode scanner anywhere in the window.

A scanner is a keyboard that types a whole code in a burst (a few ms per key) and then
Enter. Installed on the application, this filter watches key presses that do not go to
a text field: a fast burst ending in Enter becomes `sig_scanned(code)`; anything slower
is handed over as `sig_typed(text)` (type anywhere to search).

It only listens while the desk window itself has the keyboard: keys typed in a dialog,
a message box or another window belong there, never to the search behind it.

`BurstInBox` does the same for the search box itself: a scan into a box that still
holds the last query must replace it, not be appended to it.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

MAX_GAP_S = 0.05  # scanners type faster than 50 ms per key; people rarely do
MIN_LENGTH = 4
SETTLE_MS = 250  # a burst with no Enter after this long was a person typing
TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QComboBox)
_BLOCKING_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


class ScanDetector(QObject):
    sig_scanned = Signal(str)
    sig_typed = Signal(str)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window  # the only window whose keys may become a search
        self.buffer: list[str] = []
        self.last = 0.0
        self.bursty = True
        self.settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self.settle.timeout.connect(self._flush_as_typing)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        focus = QApplication.focusWidget()
        if isinstance(focus, TEXT_INPUTS) or not self._window_has_keyboard(focus):
            return False
        if isinstance(focus, QAbstractButton) and event.key() == Qt.Key.Key_Space:
            return False  # Space presses the focused button, as everywhere else
        # The filter sees a key once per object on its way (window, then widgets):
        # act only where it is delivered.
        if watched is not (focus or QApplication.activeWindow()):
            return False
        return self._key(event)

    def _window_has_keyboard(self, focus: QWidget | None) -> bool:
        """No dialog, message box or other window is in front and the keys go to a
        widget of the desk window (or to the window itself)."""
        if QApplication.activeModalWidget() is not None or QApplication.activePopupWidget():
            return False
        if QApplication.activeWindow() is not self.window:
            return False
        return focus is None or focus.window() is self.window

    def _key(self, event: QKeyEvent) -> bool:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return self._enter()
        text = event.text()
        if not text or not text.isprintable() or event.modifiers() & _BLOCKING_MODIFIERS:
            return False
        now = time.monotonic()
        if not self.buffer:
            self.bursty = True
        elif now - self.last > MAX_GAP_S:
            self.bursty = False
        self.buffer.append(text)
        self.last = now
        if self.bursty:
            self.settle.start()
        else:
            self._flush_as_typing()  # a person: hand the text to the search box now
        return True

    def _enter(self) -> bool:
        if not self.buffer:
            return False
        self.settle.stop()
        code = "".join(self.buffer)
        self.buffer.clear()
        if self.bursty and len(code) >= MIN_LENGTH:
            self.sig_scanned.emit(code)
        else:
            self.sig_typed.emit(code)
        return True

    def _flush_as_typing(self) -> None:
        if self.buffer:
            text = "".join(self.buffer)
            self.buffer.clear()
            self.sig_typed.emit(text)


class BurstInBox(QObject):
    """Watches one search box for a scanner burst typed into it: printable keys less
    than `MAX_GAP_S` apart, at least `MIN_LENGTH` of them, then Enter. That Enter is
    taken here and the burst alone is handed over as `sig_scanned(code)`, whatever
    else the box held before it (the last guest's query)."""

    sig_scanned = Signal(str)

    def __init__(self, box: QLineEdit) -> None:
        super().__init__(box)
        self.burst: list[str] = []
        self.last = 0.0
        box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return self._enter()
        text = event.text()
        if not text or not text.isprintable() or event.modifiers() & _BLOCKING_MODIFIERS:
            self.burst.clear()  # an arrow, a deletion, a shortcut: not a scanner
            return False
        now = time.monotonic()
        if now - self.last > MAX_GAP_S:
            self.burst.clear()  # a pause: whatever came before was typed by a person
        self.burst.append(text)
        self.last = now
        return False

    def _enter(self) -> bool:
        code = "".join(self.burst)
        self.burst.clear()
        if len(code) < MIN_LENGTH or time.monotonic() - self.last > MAX_GAP_S * 4:
            return False  # a person pressing Enter: the box's own search runs
        self.sig_scanned.emit(code)
        return True

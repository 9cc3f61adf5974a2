"""The sign-in / lock screen and the idle watcher that brings it up (SPEC §10).

`SignInScreen` only collects a staff number and a PIN/password and emits
`sig_signin_requested(staff_no, secret)`; the window runs `vipdesk.services.staff.sign_in`
off the UI thread (through `ui/ops.py`) and answers with `show_error` or by switching
to the desk. The same screen is the lock screen: `show_locked` keeps the person's staff
number filled in, and anyone may type theirs instead — signing in while locked is how
people switch at a shared desk. The cursor waits in the staff-number field with that
number selected: a colleague's first key replaces it, and the one who locked presses
Enter (or Tab) to reach the PIN. A cursor waiting in the PIN field instead took the next
person's staff number as the last person's PIN — five such switches locked them out.
The secret field is emptied as soon as it is handed on.

`IdleWatcher` sits on the application as an event filter: any key, click, wheel or touch
restarts its timer; when it runs out it emits `sig_idle` (lock the desk). Zero minutes
(Config.idle_lock_minutes = 0) disables it.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

MAX_STAFF_NO = 32
MAX_SECRET = 128
ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                      QEvent.Type.Wheel, QEvent.Type.TouchBegin})


W = TypeVar("W", bound=QWidget)


def _named(widget: W, name: str) -> W:
    widget.setObjectName(name)  # QSS and tests find widgets by these names
    return widget


class SignInScreen(QWidget):
    sig_signin_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInScreen")
        self.title = _named(QLabel(), "signinTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.staff_no = _named(QLineEdit(), "staffNo")
        self.staff_no.setMaxLength(MAX_STAFF_NO)
        self.locked_name: str | None = None  # who was signed in when the desk locked
        self.secret = _named(QLineEdit(), "secret")
        self.secret.setMaxLength(MAX_SECRET)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.button = _named(QPushButton(), "signinButton")
        self.button.setDefault(True)
        self.error = _named(QLabel(), "signinError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e")
        self._layout()
        self.staff_no.returnPressed.connect(self.secret.setFocus)
        self.secret.returnPressed.connect(self.submit)
        self.button.clicked.connect(self.submit)
        self.show_signin()

    def _layout(self) -> None:
        # A small card in the middle of the desk, like a hotel key-card reader.
        card = _named(QFrame(), "signinCard")
        # 440 at the 768-high type; wider with the larger type of a taller screen.
        card.setFixedWidth(max(440, 24 * self.fontMetrics().height()))
        self.title.setWordWrap(True)  # the lock message is longer than the card is wide
        self.staff_label, self.secret_label = QLabel(), QLabel()  # words: retranslate()
        form = self.form = QFormLayout()
        form.addRow(self.staff_label, self.staff_no)
        form.addRow(self.secret_label, self.secret)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(14)
        brand = _named(QLabel("vipdesk"), "brand")
        brand.setAlignment(Qt.AlignmentFlag.AlignCenter)
        inner.addWidget(brand)
        inner.addWidget(self.title)
        inner.addLayout(form)
        inner.addWidget(self.button)
        inner.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addLayout(row)
        box.addStretch(2)

    # -- what the window calls ---------------------------------------------------------

    def show_signin(self) -> None:
        self.locked_name = None
        self.retranslate()
        self._reset("")

    def show_locked(self, staff_no: str, name: str) -> None:
        """The desk locked on someone: their number stays, anyone may type theirs."""
        self.locked_name = name
        self.retranslate()
        self._reset(staff_no)
        self.staff_no.setFocus()
        self.staff_no.selectAll()  # whoever types a staff number replaces the old one

    def retranslate(self) -> None:
        """Every word on the screen, in the language now installed (Ctrl+L works here)."""
        self.title.setText(self._title_text())
        self.staff_label.setText(self.tr("Staff number"))
        self.secret_label.setText(self.tr("PIN or password"))
        self.staff_no.setPlaceholderText(self.tr("Staff number"))
        self.secret.setPlaceholderText(self.tr("PIN or password"))
        self.button.setText(self.tr("Sign in"))

    def _title_text(self) -> str:
        if self.locked_name is None:
            return self.tr("Sign in to the desk")
        return self.tr("Locked — %1 was signed in. Press Enter and type your PIN to "
                       "continue, or type your own staff number to switch person."
                       ).replace("%1", self.locked_name)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.error.setText(message)
        self.secret.setFocus()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.staff_no, self.secret, self.button):
            widget.setEnabled(not busy)

    # -- input -------------------------------------------------------------------------

    def submit(self) -> None:
        staff_no, secret = self.staff_no.text().strip(), self.secret.text()
        if not staff_no or not secret:
            self.error.setText(self.tr("Enter your staff number and PIN or password."))
            (self.secret if staff_no else self.staff_no).setFocus()
            return
        self.secret.clear()  # the screen does not keep a secret longer than needed
        self.error.clear()
        self.set_busy(True)
        self.sig_signin_requested.emit(staff_no, secret)

    def _reset(self, staff_no: str) -> None:
        self.set_busy(False)
        self.staff_no.setText(staff_no)
        self.secret.clear()
        self.error.clear()
        (self.secret if staff_no else self.staff_no).setFocus()


class IdleWatcher(QObject):
    """Emits `sig_idle` after `minutes` without keyboard, mouse or touch input."""

    sig_idle = Signal()

    def __init__(self, minutes: int, parent: QObject | None = None,
                 interval_ms: int | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.sig_idle)
        self.set_minutes(minutes, interval_ms)

    def set_minutes(self, minutes: int, interval_ms: int | None = None) -> None:
        self.enabled = minutes > 0 or bool(interval_ms)
        self.timer.setInterval(interval_ms if interval_ms else max(minutes, 0) * 60_000)
        self.restart()

    def install(self, app: QApplication) -> None:
        app.installEventFilter(self)

    def restart(self) -> None:
        if self.enabled:
            self.timer.start()
        else:
            self.timer.stop()

    def pause(self) -> None:
        """While the lock screen shows, there is nothing to time."""
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False

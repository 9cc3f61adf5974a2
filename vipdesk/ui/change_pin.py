"""修改PIN: the signed-in person changes their own PIN/password (SPEC §10).

The form checks as people type with the service's own `secret_problem` (translated) and
keeps OK disabled until the current PIN is filled in, the new one is acceptable and
different, and the repeat matches. Saving runs `staff.change_own_secret` off the UI
thread; it verifies the current PIN exactly as sign-in does and counts a wrong one under
the same lock-out. A wrong current PIN is said in the dialog, which stays open; a
lock-out closes it and locks the desk, with the reason on the lock screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from vipdesk.desk import Desk
from vipdesk.services import staff
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.validation import FieldError
from vipdesk.ui.forms import FormDialog
from vipdesk.ui.i18n import t
from vipdesk.ui.messages import sign_in_text
from vipdesk.ui.ops import Ops


def say_secret_problem(problem: str) -> str:
    """`staff.secret_problem`'s words in the desk's language (unknown ones as written)."""
    if problem == f"PIN: at least {staff.MIN_PIN} digits":
        return t("PIN: at least %1 digits").replace("%1", str(staff.MIN_PIN))
    if problem.startswith("PIN: too easy to guess"):
        return t("PIN: too easy to guess (one digit repeated or a simple run)")
    if problem.startswith(f"password: at least {staff.MIN_PASSWORD} characters"):
        return (t("Password: at least %1 characters (or a PIN of %2+ digits)")
                .replace("%1", str(staff.MIN_PASSWORD)).replace("%2", str(staff.MIN_PIN)))
    if problem.startswith("password: no control characters"):
        return t("Password: no control characters or leading/trailing spaces")
    if problem == f"secret: at most {staff.MAX_SECRET} characters":
        return t("At most %1 characters").replace("%1", str(staff.MAX_SECRET))
    if problem == staff.SAME_SECRET:
        return t("The new PIN is the same as the current one")
    return problem


def _secret_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(staff.MAX_SECRET)
    return field


class ChangePinDialog(FormDialog):
    sig_locked_out = Signal(str)  # the account is locked: the desk should lock too

    def __init__(self, desk: Desk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk = desk
        self.setWindowTitle(t("Change PIN — %1").replace("%1", desk.actor.name))
        self.setMinimumWidth(460)
        self.current = _secret_field("currentPin")
        self.new = _secret_field("newPin")
        self.repeat = _secret_field("repeatPin")
        self.add_row("current", t("Current PIN"), self.current)
        self.add_row("new", t("New PIN"), self.new)
        self.add_row("repeat", t("Repeat new PIN"), self.repeat)
        self.revalidate()

    def draft(self) -> tuple[str, str, str]:
        return self.current.text(), self.new.text(), self.repeat.text()

    def validate(self, draft: tuple[str, str, str]) -> list[FieldError]:
        current, new, repeat = draft
        errors: list[FieldError] = [] if current else [FieldError("current", t("Required"))]
        problem = staff.secret_problem(new) if new else t("Required")
        if not problem and new == current:
            problem = staff.SAME_SECRET
        if problem:
            errors.append(FieldError("new", say_secret_problem(problem)))
        if repeat != new:
            errors.append(FieldError("repeat", t("The two new PINs do not match")))
        return errors

    def save(self, draft: tuple[str, str, str]) -> Callable[[], Any]:
        current, new, _repeat = draft
        desk = self.desk
        return lambda: desk.change_own_pin(current, new)

    def _saved(self, result: Any) -> None:
        self._forget()
        super()._saved(result)

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        if isinstance(error, staff.WrongCurrentSecret) and error.locked_until is not None:
            self._forget()
            self.sig_locked_out.emit(sign_in_text(error, self.desk.tz))
            self.reject()
            return
        if isinstance(error, staff.WrongCurrentSecret):
            self._clear(self.current)  # OK stays off until it is typed again
            self.touched.discard("current")
            self.current.setFocus()
            message = t("The current PIN is wrong. Nothing was changed.")
        elif isinstance(error, staff.StaffError):
            message = t("Not saved: %1").replace("%1", say_secret_problem(str(error)))
        elif isinstance(error, PermissionDenied):
            message = t("Not saved: %1").replace("%1", t("Sign in first."))
        else:
            message = t("Not saved: %1").replace("%1", str(error))
        self.revalidate()
        self.general.setText(message)  # after revalidate, which rewrites this line

    def _forget(self) -> None:
        """Secrets do not stay in the widgets longer than needed."""
        for field in (self.current, self.new, self.repeat):
            self._clear(field)

    def _clear(self, field: QLineEdit) -> None:
        field.blockSignals(True)  # emptied by the desk, not by the person: no "Required"
        field.clear()
        field.blockSignals(False)


def open_change_pin(window: Any) -> ChangePinDialog:
    """From the window's menu. A lock-out locks the desk the way a failed sign-in would,
    and any lock (idle, by hand) closes the dialog: nothing stays over the lock screen."""
    dialog = ChangePinDialog(window.desk, window.ops, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per opening
    gate = window.gate

    def locked_out(message: str) -> None:
        gate.lock()
        gate.screen.show_error(message)  # after lock(), which clears the screen

    dialog.sig_locked_out.connect(locked_out)
    gate.sig_locked.connect(dialog.discard)
    dialog.sig_saved.connect(lambda _r: window.status_message.setText(t("PIN changed.")))
    dialog.open()
    return dialog

"""The one form base every dialog that records something builds on.

What a person at a busy desk can rely on, in every form:
- **Enter saves** when the draft is valid; when it is not, the form says what is missing
  beside each field (required fields are marked) and puts the cursor on the first one.
  Enter never cancels: OK is always the default button, never disabled by a half-filled
  form (a disabled default hands Enter to Cancel, which silently threw typed work away).
- **Esc with typed text asks** before discarding it; an untouched form just closes.
- Focus starts in the first field; Tab leaves multi-line fields (Ctrl+Enter saves there).
- A save runs off the UI thread through `ops.mutate`; a refusal from the service is shown
  in the dialog in plain words and nothing is written (services validate first).
- After a save the form emits `sig_saved(result)` and says what happened in
  `confirmation(result)`, which the window shows in its status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from vipdesk.services.profile import MemberProfile
from vipdesk.services.validation import FieldError, FormError
from vipdesk.ui.i18n import t
from vipdesk.ui.messages import error_text, field_text
from vipdesk.ui.ops import Ops

D = TypeVar("D", bound=QDialog)
LATE_COLOR = "#b03a2e"
ERROR_STYLE = f"color:{LATE_COLOR};"
REQUIRED_MARK = " *"
CHANGE_SIGNALS = ("textChanged", "currentTextChanged", "currentIndexChanged", "dateChanged",
                  "valueChanged", "toggled")
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


FORM_MIN_WIDTH = 440  # pixels


class FormDialog(QDialog):
    """A form for one draft: validated as people type, saved off the UI thread."""

    sig_saved = Signal(object)  # what the service returned

    def __init__(self, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(True)
        # Wide enough that a hint in an empty field reads whole (forms may ask for more).
        self.setMinimumWidth(FORM_MIN_WIDTH)
        self.ops = ops
        self.saving = False
        self.dirty = False  # something was typed or chosen: Esc asks before discarding
        self.touched: set[str] = set()
        self.errors: dict[str, QLabel] = {}
        self.inputs: dict[str, QWidget] = {}
        self.form = QFormLayout()
        self.general = QLabel()
        self.general.setObjectName("formError")
        self.general.setWordWrap(True)
        self.general.setStyleSheet(ERROR_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.ok.setText(t("Save"))
        self.cancel.setText(t("Cancel"))
        self.cancel.setAutoDefault(False)  # Enter must never land on Cancel
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.ok.setDefault(True)

    def add_row(self, field: str, label: str, widget: QWidget, *,
                required: bool = False) -> None:
        error = QLabel()
        error.setObjectName(f"error_{field}")
        error.setWordWrap(True)
        error.setStyleSheet(ERROR_STYLE)
        error.hide()
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(error)
        self.form.addRow(label + REQUIRED_MARK if required else label, box)
        self.errors[field] = error
        self.inputs.setdefault(field, widget)
        if isinstance(widget, (QPlainTextEdit, QTextEdit)):
            widget.setTabChangesFocus(True)
        self._watch(field, widget)

    def _watch(self, field: str, widget: QWidget) -> None:
        def changed(*_: object) -> None:
            self.touched.add(field)
            # Only what the person typed or chose counts as work to keep (an advisor
            # list that loads after opening is not).
            focus = QApplication.focusWidget()
            if focus is not None and (focus is widget or widget.isAncestorOf(focus)):
                self.dirty = True
            self.revalidate()

        for name in CHANGE_SIGNALS:
            signal = getattr(widget, name, None)
            if signal is not None:
                signal.connect(changed)
                return

    # -- subclasses ----------------------------------------------------------------------

    def draft(self) -> Any:
        raise NotImplementedError

    def validate(self, draft: Any) -> list[FieldError]:
        raise NotImplementedError

    def save(self, draft: Any) -> Callable[[], Any]:
        """The work to run on the write worker (must not touch widgets)."""
        raise NotImplementedError

    def confirmation(self, result: Any) -> str:
        """What the status bar says after a save."""
        return t("Saved.")

    # -- keys and focus ------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        first = self.first_input()
        if first is not None:
            first.setFocus(Qt.FocusReason.TabFocusReason)

    def first_input(self) -> QWidget | None:
        return next((w for w in self.inputs.values() if w.isEnabled()
                     and w.focusPolicy() != Qt.FocusPolicy.NoFocus), None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in ENTER_KEYS and self._enter_saves(event):
            self.submit()
            return
        super().keyPressEvent(event)

    def _enter_saves(self, event: QKeyEvent) -> bool:
        """Enter saves from any field but a multi-line one (there Ctrl+Enter does) and a
        button that has focus (Space/Enter presses that button, as people expect)."""
        focus = self.focusWidget()
        if isinstance(focus, QPushButton) and focus is not self.ok:
            return False
        if isinstance(focus, (QPlainTextEdit, QTextEdit)):
            return bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        return True

    def reject(self) -> None:
        """Esc or Cancel: typed work is only thrown away when the person says so."""
        if self.saving:
            return  # the save decides; closing now would hide its answer
        if self.dirty:
            focus = self.focusWidget()
            if not self._confirm_discard():
                self.activateWindow()  # back to typing where the person left off
                if focus is not None:
                    focus.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        super().reject()

    def discard(self) -> None:
        """Close without asking: the desk locked, and nothing may stay over the lock
        screen (an idle lock means nobody has typed for minutes)."""
        self.dirty = False
        self.saving = False
        super().reject()

    def _confirm_discard(self) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, t("Discard what you typed?"),
                          t("This form has not been saved. Discard what you typed?"),
                          parent=self)
        discard = box.addButton(t("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(t("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)  # Enter or Esc here keeps the work
        box.setEscapeButton(keep)
        self.discard_box = box  # tests answer it
        box.exec()
        return box.clickedButton() is discard

    # -- validation and saving -----------------------------------------------------------

    def is_valid(self) -> bool:
        """Whether Enter would save now."""
        return not self.validate(self.draft())

    def revalidate(self) -> list[FieldError]:
        errors = self.validate(self.draft())
        self.show_errors([e for e in errors if self._field(e) in self.touched])
        self.ok.setEnabled(not self.saving)
        return errors

    def _field(self, error: FieldError) -> str:
        name = error.field.split("[")[0].split(".")[0]
        return name if name in self.errors else ""

    def show_errors(self, errors: list[FieldError]) -> None:
        texts: dict[str, list[str]] = {}
        for error in errors:
            texts.setdefault(self._field(error), []).append(field_text(error))
        for field, label in self.errors.items():
            label.setText("；".join(texts.get(field, [])))
            label.setVisible(field in texts)
        self.general.setText("；".join(field_text(e) for e in errors if not self._field(e)))

    def submit(self) -> None:
        if self.saving:
            return
        self.touched.update(self.errors)
        errors = self.revalidate()
        if errors:
            self._point_at(errors)
            return
        self.saving = True
        self.ok.setEnabled(False)
        self.general.setText(t("Saving…"))
        self.ops.mutate(self.save(self.draft()), self._saved, self._failed)

    def _point_at(self, errors: list[FieldError]) -> None:
        """Enter on an incomplete form: say so and put the cursor where work is missing."""
        fields = [f for f in self.errors if any(self._field(e) == f for e in errors)]
        if not self.general.text():
            self.general.setText(t("Not saved yet: please complete the marked fields."))
        widget = self.inputs.get(fields[0]) if fields else None
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _saved(self, result: Any) -> None:
        self.saving = False
        self.dirty = False
        self.general.setText("")
        self.sig_saved.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        if isinstance(error, FormError):
            self.show_errors(error.errors)
        else:
            self.general.setText(t("Not saved: %1").replace("%1", error_text(error)))
        self.ok.setEnabled(True)


class CardForms(QObject):
    """Opens dialogs for the member on the card; the card reloads after each save and the
    status bar confirms it. `dialog` is the last one opened (tests drive it)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.desk = window.desk
        self.ops: Ops = window.ops
        self.dialog: QDialog | None = None

    def open_for_member(self, make: Callable[[MemberProfile], D]) -> D | None:
        """The dialog `make` builds for the card's member; None with no member shown."""
        profile = self.window.card.profile
        if profile is None:
            return None
        dialog = make(profile)
        # A form says it saved; a list of steps (not a form) that a step was taken.
        if isinstance(dialog, FormDialog):
            dialog.sig_saved.connect(lambda result, d=dialog: self._confirm(d, result))
        step_taken = getattr(dialog, "sig_step_taken", None)
        if step_taken is not None:
            step_taken.connect(self.window.status_message.setText)
        self.dialog = dialog
        gate = getattr(self.window, "gate", None)
        if gate is not None:  # a lock closes the form: no guest's name over the lock screen
            gate.sig_locked.connect(getattr(dialog, "discard", dialog.reject))
        dialog.open()
        return dialog

    def _confirm(self, dialog: FormDialog, result: Any) -> None:
        self.window.status_message.setText(dialog.confirmation(result))

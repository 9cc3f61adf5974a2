"""同步拒收: the changes the sync refused, for a manager, so that none sits unseen.

Two kinds, one list: this desk's changes the centre refused (a member number another
store took while this one was offline), and the centre's changes this desk could not
apply (that other store's member, whose number is held here). The manager reads why in
plain words, can renumber a refused member, then sends the record again (重新发送: as
it is now, with its phones and cards) or closes the letter with a note (不再处理).
The service checks the role and writes the audit entries.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vipdesk.desk import Desk
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.validation import FieldError
from vipdesk.ui.forms import FormDialog
from vipdesk.ui.i18n import t
from vipdesk.ui.ops import Ops

MAX_NOTE = 500  # as the service (vipdesk.sync.dead_letters.MAX_NOTE)
MAX_MEMBER_NO = 32
MEMBER_NO = re.compile(r"[A-Za-z0-9_-]+")
TAKEN = re.compile(r"member_no: (.+) is already used by (.+)")


def _when(at: Any, tz: str) -> str:
    """In the store's time zone."""
    return at.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M") if at else "—"


def reason_text(view: Any) -> str:
    """The service's sentence (an English source) in the desk's language."""
    return t(view.reason).replace("%1", view.reason_value)


def failure_text(error: BaseException) -> str:
    if isinstance(error, PermissionDenied):
        return t("Only a manager or an administrator may handle refused changes.")
    template = getattr(error, "template", None)  # vipdesk.sync.dead_letters.DeadLetterError
    if template is not None:
        return t(template).replace("%1", getattr(error, "value", ""))
    return member_no_problem(str(error))


def member_no_problem(message: str) -> str:
    """members.change_member_no's words in the desk's language (others as written)."""
    taken = TAKEN.fullmatch(message)
    if taken:
        return t("Member number %1 is already used by %2").replace(
            "%1", taken.group(1)).replace("%2", taken.group(2))
    if message == "member_no: that is already this member's number":
        return t("That is already this member's number")
    return message


def detail_text(view: Any) -> str:
    lines = [reason_text(view), "",
             t("As recorded: %1").replace("%1", view.raw_reason),
             t("Store: %1 · record %2").replace("%1", view.store).replace(
                 "%2", str(view.record_id))]
    if view.retry_blocked:
        lines.append(t("Cannot be sent again: %1").replace("%1", t(view.retry_blocked)))
    lines += ["", t("Content:"), json.dumps(_without_empty_fields(view.payload),
                                            ensure_ascii=False, indent=2, sort_keys=True)]
    return "\n".join(lines)


def _without_empty_fields(payload: Any) -> Any:
    """A new record's empty fields say nothing: left out so what it holds is readable."""
    if isinstance(payload, dict) and isinstance(payload.get("row"), dict):
        return payload | {"row": {k: v for k, v in payload["row"].items() if v is not None}}
    return payload


class DeadLettersDialog(QDialog):
    sig_handled = Signal()  # a letter was closed: the status bar's count changed

    def __init__(self, desk: Desk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.ops = desk, ops
        self.rows: list[Any] = []
        self.form: FormDialog | None = None  # the note / member number form, when open
        self.setWindowTitle(t("Refused changes"))
        first = t("Changes the centre refused, or that this desk could not apply.")
        then = t("Fix the record if needed and send it again, or close it with a note.")
        intro = QLabel(f"{first}\n{then}")
        intro.setWordWrap(True)
        self.table = self._table()
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setObjectName("deadLetterDetail")
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([560, 420])
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.renumber = QPushButton(t("Change member number…"))
        self.retry = QPushButton(t("Send again"))
        self.dismiss = QPushButton(t("No further action…"))
        self.renumber.clicked.connect(self.ask_member_no)
        self.retry.clicked.connect(self.send_again)
        self.dismiss.clicked.connect(self.ask_note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        for button in (self.renumber, self.retry, self.dismiss):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.resize(1040, 520)
        self._select(-1)
        self.reload()

    def _table(self) -> QTableWidget:
        table = QTableWidget(0, 4)
        table.setHorizontalHeaderLabels([t("When"), t("What"), t("Member"), t("Reason")])
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(False)
        table.currentCellChanged.connect(lambda row, *_: self._select(row))
        return table

    # -- list and detail ---------------------------------------------------------------

    def reload(self) -> None:
        self.ops.query(self.desk.review.dead_letters, self._show, self._failed)

    def _show(self, rows: list[Any]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, view in enumerate(rows):
            cells = (_when(view.at, self.desk.tz), f"{t(view.what)} · {t(view.change)}",
                     view.member_label or "—", reason_text(view))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        if rows:
            self.table.selectRow(0)
        self._select(0 if rows else -1)
        if not rows:
            self.message.setText(t("Nothing refused is waiting."))

    def selected(self) -> Any | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _select(self, row: int) -> None:
        view = self.rows[row] if 0 <= row < len(self.rows) else None
        self.detail.setPlainText(detail_text(view) if view else "")
        self.retry.setEnabled(view is not None and view.can_retry)
        self.dismiss.setEnabled(view is not None)
        self.renumber.setEnabled(view is not None and _renumberable(view))
        if view is not None:
            self.message.setText(t("%n to review").replace("%n", str(len(self.rows))))

    # -- actions -----------------------------------------------------------------------

    def send_again(self) -> None:
        view = self.selected()
        if view is None:
            return
        pulled = view.pulled
        self._busy()
        self.ops.mutate(lambda: self.desk.review.retry(view.id),
                        lambda done: self._handled(done, t("Applied on this desk: %n.")
                                                   if pulled else
                                                   t("Sent again: %n (with the next sync).")),
                        self._failed)

    def ask_note(self) -> None:
        view = self.selected()
        if view is not None:
            self._open_form(NoteDialog(self.desk, self.ops, view, self),
                            lambda done: self._handled(done, t("Closed: %n.")))

    def ask_member_no(self) -> None:
        view = self.selected()
        if view is not None and view.member_id is not None:
            self._open_form(MemberNoDialog(self.desk, self.ops, view, self),
                            lambda old: self._renumbered(view.id))

    def _open_form(self, form: FormDialog, on_saved: Callable[[Any], None]) -> None:
        self.form = form
        form.sig_saved.connect(on_saved)
        form.open()

    def _renumbered(self, letter_id: uuid.UUID) -> None:
        self.message.setText(t("Member number changed. Send the record again to share it."))
        self.ops.query(self.desk.review.dead_letters,
                       lambda rows: self._show_keeping(rows, letter_id), self._failed)

    def _show_keeping(self, rows: list[Any], letter_id: uuid.UUID) -> None:
        message = self.message.text()
        self._show(rows)
        index = next((i for i, v in enumerate(rows) if v.id == letter_id), -1)
        if index >= 0:
            self.table.selectRow(index)
        self.message.setText(message)

    def _handled(self, done: Any, text: str) -> None:
        message = text.replace("%n", str(done.handled))
        if done.left_open:
            message += " " + t("%n could not go along and stay listed.").replace(
                "%n", str(done.left_open))
        self.sig_handled.emit()
        self.ops.query(self.desk.review.dead_letters, lambda rows: self._after(rows, message),
                       self._failed)

    def _after(self, rows: list[Any], message: str) -> None:
        self._show(rows)
        self.message.setText(message)

    def _busy(self) -> None:
        for button in (self.renumber, self.retry, self.dismiss):
            button.setEnabled(False)
        self.message.setText(t("Saving…"))

    def _failed(self, error: BaseException) -> None:
        self._select(self.table.currentRow())
        self.message.setText(t("Not done: %1").replace("%1", failure_text(error)))


def _renumberable(view: Any) -> bool:
    """A member of this desk's that the centre refused, and still here."""
    return view.table_name == "members" and not view.pulled and view.can_retry


class NoteDialog(FormDialog):
    """不再处理: why this refused change needs nothing more."""

    def __init__(self, desk: Desk, ops: Ops, view: Any, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.view = desk, view
        self.setWindowTitle(t("No further action"))
        self.setMinimumWidth(480)
        self.note = QLineEdit()
        self.note.setMaxLength(MAX_NOTE)
        self.note.setPlaceholderText(t("e.g. the same guest registered at both stores"))
        self.form.addRow(QLabel(f"{t(view.what)} · {view.member_label or '—'}"))
        self.add_row("note", t("Note"), self.note)
        self.revalidate()

    def draft(self) -> str:
        return self.note.text()

    def validate(self, draft: str) -> list[FieldError]:
        return [] if draft.strip() else [FieldError("note", t("Required"))]

    def save(self, draft: str) -> Callable[[], Any]:
        desk, letter_id = self.desk, self.view.id
        return lambda: desk.review.dismiss(letter_id, draft)

    def _failed(self, error: BaseException) -> None:
        super()._failed(error)
        self.general.setText(t("Not saved: %1").replace("%1", failure_text(error)))


class MemberNoDialog(FormDialog):
    """A refused member gets a number of its own (an ordinary edit, audited)."""

    def __init__(self, desk: Desk, ops: Ops, view: Any, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.view = desk, view
        self.setWindowTitle(t("Change member number — %1").replace(
            "%1", view.member_name or view.member_no or ""))
        self.setMinimumWidth(420)
        self.number = QLineEdit(view.member_no or "")
        self.number.setMaxLength(MAX_MEMBER_NO)
        self.number.selectAll()
        self.add_row("member_no", t("New member number"), self.number)
        self.revalidate()

    def draft(self) -> str:
        return self.number.text().strip()

    def validate(self, draft: str) -> list[FieldError]:
        if not draft:
            return [FieldError("member_no", t("Required"))]
        if not MEMBER_NO.fullmatch(draft):
            return [FieldError("member_no", t("Letters, digits, '-' and '_' only"))]
        if draft == self.view.member_no:
            return [FieldError("member_no", t("That is already this member's number"))]
        return []

    def save(self, draft: str) -> Callable[[], Any]:
        desk, member_id = self.desk, self.view.member_id
        return lambda: desk.members.change_member_no(member_id, draft)

    def _failed(self, error: BaseException) -> None:
        super()._failed(error)
        self.general.setText(t("Not saved: %1").replace("%1", failure_text(error)))

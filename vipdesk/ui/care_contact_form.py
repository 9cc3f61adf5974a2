"""A care contact (关怀/回访) logged from the member card, outside the daily care list.

Staff call or message members on their own initiative: kind, channel and what came of
it, validated as people type with the care service's own `validate_care` (through
`Desk`). For those who see the care list, the member's tasks still open today are
offered as "closes task", so a contact logged here also finishes the matching task (it
carries the task's key, which is what "done" means to the care list). The tasks are read
from what the last care-list build stored — the list is not rebuilt to open a form.

The card's 关怀联系… button (and Ctrl+Shift+C) is offered only when the desk confirms the
signed-in person may log a contact for this member (`care.log.own`: advisors only for
their own VIPs); the service checks again when saving.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QSizePolicy, QWidget

from vipdesk.desk import CareTaskChoice, Desk
from vipdesk.services.card_view import CardView
from vipdesk.services.care import CHANNELS, KINDS, MAX_OUTCOME, CareDraft, CareRecord
from vipdesk.services.profile import MemberProfile
from vipdesk.services.validation import FieldError
from vipdesk.ui.care_list import CHANNEL_TEXT, STATUS_TEXT, kind_text
from vipdesk.ui.forms import LATE_COLOR, FormDialog
from vipdesk.ui.i18n import t
from vipdesk.ui.member_card import CARE_CONTACT_KEYS
from vipdesk.ui.ops import Ops
from vipdesk.ui.timeline_view import CARE_NAMES

# The length check's message ("at most 500 characters (now 512)"), in the desk's language.
TOO_LONG = re.compile(r"at most (\d+) characters \(now (\d+)\)")
COUNTER_STYLE = "color:#8a8a8a;"


def worded(error: FieldError) -> FieldError:
    found = TOO_LONG.fullmatch(error.message)
    if found is None:
        return error
    return FieldError(error.field, t("At most %1 characters (now %2)")
                      .replace("%1", found[1]).replace("%2", found[2]))


def task_text(task: CareTaskChoice) -> str:
    """"生日祝福 · 11-27 · 即将到期": what the task is, when it is due, how urgent."""
    return " · ".join((kind_text(task.kind), task.due_on.strftime("%m-%d"),
                       t(STATUS_TEXT.get(task.status, task.status))))


class CareContactDialog(FormDialog):
    """Kind, channel, outcome and (optionally) the care-list task this contact closes."""

    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.member_name = profile.name
        self.tasks: dict[str, CareTaskChoice] = {}
        self.kind_from_task = ""  # the kind the chosen task filled in (replaced on change)
        self.setWindowTitle(t("Care contact — %1").replace("%1", profile.name))
        self.setMinimumWidth(520)
        self.kind = self._choices({k: CARE_NAMES[k] for k in KINDS})
        self.channel = self._choices({c: CHANNEL_TEXT[c] for c in CHANNELS})
        self.outcome = QPlainTextEdit()
        self.outcome.setPlaceholderText(t("What came of it (optional)"))
        self.outcome.setFixedHeight(100)
        self.counter = QLabel()
        self.counter.setObjectName("outcomeCounter")
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.counter.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.task = QComboBox()
        self.task.addItem(t("— none —"), "")
        self.add_row("kind", t("Kind of contact"), self.kind)
        self.add_row("channel", t("Channel"), self.channel)
        self.add_row("outcome", t("Outcome"), self.outcome)
        self.form.addRow("", self.counter)
        self.add_row("task_key", t("Closes task"), self.task)
        self.task_row = self.form.rowCount() - 1
        self.form.setRowVisible(self.task_row, False)  # until the member has open tasks
        self.task.currentIndexChanged.connect(self._task_chosen)
        self.outcome.textChanged.connect(self._count)
        self._count()
        self.revalidate()
        self._load_tasks()

    @staticmethod
    def _choices(names: dict[str, str]) -> QComboBox:
        box = QComboBox()
        box.addItem(t("— choose —"), "")
        for code, name in names.items():
            box.addItem(t(name), code)
        return box

    def _load_tasks(self) -> None:
        if not self.desk.can("care.view"):
            return  # the care list is not theirs to see (lounge staff)
        desk, member_id = self.desk, self.member_id
        self.ops.query(lambda: desk.care.open_tasks(member_id), self.show_tasks,
                       lambda _e: None)  # no offer is better than a blocked form

    def show_tasks(self, tasks: list[CareTaskChoice]) -> None:
        self.tasks = {task.task_key: task for task in tasks}
        for task in tasks:
            self.task.addItem(task_text(task), task.task_key)
        self.form.setRowVisible(self.task_row, bool(tasks))
        self.revalidate()  # showing the row showed its (empty) error label too
        self.adjustSize()

    def _task_chosen(self, _index: int) -> None:
        task = self.tasks.get(self.task.currentData() or "")
        if task is None:
            return
        # Fill in the kind unless staff chose one themselves.
        if (self.kind.currentData() or "") in ("", self.kind_from_task):
            self.kind_from_task = task.contact_kind
            self.kind.setCurrentIndex(max(self.kind.findData(task.contact_kind), 0))

    def _count(self) -> None:
        length = len(self.outcome.toPlainText())
        self.counter.setText(f"{length} / {MAX_OUTCOME}")
        self.counter.setStyleSheet(f"color:{LATE_COLOR};" if length > MAX_OUTCOME
                                   else COUNTER_STYLE)

    def draft(self) -> CareDraft:
        return CareDraft(self.kind.currentData() or None, self.channel.currentData() or None,
                         self.outcome.toPlainText(), self.task.currentData() or None)

    def validate(self, draft: CareDraft) -> list[FieldError]:
        return self.desk.care.validate(draft)

    def show_errors(self, errors: list[FieldError]) -> None:
        super().show_errors([worded(e) for e in errors])

    def save(self, draft: CareDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.care.log(member_id, draft)


class CareContactForms(QObject):
    """Opens the form from the card's button or Ctrl+Shift+C, only for whoever may log a
    contact for the member on screen; the card reloads after a save."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.desk: Desk = window.desk
        self.ops: Ops = window.ops
        self.dialog: CareContactDialog | None = None
        self.allowed_for: uuid.UUID | None = None  # the member the button is offered for
        card = window.card
        card.sig_care_contact_requested.connect(self.open)
        window.sig_card_shown.connect(self.show_permission)
        self.shortcut = QShortcut(QKeySequence(CARE_CONTACT_KEYS), window)
        self.shortcut.activated.connect(self.open)

    def show_permission(self, view: CardView) -> None:
        self.allowed_for = view.profile.member_id if view.may_log_care else None
        self.window.card.set_care_allowed(view.may_log_care)

    def open(self) -> CareContactDialog | None:
        card = self.window.card
        profile = card.profile
        if profile is None or self.window.gate.locked or not card.isVisible():
            return None  # no member on screen (locked, another page): nothing to log for
        if self.allowed_for != profile.member_id:
            self.window.status_message.setText(
                t("You may not log care contacts for this member."))
            return None
        dialog = CareContactDialog(self.desk, self.ops, profile, self.window)
        dialog.sig_saved.connect(lambda record: self._saved(dialog, record))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _saved(self, dialog: CareContactDialog, record: CareRecord) -> None:
        name = t(CARE_NAMES.get(record.kind, record.kind))
        self.window.status_message.setText(
            t("Logged: %1").replace("%1", f"{name} · {dialog.member_name}"))

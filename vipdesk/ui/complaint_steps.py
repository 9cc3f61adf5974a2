"""A member's open complaints with their live clocks, the steps taken so far (what, when in
store time, who, the note) and the next steps as buttons (received → contacted →
resolved → followed up → closed; SPEC §5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QTextCharFormat, QTextCursor, QTextOption
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vipdesk.desk import Desk
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.complaints import ComplaintStep, ComplaintView, NextStep, StepDraft
from vipdesk.services.profile import MemberProfile
from vipdesk.services.validation import FieldError, FormError
from vipdesk.ui.forms import ERROR_STYLE, LATE_COLOR
from vipdesk.ui.i18n import addressed, t
from vipdesk.ui.messages import error_text, field_text
from vipdesk.ui.names import CATEGORY_NAMES, SEVERITY_NAMES, STATE_NAMES
from vipdesk.ui.ops import Ops


def _errors_text(errors: list[FieldError]) -> str:
    return "；".join(field_text(e) for e in errors)


def duration(seconds: int) -> str:
    """mm:ss while it is a matter of minutes; hours and minutes in words past the hour
    (a bare 17:10:33 reads as a time of day); days when long past."""
    if seconds < 3600:
        return f"{seconds // 60:02d}:{seconds % 60:02d}"
    if seconds < 48 * 3600:
        return t("%1 h %2 min").replace("%1", str(seconds // 3600)).replace(
            "%2", str(seconds % 3600 // 60))
    return t("%n days").replace("%n", str(seconds // 86400))


def clock_text(view: ComplaintView, now: datetime, tz: str) -> tuple[str, bool]:
    """The complaint's live clock in words, and whether it is overdue; a date in the
    store's time (`tz`), as everywhere on the desk, not the PC's own time zone."""
    if view.contact_due is not None:
        left = int((view.contact_due - now).total_seconds())
        key = "Contact due in %1" if left >= 0 else "Contact overdue by %1"
        return t(key).replace("%1", duration(abs(left))), left < 0
    if view.follow_up_due is not None:
        due = view.follow_up_due.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
        return t("Follow up by %1").replace("%1", due), view.follow_up_due < now
    return "", False


HISTORY_LINES = 7  # the steps taken: what is longer scrolls there, the dialog keeps its size


def step_lines(view: ComplaintView, steps: list[ComplaintStep], tz: str
               ) -> list[tuple[str, str]]:
    """Each step taken, newest first as on the card's history: (what, when in store time,
    who and any compensation; the note). The receipt's text is the complaint as it was
    taken down."""
    zone, lines = ZoneInfo(tz), []
    for step in reversed(steps):
        head = [t(STATE_NAMES.get(step.to_state, step.to_state)),
                step.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), step.by_name or "—"]
        if step.compensation_points:
            head.append(t("Compensated %n points").replace("%n", str(step.compensation_points)))
        if step.compensation_item:
            head.append(t("Compensated: %1").replace("%1", step.compensation_item))
        text = step.note or (view.description if step.to_state == "received" else "")
        lines.append(("  ·  ".join(head), text))
    return lines or [("", view.description)]


def history_box() -> QPlainTextEdit:
    """Read-only and plain: a note is shown as typed (`<b>` stays two brackets and a b),
    wrapped anywhere (a 2,000-character note without a space too), and scrolls."""
    box = QPlainTextEdit()
    box.setObjectName("complaintHistory")
    box.setReadOnly(True)
    box.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    box.setAccessibleName(t("Steps taken"))
    box.ensurePolished()  # the style sheet's font, before measuring lines
    margins = 2 * (box.frameWidth() + int(box.document().documentMargin()))
    box.setFixedHeight(box.fontMetrics().lineSpacing() * HISTORY_LINES + margins)
    return box


class ComplaintsDialog(QDialog):
    """The member's open complaints with their clocks, the steps taken on the chosen one
    (what, when, who, the note) and the next steps as buttons."""

    sig_changed = Signal()
    sig_step_taken = Signal(str)  # the confirmation the status bar shows

    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.ops, self.member_id = desk, ops, profile.member_id
        self.who = addressed(profile)
        self.views: list[ComplaintView] = []
        self.steps_taken: dict[uuid.UUID, list[ComplaintStep]] = {}
        self.forward_step: str | None = None  # what Enter takes
        self.saving = False  # a second Enter while a step is written takes no second step
        self.setWindowTitle(t("Open complaints — %1").replace("%1", profile.name))
        self.setMinimumWidth(640)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._selected)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.history = history_box()
        self.note = QLineEdit()
        self.points = QSpinBox()
        self.points.setRange(0, 100_000)
        self.points.setSpecialValueText("—")  # 0: no points
        self.item = QLineEdit()
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.steps = QHBoxLayout()
        self._layout()
        self.ticker = QTimer(self, interval=1000)
        self.ticker.timeout.connect(self._redraw_clocks)
        self.ticker.start()
        self.reload()

    def _layout(self) -> None:
        self.form = form = QFormLayout()
        form.addRow(t("Note"), self.note)
        form.addRow(t("Compensation points"), self.points)
        form.addRow(t("Gift or voucher"), self.item)
        compensates = self.desk.can("complaint.compensate")  # only a manager's fields
        form.setRowVisible(self.points, compensates)
        form.setRowVisible(self.item, compensates)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.history)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(self.steps)

    def reload(self) -> None:
        member_id, complaints = self.member_id, self.desk.complaints

        def load() -> tuple[list[ComplaintView], dict[uuid.UUID, list[ComplaintStep]]]:
            views = complaints.list_open(member_id)
            return views, complaints.steps_of([v.complaint_id for v in views])

        self.ops.query(load, self._loaded)

    def _loaded(self, loaded: tuple[list[ComplaintView],
                                    dict[uuid.UUID, list[ComplaintStep]]]) -> None:
        views, self.steps_taken = loaded
        self._show(views)

    def _show(self, views: list[ComplaintView]) -> None:
        row = max(self.list.currentRow(), 0)
        self.views = views
        self.list.clear()
        for _ in views:
            self.list.addItem(QListWidgetItem())
        self._redraw_clocks()
        if views:
            self.list.setCurrentRow(min(row, len(views) - 1))
        else:
            self._selected(-1)

    def _redraw_clocks(self) -> None:
        now = self.desk.clock.now()
        for i, view in enumerate(self.views):
            item = self.list.item(i)
            clock, late = clock_text(view, now, self.desk.tz)
            item.setText("  ·  ".join(x for x in (
                t(CATEGORY_NAMES.get(view.category, view.category)),
                t(SEVERITY_NAMES.get(view.severity, view.severity)),
                t(STATE_NAMES.get(view.state, view.state)), clock) if x))
            item.setForeground(QColor(LATE_COLOR) if late else self.palette().text().color())

    def current(self) -> ComplaintView | None:
        row = self.list.currentRow()
        return self.views[row] if 0 <= row < len(self.views) else None

    def _selected(self, _row: int) -> None:
        while self.steps.count():
            taken = self.steps.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.hide()  # gone now, not only once the event loop deletes it
                widget.deleteLater()
        view = self.current()
        self.detail.setText("" if view else t("No open complaints."))
        self.detail.setVisible(view is None)
        self._show_history(view)
        offered = self.desk.complaints.next_steps(view) if view else []
        allowed = [s.to_state for s in offered if s.allowed]
        self.forward_step = allowed[0] if allowed else None
        self.form.setRowVisible(self.note, any(s.allowed for s in offered))  # a step's note
        if view is None:
            return
        buttons = [self._step_button(state) for state in allowed]
        for button in buttons:
            self.steps.addWidget(button)
        self._managers_steps([s for s in offered if not s.allowed])
        self.steps.addStretch(1)
        if buttons:
            # The workflow's forward step first: a note, then Enter takes it.
            buttons[0].setDefault(True)
            self.note.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_history(self, view: ComplaintView | None) -> None:
        """The steps taken on the chosen complaint, each a bold line (what, when, who)
        over its note; the latest on top, so a long note never hides who took it."""
        self.history.clear()
        self.history.setVisible(view is not None)
        if view is None:
            return
        lines = step_lines(view, self.steps_taken.get(view.complaint_id, []), self.desk.tz)
        bold, plain = QTextCharFormat(), QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        cursor = QTextCursor(self.history.document())
        parts = [(text, form) for head, note in lines
                 for text, form in ((head, bold), (note, plain)) if text]
        for i, (text, form) in enumerate(parts):
            if i:
                cursor.insertBlock()
            cursor.insertText(text, form)  # as typed: never read as markup
        self.history.moveCursor(QTextCursor.MoveOperation.Start)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # QDialog's own Enter clicks the default button only once the layout has shown
        # it, a turn of the event loop after a reload rebuilt it: a note typed fast and
        # Enter would do nothing. The forward step is known without the button.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.forward_step:
            event.accept()
            self.advance(self.forward_step)
            return
        super().keyPressEvent(event)

    def _step_button(self, state: str) -> QPushButton:
        button = QPushButton("→ " + t(STATE_NAMES[state]))
        button.setObjectName(f"step_{state}")
        button.clicked.connect(lambda _=False, s=state: self.advance(s))
        return button

    def _managers_steps(self, steps: list[NextStep]) -> None:
        """Steps the workflow has but this person may not take: named, not offered."""
        if not steps:
            return
        names = " / ".join(t(STATE_NAMES[s.to_state]) for s in steps)
        hint = QLabel(t("→ %1: a manager's step").replace("%1", names))
        hint.setObjectName("managerHint")
        self.steps.addWidget(hint)

    def step_draft(self, to_state: str) -> StepDraft:
        return StepDraft(to_state, self.note.text(), self.points.value() or None,
                         self.item.text())

    def advance(self, to_state: str) -> None:
        view = self.current()
        if view is None or self.saving:
            return
        draft = self.step_draft(to_state)
        errors = self.desk.complaints.validate_step(draft, view.state, view.severity)
        if errors:
            self.error.setText(_errors_text(errors))
            return
        self.error.setText(t("Saving…"))
        self.saving = True
        complaint_id = view.complaint_id
        self.ops.mutate(lambda: self.desk.complaints.advance(complaint_id, draft),
                        self._advanced, self._failed)

    def _advanced(self, view: ComplaintView) -> None:
        self.saving = False
        self.error.setText("")
        self.note.clear()
        self.points.setValue(0)
        self.item.clear()
        self.sig_changed.emit()
        # The status bar still said "contact within 30 minutes" once the contact was made.
        self.sig_step_taken.emit(t("Complaint of %1: %2.").replace("%1", self.who).replace(
            "%2", t(STATE_NAMES.get(view.state, view.state))))
        self.reload()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        if isinstance(error, FormError):
            self.error.setText(_errors_text(error.errors))
        elif isinstance(error, PermissionDenied):
            self.error.setText(t("This step is for a manager."))
        else:
            self.error.setText(t("Not saved: %1").replace("%1", error_text(error)))

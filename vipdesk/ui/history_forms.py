"""Recording service history from the member card: check-in, complaints, home visits.

Each form validates as people type with the same `validate_*` function the service runs
before writing (through `Desk`), shows the problems under the fields and keeps OK
disabled while anything is wrong. Saving runs through `ops.mutate`; a refusal from the
service (FormError, PermissionDenied, …) is shown in the dialog in plain words and
nothing is written (the services validate before their one transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from PySide6.QtCore import QDate, QObject, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
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

from vipdesk.services.complaints import (
    CATEGORIES,
    SEVERITIES,
    TRANSITIONS,
    ComplaintDraft,
    ComplaintView,
    EmergencyAlert,
    StepDraft,
)
from vipdesk.services.desk import Desk
from vipdesk.services.homevisits import FollowUpDraft, HomeVisitDraft
from vipdesk.services.profile import MemberProfile
from vipdesk.services.surveys import SCALE
from vipdesk.services.validation import FieldError, FormError
from vipdesk.services.visits import VisitDraft
from vipdesk.ui.i18n import t
from vipdesk.ui.notify import Notifier
from vipdesk.ui.ops import Ops

D = TypeVar("D", bound=QDialog)
OVERDUE_REFRESH_MS = 30_000
LATE_COLOR = "#b03a2e"
ERROR_STYLE = f"color:{LATE_COLOR};"
PURPOSES = ("New arrivals", "Collect an order", "Repair or care", "Fitting", "Salon event",
            "Enquiry", "Gift shopping")
CATEGORY_NAMES = {"service_attitude": "Service attitude", "wait_time": "Waiting time",
                  "product_quality": "Product quality", "delivery": "Delivery",
                  "after_sales": "After-sales", "billing": "Billing",
                  "environment": "Environment", "privacy": "Privacy", "other": "Other"}
SEVERITY_NAMES = {"minor": "Minor", "severe": "Severe"}
STATE_NAMES = {"received": "Received", "contacted": "Contacted", "resolved": "Resolved",
               "followed_up": "Followed up", "closed": "Closed", "reopened": "Reopened"}
SCALE_NAMES = {"very_satisfied": "Very satisfied", "satisfied": "Fairly satisfied",
               "neutral": "Neutral", "unsatisfied": "Not very satisfied",
               "very_unsatisfied": "Very unsatisfied", "no_rating": "No rating"}
# The services' fixed messages, in the desk's language; others are shown as written.
MESSAGES = {"required": "Required", "is before the visit": "Is before the visit date",
            "is in the future": "Is in the future",
            "contains control characters": "Contains control characters"}


def say(error: FieldError) -> str:
    if error.message.endswith(" is in the future"):
        return t("Is in the future")
    return t(MESSAGES[error.message]) if error.message in MESSAGES else error.message


def _combo(choices: dict[str, str], blank: bool) -> QComboBox:
    box = QComboBox()
    if blank:
        box.addItem(t("— choose —"), "")
    for code, name in choices.items():
        box.addItem(t(name), code)
    return box


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _date_edit(value: date) -> QDateEdit:
    edit = QDateEdit(QDate(value.year, value.month, value.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class FormDialog(QDialog):
    """A form whose OK is enabled only while the draft is valid, saved off the UI thread."""

    sig_saved = Signal(object)  # what the service returned

    def __init__(self, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.saving = False
        self.touched: set[str] = set()
        self.errors: dict[str, QLabel] = {}
        self.form = QFormLayout()
        self.general = QLabel()
        self.general.setObjectName("formError")
        self.general.setWordWrap(True)
        self.general.setStyleSheet(ERROR_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setDefault(True)  # Enter confirms
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)

    def add_row(self, field: str, label: str, widget: QWidget) -> None:
        error = QLabel()
        error.setObjectName(f"error_{field}")
        error.setWordWrap(True)
        error.setStyleSheet(ERROR_STYLE)
        error.hide()
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(error)
        self.form.addRow(label, box)
        self.errors[field] = error
        self._watch(field, widget)

    def _watch(self, field: str, widget: QWidget) -> None:
        def changed(*_: object) -> None:
            self.touched.add(field)
            self.revalidate()

        for name in ("textChanged", "currentIndexChanged", "dateChanged", "valueChanged",
                     "toggled"):
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

    # -- validation and saving -----------------------------------------------------------

    def revalidate(self) -> list[FieldError]:
        errors = self.validate(self.draft())
        self.show_errors([e for e in errors if self._field(e) in self.touched])
        self.ok.setEnabled(not errors and not self.saving)
        return errors

    def _field(self, error: FieldError) -> str:
        name = error.field.split("[")[0].split(".")[0]
        return name if name in self.errors else ""

    def show_errors(self, errors: list[FieldError]) -> None:
        texts: dict[str, list[str]] = {}
        for error in errors:
            texts.setdefault(self._field(error), []).append(say(error))
        for field, label in self.errors.items():
            label.setText("; ".join(texts.get(field, [])))
            label.setVisible(field in texts)
        self.general.setText("; ".join(f"{e.field}: {say(e)}" for e in errors
                                       if not self._field(e)))

    def submit(self) -> None:
        if self.saving:
            return
        self.touched.update(self.errors)
        if self.revalidate():
            return
        self.saving = True
        self.ok.setEnabled(False)
        self.general.setText(t("Saving…"))
        self.ops.mutate(self.save(self.draft()), self._saved, self._failed,
                        changes=frozenset({"history"}))

    def _saved(self, result: Any) -> None:
        self.saving = False
        self.general.setText("")
        self.sig_saved.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        if isinstance(error, FormError):
            self.show_errors(error.errors)
        else:
            self.general.setText(t("Not saved: %1").replace("%1", str(error)))
        self.ok.setEnabled(True)


class CheckInDialog(FormDialog):
    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.setWindowTitle(t("Check in %1").replace("%1", profile.name))
        self.purpose = QComboBox()
        self.purpose.setEditable(True)
        self.purpose.addItems([t(p) for p in PURPOSES])
        # The usual drink, as the service would pre-fill it; staff may change it.
        usual = next((v for tag, v in profile.preferences if tag == "drink"), "")
        self.offered = QLineEdit(usual)
        self.add_row("purpose", t("Purpose"), self.purpose)
        self.add_row("offered", t("Offered"), self.offered)
        self.revalidate()

    def draft(self) -> VisitDraft:
        return VisitDraft(self.purpose.currentText(), self.offered.text())

    def validate(self, draft: VisitDraft) -> list[FieldError]:
        return self.desk.validate_visit(draft)

    def save(self, draft: VisitDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.check_in(member_id, draft.purpose, draft.offered)


class ComplaintDialog(FormDialog):
    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.setWindowTitle(t("Record complaint — %1").replace("%1", profile.name))
        self.setMinimumWidth(520)
        self.category = _combo({c: CATEGORY_NAMES[c] for c in CATEGORIES}, blank=True)
        self.severity = _combo({s: SEVERITY_NAMES[s] for s in SEVERITIES}, blank=True)
        self.place = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setFixedHeight(90)
        self.impact = QLineEdit()
        self.add_row("category", t("Category"), self.category)
        self.add_row("severity", t("Severity"), self.severity)
        self.add_row("place", t("Where"), self.place)
        self.add_row("description", t("What happened"), self.description)
        self.add_row("impact", t("Impact on the guest"), self.impact)
        self.revalidate()

    def draft(self) -> ComplaintDraft:
        return ComplaintDraft(self.category.currentData() or None,
                              self.severity.currentData() or None,
                              self.description.toPlainText(), self.place.text(),
                              self.impact.text())

    def validate(self, draft: ComplaintDraft) -> list[FieldError]:
        return self.desk.validate_complaint(draft)

    def save(self, draft: ComplaintDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.open_complaint(member_id, draft)


class HomeVisitDialog(FormDialog):
    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.setWindowTitle(t("Home visit — %1").replace("%1", profile.name))
        self.setMinimumWidth(560)
        today = desk.today()
        self.visited_on = _date_edit(today)
        self.advisor = QComboBox()
        self.present = QLineEdit()
        self.gift = QLineEdit()
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(70)
        self.learned = QLineEdit()
        self.satisfaction = _combo({c: SCALE_NAMES[c] for c in SCALE}, blank=True)
        self.follow_up = QCheckBox(t("Follow-up task"))
        self.follow_up_on = _date_edit(today)
        self.follow_up_text = QLineEdit()
        self.follow_up_text.setPlaceholderText(t("What to do"))
        for row in (("visited_on", t("Visit date"), self.visited_on),
                    ("advisor_id", t("Advisor"), self.advisor),
                    ("present", t("Present"), self.present), ("gift", t("Gift"), self.gift),
                    ("notes", t("Notes"), self.notes), ("learned", t("Learned"), self.learned),
                    ("satisfaction", t("Satisfaction"), self.satisfaction)):
            self.add_row(*row)
        self._follow_up_row()
        self._load_advisors(profile.advisor)
        self.revalidate()

    def _follow_up_row(self) -> None:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.follow_up)
        box.addWidget(self.follow_up_on)
        box.addWidget(self.follow_up_text, 1)
        self.add_row("follow_ups", t("Follow-up"), row)
        for widget in (self.follow_up, self.follow_up_on, self.follow_up_text):
            self._watch("follow_ups", widget)

    def _load_advisors(self, current: str | None) -> None:
        self.advisor.addItem(t("Me"), None)

        def fill(rows: list[tuple[uuid.UUID, str]]) -> None:
            for staff_id, label in rows:
                self.advisor.addItem(label, staff_id)
                if current and label.endswith(current):
                    self.advisor.setCurrentIndex(self.advisor.count() - 1)

        self.ops.query(self.desk.advisors, fill)

    def draft(self) -> HomeVisitDraft:
        tasks = [FollowUpDraft(_to_date(self.follow_up_on.date()), self.follow_up_text.text())
                 ] if self.follow_up.isChecked() else []
        return HomeVisitDraft(
            _to_date(self.visited_on.date()), self.advisor.currentData(), self.present.text(),
            self.gift.text(), self.notes.toPlainText(), self.learned.text(),
            self.satisfaction.currentData() or None, tasks)

    def validate(self, draft: HomeVisitDraft) -> list[FieldError]:
        return self.desk.validate_home_visit(draft)

    def save(self, draft: HomeVisitDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.log_home_visit(member_id, draft)


def duration(seconds: int) -> str:
    """mm:ss while it is a matter of minutes; hours, then days, when long past."""
    if seconds < 3600:
        return f"{seconds // 60:02d}:{seconds % 60:02d}"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return t("%n days").replace("%n", str(seconds // 86400))


def clock_text(view: ComplaintView, now: datetime) -> tuple[str, bool]:
    """The complaint's live clock in words, and whether it is overdue."""
    if view.contact_due is not None:
        left = int((view.contact_due - now).total_seconds())
        key = "Contact due in %1" if left >= 0 else "Contact overdue by %1"
        return t(key).replace("%1", duration(abs(left))), left < 0
    if view.follow_up_due is not None:
        due = view.follow_up_due.astimezone().strftime("%Y-%m-%d %H:%M")
        return t("Follow up by %1").replace("%1", due), view.follow_up_due < now
    return "", False


class ComplaintsDialog(QDialog):
    """The member's open complaints with their clocks, and the next steps as buttons."""

    sig_changed = Signal()

    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.ops, self.member_id = desk, ops, profile.member_id
        self.views: list[ComplaintView] = []
        self.setWindowTitle(t("Open complaints — %1").replace("%1", profile.name))
        self.setMinimumWidth(640)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._selected)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
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
        form = QFormLayout()
        form.addRow(t("Note"), self.note)
        form.addRow(t("Compensation points"), self.points)
        form.addRow(t("Gift or voucher"), self.item)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.detail)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(self.steps)

    def reload(self) -> None:
        member_id = self.member_id
        self.ops.query(lambda: self.desk.open_complaints(member_id), self._show)

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
            clock, late = clock_text(view, now)
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
                widget.deleteLater()
        view = self.current()
        self.detail.setText(view.description if view else t("No open complaints."))
        if view is None:
            return
        for state in TRANSITIONS.get(view.state, ()):
            button = QPushButton("→ " + t(STATE_NAMES[state]))
            button.setObjectName(f"step_{state}")
            button.clicked.connect(lambda _=False, s=state: self.advance(s))
            self.steps.addWidget(button)
        self.steps.addStretch(1)

    def step_draft(self, to_state: str) -> StepDraft:
        return StepDraft(to_state, self.note.text(), self.points.value() or None,
                         self.item.text())

    def advance(self, to_state: str) -> None:
        view = self.current()
        if view is None:
            return
        draft = self.step_draft(to_state)
        errors = self.desk.validate_step(draft, view.state, view.severity)
        if errors:
            self.error.setText("; ".join(f"{e.field}: {say(e)}" for e in errors))
            return
        self.error.setText(t("Saving…"))
        complaint_id = view.complaint_id
        self.ops.mutate(lambda: self.desk.advance_complaint(complaint_id, draft),
                        self._advanced, self._failed, changes=frozenset({"history"}))

    def _advanced(self, _view: ComplaintView) -> None:
        self.error.setText("")
        self.note.clear()
        self.points.setValue(0)
        self.item.clear()
        self.sig_changed.emit()
        self.reload()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, FormError):
            self.error.setText("; ".join(f"{e.field}: {say(e)}" for e in error.errors))
        else:
            self.error.setText(t("Not saved: %1").replace("%1", str(error)))


class CardForms(QObject):
    """Opens dialogs for the member on the card; the card reloads after each save.

    `dialog` is the last one opened (tests drive it)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.desk: Desk = window.desk
        self.ops: Ops = window.ops
        self.dialog: QDialog | None = None

    def open_for_member(self, make: Callable[[MemberProfile], D]) -> D | None:
        """The dialog `make` builds for the card's member; None with no member shown."""
        profile = self.window.card.profile
        if profile is None:
            return None
        dialog = make(profile)
        # A form says it saved; the complaints list (not a form) that a step was taken.
        signal = dialog.sig_saved if isinstance(dialog, FormDialog) else dialog.sig_changed  # type: ignore[attr-defined]
        signal.connect(self.saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def saved(self, *_: object) -> None:
        self.window.refresh_member()


class HistoryForms(CardForms):
    """Opens the forms from the member card and keeps the overdue count in the status bar."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.overdue = QLabel()
        self.overdue.setObjectName("overdueComplaints")
        self.overdue.setStyleSheet(ERROR_STYLE + "font-weight:600;")
        window.statusBar().addPermanentWidget(self.overdue)
        card = window.card
        card.sig_check_in_requested.connect(lambda: self.open(CheckInDialog))
        card.sig_complaint_requested.connect(lambda: self.open(ComplaintDialog))
        card.sig_home_visit_requested.connect(lambda: self.open(HomeVisitDialog))
        card.sig_complaints_requested.connect(lambda: self.open(ComplaintsDialog))
        self.notifier = Notifier(window)
        self.notified: set[Any] = set()  # overdue complaints already announced
        self.alerted: set[str] = set()
        self.timer = QTimer(self, interval=OVERDUE_REFRESH_MS)
        self.timer.timeout.connect(self.refresh_overdue)
        self.timer.start()
        self.refresh_overdue()

    def open(self, kind: Callable[..., QDialog]) -> QDialog | None:
        return self.open_for_member(lambda profile: kind(self.desk, self.ops, profile,
                                                         self.window))

    def saved(self, *_: object) -> None:
        super().saved()
        self.refresh_overdue()

    def refresh_overdue(self) -> None:
        self.ops.query(self.desk.complaint_watch, self._show_watch, lambda _e: None)

    def _show_watch(self, watch: tuple[list[ComplaintView], list[EmergencyAlert]]) -> None:
        views, alerts = watch
        self._show_overdue(views)
        for alert in alerts:
            if alert.category not in self.alerted:  # once per category per session
                self.alerted.add(alert.category)
                self.notifier.notify(t("Emergency: complaints piling up"), t(
                    "%n complaints about %1 in 24 hours").replace("%n", str(alert.count))
                    .replace("%1", t(CATEGORY_NAMES.get(alert.category, alert.category))))

    def _show_overdue(self, views: list[ComplaintView]) -> None:
        self.overdue.setText(t("%n complaints overdue").replace("%n", str(len(views)))
                             if views else "")
        fresh = {v.complaint_id for v in views} - self.notified
        if fresh:
            self.notified |= fresh
            self.notifier.notify(t("Complaint clock overdue"), t(
                "%n complaints overdue").replace("%n", str(len(views))))

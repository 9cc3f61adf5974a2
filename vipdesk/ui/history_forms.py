"""Recording service history from the member card: check-in, complaints, home visits.

Each form is a `FormDialog` (vipdesk/ui/forms.py): it validates as people type with the
same `validate_*` function the service runs before writing (through `Desk`), Enter saves
or says what is missing, and a refusal from the service is shown in plain words with
nothing written. The open complaints and their steps live in `complaint_steps.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from vipdesk.desk import Desk
from vipdesk.services.complaints import (
    CATEGORIES,
    CONTACT_WITHIN,
    SEVERITIES,
    ComplaintDraft,
    ComplaintView,
    EmergencyAlert,
)
from vipdesk.services.homevisits import FollowUpDraft, HomeVisitDraft
from vipdesk.services.profile import MemberProfile
from vipdesk.services.surveys import SCALE
from vipdesk.services.validation import FieldError
from vipdesk.services.visits import VisitDraft, VisitRecord
from vipdesk.ui import live
from vipdesk.ui.complaint_steps import ComplaintsDialog
from vipdesk.ui.forms import ERROR_STYLE, CardForms, FormDialog
from vipdesk.ui.i18n import addressed, t
from vipdesk.ui.live import on_change
from vipdesk.ui.names import CATEGORY_NAMES, SCALE_NAMES, SEVERITY_NAMES
from vipdesk.ui.notify import Notifier
from vipdesk.ui.ops import Ops

OVERDUE_REFRESH_MS = 30_000
PURPOSES = ("New arrivals", "Collect an order", "Repair or care", "Fitting", "Salon event",
            "Enquiry", "Gift shopping")


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


class CheckInDialog(FormDialog):
    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.setWindowTitle(t("Check in %1").replace("%1", profile.name))
        self.who = addressed(profile)
        self.purpose = QComboBox()
        self.purpose.setEditable(True)
        self.purpose.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.purpose.addItems([t(p) for p in PURPOSES])
        # No preset purpose: Enter must not file every guest under the first choice.
        self.purpose.setCurrentIndex(-1)
        editor = self.purpose.lineEdit()
        if editor is not None:
            editor.setPlaceholderText(t("Choose or type (optional)"))
        # The usual drink, as the service would pre-fill it; staff may change it.
        usual = next((v for tag, v in profile.preferences if tag == "drink"), "")
        self.offered = QLineEdit(usual)
        self.add_row("purpose", t("Purpose"), self.purpose)
        self.add_row("offered", t("Offered"), self.offered)
        self.revalidate()

    def draft(self) -> VisitDraft:
        return VisitDraft(self.purpose.currentText(), self.offered.text())

    def validate(self, draft: VisitDraft) -> list[FieldError]:
        return self.desk.visits.validate(draft)

    def save(self, draft: VisitDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.visits.check_in(member_id, draft.purpose, draft.offered)

    def confirmation(self, result: VisitRecord) -> str:
        since = result.checked_in_at.astimezone(ZoneInfo(self.desk.tz)).strftime("%H:%M")
        return t("Checked in: %1 since %2").replace("%1", self.who).replace("%2", since)


class ComplaintDialog(FormDialog):
    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.setWindowTitle(t("Record complaint — %1").replace("%1", profile.name))
        self.who = addressed(profile)
        self.setMinimumWidth(520)
        self.category = _combo({c: CATEGORY_NAMES[c] for c in CATEGORIES}, blank=True)
        self.severity = _combo({s: SEVERITY_NAMES[s] for s in SEVERITIES}, blank=True)
        self.place = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setFixedHeight(90)
        self.impact = QLineEdit()
        self.add_row("category", t("Category"), self.category, required=True)
        self.add_row("severity", t("Severity"), self.severity, required=True)
        self.add_row("place", t("Where"), self.place)
        self.add_row("description", t("What happened"), self.description, required=True)
        self.add_row("impact", t("Impact on the guest"), self.impact)
        self.revalidate()

    def draft(self) -> ComplaintDraft:
        return ComplaintDraft(self.category.currentData() or None,
                              self.severity.currentData() or None,
                              self.description.toPlainText(), self.place.text(),
                              self.impact.text())

    def validate(self, draft: ComplaintDraft) -> list[FieldError]:
        return self.desk.complaints.validate(draft)

    def save(self, draft: ComplaintDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.complaints.open(member_id, draft)

    def confirmation(self, result: ComplaintView) -> str:
        minutes = int(CONTACT_WITHIN.total_seconds() // 60)
        return (t("Complaint recorded for %1: contact within %2 minutes.")
                .replace("%1", self.who).replace("%2", str(minutes)))


class HomeVisitDialog(FormDialog):
    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.setWindowTitle(t("Home visit — %1").replace("%1", profile.name))
        self.who = addressed(profile)
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
                    ("learned", t("Learned"), self.learned),
                    ("satisfaction", t("Satisfaction"), self.satisfaction)):
            self.add_row(*row)
        self.add_row("notes", t("Notes"), self.notes, required=True)
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
        return self.desk.home_visits.validate(draft)

    def save(self, draft: HomeVisitDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.home_visits.log(member_id, draft)

    def confirmation(self, result: Any) -> str:
        return t("Home visit saved for %1.").replace("%1", self.who)


class HistoryForms(CardForms):
    """Opens the forms from the member card and keeps the overdue count in the status bar."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.overdue = QLabel()
        self.overdue.setObjectName("overdueComplaints")
        self.overdue.setStyleSheet(ERROR_STYLE + "font-weight:600;")
        window.add_status_widget(self.overdue)
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
        on_change(self.ops, self, live.COMPLAINT_CLOCKS, lambda _c: self.refresh_overdue())
        self.refresh_overdue()

    def open(self, kind: Callable[..., QDialog]) -> QDialog | None:
        return self.open_for_member(lambda profile: kind(self.desk, self.ops, profile,
                                                         self.window))

    def refresh_overdue(self) -> None:
        self.ops.query(self.desk.complaints.watch, self._show_watch, lambda _e: None)

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
        self.overdue.setText(t("Complaints overdue: %n").replace("%n", str(len(views)))
                             if views else "")
        fresh = {v.complaint_id for v in views} - self.notified
        if fresh:
            self.notified |= fresh
            self.notifier.notify(t("Complaint clock overdue"), t(
                "Complaints overdue: %n").replace("%n", str(len(views))))

"""Today's care list (关怀): model over the service's `CareItem`s and the page.

The page opens on what is due today (and the overdue carry-over), the most valuable
members first, and narrows by due date, task type, advisor and tier
(`vipdesk.services.care_filters`); the summary counts what is shown.

Building the list stores the tasks it discovers, so loading it is a write (`ops.mutate`).
"Log contact" records a care contact carrying the task's key, which is what closes it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from vipdesk.change_stream import Changes
from vipdesk.desk import Desk
from vipdesk.services.care import CHANNELS, MAX_OUTCOME
from vipdesk.services.care_filters import DUE_FILTERS, NO_TIER, CareFilter, count, shown
from vipdesk.services.carelist import CareItem, CareList
from vipdesk.services.tiers import TierTable
from vipdesk.ui import live
from vipdesk.ui.i18n import current, t
from vipdesk.ui.live import on_change
from vipdesk.ui.ops import Ops
from vipdesk.ui.table_page import Index, RowsModel, TablePage, code_combo, ok_cancel_form

ItemRole = Qt.ItemDataRole.UserRole + 1
KIND_TEXT = {
    "birthday": "Birthday greeting", "anniversary": "Membership anniversary",
    "callback_3d": "Callback after 3 days", "callback_3m": "Callback after 3 months",
    "callback_6m": "Callback after 6 months", "welcome_call": "Welcome call",
    "complaint_contact": "Complaint: first contact",
    "complaint_followup": "Complaint: follow-up", "churn_silence": "Churn: silent",
    "churn_spend": "Churn: spending less", "tier_risk": "Tier at risk",
    "tier_upgrade": "Upgrade congratulations", "festival": "Festival greeting",
    "follow_up": "Home-visit follow-up",
}
STATUS_TEXT = {"overdue": "Overdue", "due": "Due today", "upcoming": "Upcoming",
               "done": "Done"}
DUE_TEXT = {"today": "Due today and overdue", "overdue": "Overdue", "upcoming": "Upcoming",
            "all": "All dates"}
CHANNEL_TEXT = {"phone": "Phone", "sms": "SMS", "wechat": "WeChat",
                "in_person": "In person", "email": "Email", "print": "Printed card"}
OVERDUE_RED = "#b3261e"  # the due column's text only: a list of red rows reads as noise
DONE_GREY = "#8a8a8a"
DUE_COLUMN, TIER_COLUMN, MESSAGE_COLUMN = 0, 3, 4


def kind_text(kind: str) -> str:
    return t(KIND_TEXT.get(kind, kind))


def headers() -> list[str]:
    return [t("Due"), t("Task"), t("Member"), t("Tier"), t("Message")]


def due_text(item: CareItem) -> str:
    if item.status == "overdue":
        return (t("%n d overdue").replace("%n", str(item.days_overdue)) if item.days_overdue
                else t("Overdue"))
    if item.status == "upcoming":
        return item.due_on.isoformat()
    return t(STATUS_TEXT.get(item.status, item.status))


class CareModel(RowsModel):
    """The list narrowed by a `CareFilter`, the most valuable members first."""

    def __init__(self, tiers: TierTable, parent: QWidget | None = None) -> None:
        super().__init__(headers, parent)
        self.tiers = tiers
        self.all_items: list[CareItem] = []
        self.chosen = CareFilter()
        self.red, self.grey = QBrush(QColor(OVERDUE_RED)), QBrush(QColor(DONE_GREY))

    @property
    def items(self) -> list[CareItem]:
        """The items shown: the list with the filter applied, in value order."""
        return self.listed

    @property
    def kind(self) -> str | None:
        return self.chosen.kind

    def set_items(self, items: list[CareItem]) -> None:
        self.beginResetModel()
        self.all_items = list(items)
        self.listed = shown(self.all_items, self.chosen, self.tiers)
        self.endResetModel()

    def set_filter(self, **changes: Any) -> None:
        self.chosen = replace(self.chosen, **changes)
        self.set_items(self.all_items)

    def set_kind(self, kind: str | None) -> None:
        self.set_filter(kind=kind)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(item, index.column())
        if role == ItemRole:
            return item
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(item, index.column())
        if role == Qt.ItemDataRole.FontRole:
            return self._font(item, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == MESSAGE_COLUMN:
            return item.message
        return None

    def _foreground(self, item: CareItem, column: int) -> QBrush | None:
        if item.status == "done":
            return self.grey
        return self.red if item.status == "overdue" and column == DUE_COLUMN else None

    @staticmethod
    def _font(item: CareItem, column: int) -> QFont | None:
        if item.status == "done":
            font = QFont()
            font.setStrikeOut(True)
            return font
        if item.status == "overdue" and column == DUE_COLUMN:
            font = QFont()
            font.setPointSizeF(font.pointSizeF() * 0.9)
            return font
        return None

    def cell(self, item: CareItem, column: int) -> str:
        if column == DUE_COLUMN:
            return due_text(item)
        if column == 1:
            return kind_text(item.kind)
        if column == 2:
            return f"{item.name}  {item.member_no}"
        if column == TIER_COLUMN:
            return self.tier_name(item.tier_code)
        return item.message

    def tier_name(self, code: str | None) -> str:
        tier = self.tiers.get(code)
        if tier is None:
            return "—"
        return tier.name_zh if current() == "zh" else tier.name_en


class CareListPage(TablePage):
    def __init__(self, desk: Desk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(desk, ops, "Care list", parent)
        self.model = CareModel(desk.tiers, self)
        self.loaded: CareList | None = None
        self.advisor_names: list[tuple[uuid.UUID, str]] = []
        self._build()
        self.retranslate()
        on_change(ops, self, live.CARE_LIST, self._changed)

    def _build(self) -> None:
        self.due, self.kinds = self._combo("due"), self._combo("kind")
        self.advisors, self.tiers = self._combo("advisor_id"), self._combo("tier_code")
        self.log_button = QPushButton()
        self.log_button.setObjectName("primary")
        self.log_button.clicked.connect(self.log_selected)
        self.open_button = QPushButton()
        self.open_button.clicked.connect(self._open_selected)
        self.view = QTableView()
        self.view.setObjectName("careList")
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.doubleClicked.connect(lambda _: self.log_selected())
        self.frame(self.view, (self.due, self.kinds, self.advisors, self.tiers,
                               self.open_button, self.log_button), stretch=MESSAGE_COLUMN)

    def _combo(self, field: str) -> QComboBox:
        combo = QComboBox()
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.currentIndexChanged.connect(lambda _: self._filter(field, combo.currentData()))
        return combo

    def _filter(self, field: str, value: Any) -> None:
        self.model.set_filter(**{field: value})
        self._summarise()

    def load(self) -> None:
        """Build today's list (stores newly found tasks, closes done ones)."""
        if not self.advisor_names:
            self.ops.query(self.desk.advisors, self._fill_advisors)
        language = current()  # the instructions to staff read in the desk's language
        self.ops.mutate(lambda: self.desk.care.build_list(staff_language=language), self._show)

    def _show(self, care: CareList) -> None:
        self.loaded = care
        self.model.set_items(care.items)
        self._fill_kinds(care.kinds)
        self._summarise()
        if self.model.items:
            self.view.selectRow(0)

    def _summarise(self) -> None:
        if self.loaded is None:
            return
        counts = count(self.model.items)
        self.summary.setText(t("%1 · %2 open, %3 overdue")
                             .replace("%1", self.loaded.day.isoformat())
                             .replace("%2", str(counts.open))
                             .replace("%3", str(counts.overdue)))

    def _fill_kinds(self, kinds: frozenset[str]) -> None:
        refill(self.kinds, t("All tasks"),
               [(kind_text(kind), kind) for kind in sorted(kinds, key=kind_text)])

    def _fill_advisors(self, advisors: list[tuple[uuid.UUID, str]]) -> None:
        self.advisor_names = advisors
        refill(self.advisors, t("All advisors"), [(label, sid) for sid, label in advisors])

    def _fill_fixed(self) -> None:
        refill(self.due, None, [(t(DUE_TEXT[due]), due) for due in DUE_FILTERS])
        tiers = [(self.model.tier_name(tier.code), tier.code)
                 for tier in reversed(self.desk.tiers.tiers)]
        refill(self.tiers, t("All tiers"), [*tiers, (t("No tier"), NO_TIER)])

    def selected(self) -> CareItem | None:
        item: CareItem | None = self.view.currentIndex().data(ItemRole)
        return item

    def _open_selected(self) -> None:
        item = self.selected()
        if item is not None:
            self.sig_open_member.emit(item.member_id)

    def log_selected(self) -> None:
        item = self.selected()
        if item is None or item.status == "done":
            return
        dialog = LogContactDialog(item, self)
        self.log_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self.log(item, *dialog.contact()))
        dialog.open()

    def log(self, item: CareItem, channel: str, outcome: str | None) -> None:
        desk = self.desk
        self.ops.mutate(lambda: desk.care.log_task(item, channel, outcome),
                        lambda _: self._logged(item))

    def _logged(self, item: CareItem) -> None:
        self.sig_message.emit(t("Logged: %1").replace("%1", f"{kind_text(item.kind)} · "
                                                           f"{item.name}"))

    def _changed(self, _changes: Changes) -> None:
        if self.isVisible():  # a hidden list is built again when it is shown
            self.load()

    def retranslate(self) -> None:
        super().retranslate()
        self.log_button.setText(t("Log contact"))
        self.open_button.setText(t("Open member"))
        self._fill_fixed()
        if self.advisor_names:
            self._fill_advisors(self.advisor_names)
        if self.loaded is not None and self.isVisible():
            self.load()  # built again: its instructions to staff are worded anew
        elif self.loaded is not None:
            self._show(self.loaded)


def refill(combo: QComboBox, everything: str | None,
           choices: list[tuple[str, Any]]) -> None:
    """Replace a filter's choices, keeping the one chosen (or the first) without
    announcing the refill as a change of filter."""
    keep = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    if everything is not None:
        combo.addItem(everything, None)
    for text, value in choices:
        combo.addItem(text, value)
    combo.setCurrentIndex(max(combo.findData(keep), 0))
    combo.blockSignals(False)


class LogContactDialog(QDialog):
    """How the guest was reached and what came of it; OK closes the task."""

    def __init__(self, item: CareItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Log contact"))
        self.channel = code_combo(CHANNELS, CHANNEL_TEXT)
        self.outcome = QPlainTextEdit()
        self.outcome.setPlaceholderText(t("What came of it (optional)"))
        self.outcome.setMaximumHeight(90)
        message = QLabel(item.message)
        message.setWordWrap(True)
        ok_cancel_form(self, (QLabel(f"{kind_text(item.kind)} · {item.name}"), message,
                              (t("Channel"), self.channel), (t("Outcome"), self.outcome)))
        self.resize(460, 260)

    def contact(self) -> tuple[str, str | None]:
        outcome = self.outcome.toPlainText().strip()[:MAX_OUTCOME]
        return str(self.channel.currentData()), outcome or None

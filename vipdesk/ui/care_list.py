"""Today's care list (关怀): model over the service's `CareItem`s and the page.

Building the list stores the tasks it discovers, so loading it is a write (`ops.mutate`).
"Log contact" records a care contact carrying the task's key, which is what closes it.
"""

from __future__ import annotations

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

from vipdesk.services.care import CHANNELS, MAX_OUTCOME
from vipdesk.services.carelist import CareItem, CareList
from vipdesk.services.desk import Desk
from vipdesk.ui.i18n import t
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
}
STATUS_TEXT = {"overdue": "Overdue", "due": "Due today", "upcoming": "Upcoming",
               "done": "Done"}
CHANNEL_TEXT = {"phone": "Phone", "sms": "SMS", "wechat": "WeChat",
                "in_person": "In person", "email": "Email", "print": "Printed card"}
OVERDUE = ("#f5c6c0", "#7a1206")
DONE_GREY = "#8a8a8a"


def kind_text(kind: str) -> str:
    return t(KIND_TEXT.get(kind, kind))


def headers() -> list[str]:
    return [t("Status"), t("Task"), t("Member"), t("Due"), t("Message")]


class CareModel(RowsModel):
    """The list as the service ordered it (overdue, due, upcoming, done), filterable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(headers, parent)
        self.all_items: list[CareItem] = []
        self.kind: str | None = None

    @property
    def items(self) -> list[CareItem]:
        """The items shown: the list with the kind filter applied."""
        return self.listed

    def set_items(self, items: list[CareItem]) -> None:
        self.beginResetModel()
        self.all_items = list(items)
        self.listed = [i for i in self.all_items if self.kind in (None, i.kind)]
        self.endResetModel()

    def set_kind(self, kind: str | None) -> None:
        self.kind = kind
        self.set_items(self.all_items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(item, index.column())
        if role == ItemRole:
            return item
        if role == Qt.ItemDataRole.BackgroundRole and item.status == "overdue":
            return QBrush(QColor(OVERDUE[0]))
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = {"overdue": OVERDUE[1], "done": DONE_GREY}.get(item.status)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.FontRole and item.status == "done":
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 4:
            return item.message
        return None

    @staticmethod
    def cell(item: CareItem, column: int) -> str:
        if column == 0:
            status = t(STATUS_TEXT.get(item.status, item.status))
            if item.status == "overdue" and item.days_overdue:
                status += " · " + t("%n d").replace("%n", str(item.days_overdue))
            return status
        if column == 1:
            return kind_text(item.kind)
        if column == 2:
            return f"{item.name}  {item.member_no}"
        if column == 3:
            return item.due_on.isoformat()
        return item.message


class CareListPage(TablePage):
    def __init__(self, desk: Desk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(desk, ops, "Care list", parent)
        self.model = CareModel(self)
        self.loaded: CareList | None = None
        self._build()
        self.retranslate()

    def _build(self) -> None:
        self.kinds = QComboBox()
        self.kinds.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kinds.currentIndexChanged.connect(
            lambda _: self.model.set_kind(self.kinds.currentData()))
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
        self.frame(self.view, (self.kinds, self.open_button, self.log_button), stretch=4)

    def load(self) -> None:
        """Build today's list (stores newly found tasks, closes done ones)."""
        self.ops.mutate(self.desk.care_list, self._show, changes=frozenset({"care"}))

    def _show(self, care: CareList) -> None:
        self.loaded = care
        self.model.set_items(care.items)
        self._fill_kinds(care.kinds)
        self.summary.setText(t("%1 · %2 open, %3 overdue")
                             .replace("%1", care.day.isoformat())
                             .replace("%2", str(care.open_count))
                             .replace("%3", str(care.overdue_count)))
        if self.model.items:
            self.view.selectRow(0)

    def _fill_kinds(self, kinds: frozenset[str]) -> None:
        keep = self.kinds.currentData()
        self.kinds.blockSignals(True)
        self.kinds.clear()
        self.kinds.addItem(t("All tasks"), None)
        for kind in sorted(kinds, key=kind_text):
            self.kinds.addItem(kind_text(kind), kind)
        self.kinds.setCurrentIndex(max(self.kinds.findData(keep), 0))
        self.kinds.blockSignals(False)
        self.model.set_kind(self.kinds.currentData())

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
        self.ops.mutate(lambda: desk.log_care_task(item, channel, outcome),
                        lambda _: self._logged(item), changes=frozenset({"care"}))

    def _logged(self, item: CareItem) -> None:
        self.sig_message.emit(t("Logged: %1").replace("%1", f"{kind_text(item.kind)} · "
                                                           f"{item.name}"))
        self.load()

    def retranslate(self) -> None:
        super().retranslate()
        self.log_button.setText(t("Log contact"))
        self.open_button.setText(t("Open member"))
        if self.loaded is not None:
            self._show(self.loaded)


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

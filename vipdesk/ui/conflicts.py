"""Sync conflicts for a manager: two stores changed the same field while apart.

The centre already kept one value (sync never waits for a person); here a manager sees
both, with stores and times, and either confirms what was kept or puts the other value
back — which travels to every desk like any edit. The service checks the role.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vipdesk.desk import Desk
from vipdesk.services.auth import PermissionDenied
from vipdesk.ui.i18n import t
from vipdesk.ui.messages import error_text
from vipdesk.ui.names import FIELD_NAMES
from vipdesk.ui.ops import Ops


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _when(at: Any, tz: str) -> str:
    """In the store's time zone."""
    return at.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M") if at else "—"


# What the centre found wrong with a desk's audit chain (vipdesk.sync.chain_watch), by kind.
_CHAIN_PROBLEMS = {
    "missing": "Entries before entry %1 are missing (deleted before they were sent)",
    "twice": "Entry %1 arrived twice",
    "unlinked": "Entry %1 does not follow the copy head office holds (entries rewritten, "
                "deleted or reordered)",
    "altered": "Entry %1 does not match its own hash (altered or forged)",
    "refused": "Entry %1 contradicts the copy head office holds (replaced)",
    "outside": "An entry outside any chain",
}


def _cells(c: Any, tz: str) -> tuple[str, ...]:
    if c.chain_alert:
        return _chain_cells(c, tz)
    return (c.label, t(FIELD_NAMES.get(c.field, c.field)),
            f"{_value(c.kept_value)}  ({c.kept_store}, {_when(c.kept_at, tz)})",
            f"{_value(c.lost_value)}  ({c.lost_store}, {_when(c.lost_at, tz)})",
            _when(c.detected_at, tz))


def _chain_cells(c: Any, tz: str) -> tuple[str, ...]:
    """A broken audit chain: nothing was kept or lost, the words say what was found."""
    found = c.lost_value if isinstance(c.lost_value, dict) else {}
    problem = t(_CHAIN_PROBLEMS.get(str(found.get("kind")), _CHAIN_PROBLEMS["altered"]))
    return (t("Audit log"), t("Audit chain"),
            f"{t('The copy head office holds')}  ({t('head office')})",
            f"{problem.replace('%1', str(found.get('seq') or '?'))}  ({c.lost_store}, "
            f"{_when(c.lost_at, tz)})", _when(c.detected_at, tz))


class ConflictsDialog(QDialog):
    def __init__(self, desk: Desk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.ops = desk, ops
        self.rows: list[Any] = []
        self.setWindowTitle(self.tr("Sync conflicts"))
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([
            self.tr("Record"), self.tr("Field"), self.tr("Kept (store, time)"),
            self.tr("Other value (store, time)"), self.tr("Detected")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.currentCellChanged.connect(self._row_changed)
        self._fit_columns()
        self.empty = QLabel(self.tr("No sync conflicts to review."))
        self.empty.setObjectName("placeholder")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        self.message = QLabel()
        self.keep = QPushButton(self.tr("Confirm kept value"))
        self.restore = QPushButton(self.tr("Put the other value back"))
        self._offer_buttons(False)  # nothing to act on until the list is read
        self.keep.clicked.connect(lambda: self._settle("kept"))
        self.restore.clicked.connect(lambda: self._settle("lost"))
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.keep)
        buttons.addWidget(self.restore)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(buttons)
        self.resize(900, 420)
        self.reload()

    def _fit_columns(self) -> None:
        """Short columns as wide as their header or text; the two values share the rest."""
        header = self.table.horizontalHeader()
        for column, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents,
                                       QHeaderView.ResizeMode.ResizeToContents,
                                       QHeaderView.ResizeMode.Stretch,
                                       QHeaderView.ResizeMode.Stretch,
                                       QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(column, mode)

    def _offer_buttons(self, offered: bool) -> None:
        for button in (self.keep, self.restore):
            button.setVisible(offered)
            button.setEnabled(offered)

    def reload(self) -> None:
        self.ops.query(self.desk.review.conflicts, self._show, self._failed)

    def _show(self, rows: list[Any]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, c in enumerate(rows):
            for j, text in enumerate(_cells(c, self.desk.tz)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.message.setText(self.tr("%n to review").replace("%n", str(len(rows)))
                             if rows else "")
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)  # an empty table with live buttons says nothing
        self._offer_buttons(bool(rows))
        if rows:
            self.table.selectRow(0)

    def _row_changed(self, row: int, *_rest: int) -> None:
        """An audit chain alert can only be acknowledged: no entry is ever put back."""
        alert = 0 <= row < len(self.rows) and self.rows[row].chain_alert
        self.restore.setEnabled(bool(self.rows) and not alert)

    def _settle(self, choice: str) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            return
        conflict_id = self.rows[row].id
        self.ops.mutate(lambda: self.desk.review.settle(conflict_id, choice),
                        lambda _none: self.reload(), self._failed)

    def _failed(self, error: BaseException) -> None:
        said = (self.tr("This step is for a manager.") if isinstance(error, PermissionDenied)
                else error_text(error))
        self.message.setText(self.tr("Not settled: %1").replace("%1", said))

"""The queue board's rows (排队): the model over the service's `QueueRow`s, the cells'
words, and the urgent rows' colours (a selected amber or red row keeps its colour: the
selection is a frame, not a fill). The board page is `queue_board.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from vipdesk.services.clock import DEFAULT_TZ
from vipdesk.services.queue import Level, QueueRow
from vipdesk.ui.i18n import t
from vipdesk.ui.names import tier_name
from vipdesk.ui.queue_dialogs import PURPOSE_TEXT
from vipdesk.ui.table_page import Index, RowsModel

RowRole = Qt.ItemDataRole.UserRole + 1
LEVEL_COLOURS = {Level.AMBER: ("#f7e0a3", "#5a4200"), Level.RED: ("#efb0a8", "#6b0f05")}
SELECTED_FRAME = "#1f4e8c"
GUEST_COLUMN, TIER_COLUMN = 1, 2
STATE_TEXT = {"waiting": "Waiting", "called": "Called", "served": "Served", "left": "Left"}
HEADERS = ("No.", "Guest", "Tier", "Purpose", "Arrived", "Waited", "Target", "Advisor",
           "State")
# Plain ints: Qt hands `data` its role as an int, and int compares fastest with int.
DISPLAY, TOOLTIP = int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.ToolTipRole)
BACKGROUND, FOREGROUND = int(Qt.ItemDataRole.BackgroundRole), int(Qt.ItemDataRole.ForegroundRole)
ANSWERED = frozenset({DISPLAY, int(RowRole), TOOLTIP, BACKGROUND, FOREGROUND})


def local_time(at: datetime, tz: str) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return aware.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def tr_headers() -> list[str]:
    return [t("No."), t("Guest"), t("Tier"), t("Purpose"), t("Arrived"), t("Waited"),
            t("Target"), t("Advisor"), t("State")]


def row_texts(row: QueueRow, private: bool = False, tz: str = DEFAULT_TZ) -> tuple[str, ...]:
    return tuple(QueueModel.cell(row, column, private, tz) for column in range(len(HEADERS)))


class QueueModel(RowsModel):
    """One row per guest on the board, in the service's order.

    The columns fit their contents, so on every refresh Qt asks each of the 200 × 8 cells
    for eight roles to size them: the texts are made once per refresh (and per language),
    and the roles the board leaves to the style are refused first thing.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr_headers, parent)
        self.texts: list[tuple[str, ...]] = []  # each row's cells, as `cell` writes them
        self.private = False  # privacy mode: honorifics only, no tier or member number
        self.tz = DEFAULT_TZ  # the store's, set by the board: arrival times in store time
        self.brushes = {level: (QBrush(QColor(back)), QBrush(QColor(fore)))
                        for level, (back, fore) in LEVEL_COLOURS.items()}

    @property
    def rows(self) -> list[QueueRow]:
        """The guests on the board, in the service's order."""
        return self.listed

    def set_rows(self, rows: list[QueueRow]) -> None:
        self.beginResetModel()
        self.listed = list(rows)
        self.texts = [row_texts(r, self.private, self.tz) for r in self.rows]
        self.endResetModel()

    def set_private(self, private: bool) -> None:
        self.private = private
        self.retranslate()

    def retranslate(self) -> None:
        self.texts = [row_texts(r, self.private, self.tz) for r in self.rows]
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(HEADERS) - 1)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.rows) - 1, len(HEADERS) - 1))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in ANSWERED or not index.isValid():
            return None
        at = index.row()
        if not 0 <= at < len(self.rows):
            return None
        if role == DISPLAY:
            return self.texts[at][index.column()]
        row = self.rows[at]
        if role == RowRole:
            return row
        if role == TOOLTIP:
            return (None if row.level is Level.OK
                    else t("Waited beyond the tier's target: please speak to the guest."))
        brushes = self.brushes.get(row.level)
        if brushes is None:
            return None
        return brushes[0] if role == BACKGROUND else brushes[1]

    @staticmethod
    def cell(row: QueueRow, column: int, private: bool = False, tz: str = DEFAULT_TZ) -> str:
        if column == 0:
            return str(row.position) if row.position else "—"
        if column == GUEST_COLUMN:
            return row.private_name if private else f"{row.name}  {row.member_no}"
        if column == TIER_COLUMN:
            return "" if private else tier_name(row.tier_code, row.tier_name)
        if column == 3:
            appointment = "  ✓" + t("Appointment") if row.appointment_at else ""
            return t(PURPOSE_TEXT.get(row.purpose, row.purpose)) + appointment
        if column == 4:
            return local_time(row.arrived_at, tz)
        if column == 5:
            return t("%n min").replace("%n", str(int(row.waited_minutes)))
        if column == 6:
            return t("%n min").replace("%n", str(row.target_minutes))
        if column == 7:
            return row.advisor_name or "—"
        return t(STATE_TEXT.get(row.state, row.state))


class UrgencyDelegate(QStyledItemDelegate):
    """Paints a selected amber or red row in its colour with a frame round it, where the
    style would fill it with the selection colour and hide the most urgent guest."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        brush = index.data(BACKGROUND)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        if brush is None or not selected:
            super().paint(painter, option, index)
            return
        plain = QStyleOptionViewItem(option)
        plain.state &= ~QStyle.StateFlag.State_Selected  # type: ignore[attr-defined]
        painter.fillRect(option.rect, brush)
        super().paint(painter, plain, index)
        self._frame(painter, option, index)

    @staticmethod
    def _frame(painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rect = option.rect.adjusted(0, 1, 0, -2)  # type: ignore[attr-defined]
        painter.save()
        painter.setPen(QPen(QColor(SELECTED_FRAME), 3))
        painter.drawLine(rect.topLeft(), rect.topRight())
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        if index.column() == 0:
            painter.drawLine(rect.topLeft(), rect.bottomLeft())
        if index.column() == index.model().columnCount() - 1:
            painter.drawLine(rect.topRight(), rect.bottomRight())
        painter.restore()

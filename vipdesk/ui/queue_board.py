"""The peak-hour queue board (排队): model over the service's `QueueRow`s and the view.

The order, the colours' thresholds and the advisor rule all live in
`vipdesk.services.queue`; this only shows them and sends keys to `Desk` through `Ops`.
Keys on the board: N call next, A assign an advisor, S served, L left, Enter opens the
guest's member card, Ctrl++ / Ctrl+- large type (readable from across the lounge), P
privacy. Large type is the lounge screen, so it turns privacy on: guests show as 王先生,
without tier or member number (who is here, and how much they spend, is theirs to tell).
A selected row keeps its amber or red: the selection is a frame, not a fill.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPen,
    QShortcut,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from vipdesk.change_stream import Changes
from vipdesk.desk import Desk
from vipdesk.services.clock import DEFAULT_TZ
from vipdesk.services.queue import Level, QueueRow
from vipdesk.ui import live
from vipdesk.ui.i18n import t
from vipdesk.ui.live import on_change
from vipdesk.ui.names import tier_name
from vipdesk.ui.ops import Ops
from vipdesk.ui.table_page import Index, RowsModel, TablePage, code_combo, ok_cancel_form

RowRole = Qt.ItemDataRole.UserRole + 1
REFRESH_MS = 15_000
NORMAL_POINTS, LARGE_POINTS = 11, 24
LEVEL_COLOURS = {Level.AMBER: ("#f7e0a3", "#5a4200"), Level.RED: ("#efb0a8", "#6b0f05")}
SELECTED_FRAME = "#1f4e8c"
GUEST_COLUMN, TIER_COLUMN = 1, 2
PURPOSES = ("advisor", "fitting_room", "pickup", "repair", "other")
PURPOSE_TEXT = {"advisor": "Advisor consultation", "fitting_room": "Fitting room",
                "pickup": "Pick-up", "repair": "Repair", "other": "Other"}
STATE_TEXT = {"waiting": "Waiting", "called": "Called", "served": "Served", "left": "Left"}
HEADERS = ("No.", "Guest", "Tier", "Purpose", "Arrived", "Waited", "Target", "Advisor",
           "State")
LOCAL = ZoneInfo(DEFAULT_TZ)
# Plain ints: Qt hands `data` its role as an int, and int compares fastest with int.
DISPLAY, TOOLTIP = int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.ToolTipRole)
BACKGROUND, FOREGROUND = int(Qt.ItemDataRole.BackgroundRole), int(Qt.ItemDataRole.ForegroundRole)
ANSWERED = frozenset({DISPLAY, int(RowRole), TOOLTIP, BACKGROUND, FOREGROUND})


def local_time(at: datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return aware.astimezone(LOCAL).strftime("%H:%M")


def tr_headers() -> list[str]:
    return [t("No."), t("Guest"), t("Tier"), t("Purpose"), t("Arrived"), t("Waited"),
            t("Target"), t("Advisor"), t("State")]


def row_texts(row: QueueRow, private: bool = False) -> tuple[str, ...]:
    return tuple(QueueModel.cell(row, column, private) for column in range(len(HEADERS)))


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
        self.brushes = {level: (QBrush(QColor(back)), QBrush(QColor(fore)))
                        for level, (back, fore) in LEVEL_COLOURS.items()}

    @property
    def rows(self) -> list[QueueRow]:
        """The guests on the board, in the service's order."""
        return self.listed

    def set_rows(self, rows: list[QueueRow]) -> None:
        self.beginResetModel()
        self.listed = list(rows)
        self.texts = [row_texts(r, self.private) for r in self.rows]
        self.endResetModel()

    def set_private(self, private: bool) -> None:
        self.private = private
        self.retranslate()

    def retranslate(self) -> None:
        self.texts = [row_texts(r, self.private) for r in self.rows]
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
    def cell(row: QueueRow, column: int, private: bool = False) -> str:
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
            return local_time(row.arrived_at)
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


class QueueTable(QTableView):
    sig_open_requested = Signal(object)  # QueueRow

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            row = self.currentIndex().data(RowRole)
            if row is not None:
                self.sig_open_requested.emit(row)
                return
        super().keyPressEvent(event)


class QueueBoard(TablePage):
    """The board page: refreshes every 15 s and after each change."""

    def __init__(self, desk: Desk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(desk, ops, "Queue", parent)
        self.large = False
        self.seq = 0
        self.model = QueueModel(self)
        self._build()
        self._wire()
        self.retranslate()
        self.set_large(False)

    def _build(self) -> None:
        self.call_button, self.assign_button = QPushButton(), QPushButton()
        self.served_button, self.left_button = QPushButton(), QPushButton()
        self.large_button, self.private_button = QPushButton(), QPushButton()
        self.large_button.setCheckable(True)
        self.private_button.setCheckable(True)
        self.call_button.setObjectName("primary")
        self.view = QueueTable()
        self.view.setObjectName("queueBoard")
        self.view.setModel(self.model)
        self.view.setItemDelegate(UrgencyDelegate(self.view))
        # Columns fit their text (also in large type); the guest's name takes the rest.
        self.frame(self.view, (self.call_button, self.assign_button, self.served_button,
                               self.left_button, self.large_button, self.private_button),
                   stretch=GUEST_COLUMN)

    def _wire(self) -> None:
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.call_button.clicked.connect(self.call_next)
        self.assign_button.clicked.connect(self.assign)
        self.served_button.clicked.connect(lambda: self.finish("served"))
        self.left_button.clicked.connect(lambda: self.finish("left"))
        self.large_button.toggled.connect(self.set_large)
        self.private_button.toggled.connect(self.set_private)
        self.view.sig_open_requested.connect(lambda row: self.sig_open_member.emit(row.member_id))
        self.view.doubleClicked.connect(
            lambda index: self.sig_open_member.emit(index.data(RowRole).member_id))
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (("N", self.call_next), ("A", self.assign),
                           ("S", lambda: self.finish("served")),
                           ("L", lambda: self.finish("left")),
                           ("Ctrl++", lambda: self.large_button.setChecked(True)),
                           ("Ctrl+=", lambda: self.large_button.setChecked(True)),
                           ("Ctrl+-", lambda: self.large_button.setChecked(False)),
                           ("P", self.private_button.toggle)):
            shortcut = QShortcut(QKeySequence(keys), self, context=context)
            shortcut.activated.connect(slot)
        on_change(self.ops, self, live.QUEUE_BOARD, self._changed)

    # -- showing -----------------------------------------------------------------------

    def start(self) -> None:
        """The page became visible: refresh now and every 15 s while it stays so."""
        self.refresh()
        self.timer.start()
        self.view.setFocus()

    def stop(self) -> None:
        self.timer.stop()

    def refresh(self) -> None:
        self.seq += 1
        seq = self.seq
        self.ops.query(self.desk.queue.board, lambda rows: self._show(seq, rows))

    def _show(self, seq: int, rows: list[QueueRow]) -> None:
        if seq != self.seq:
            return  # a newer refresh is on its way
        keep = self.selected()
        self.model.set_rows(rows)
        pick = next((i for i, r in enumerate(rows) if keep and r.entry_id == keep.entry_id), 0)
        if rows:
            self.view.selectRow(pick)
        waiting = sum(1 for r in rows if r.state == "waiting")
        late = sum(1 for r in rows if r.state == "waiting" and r.level is not Level.OK)
        self.summary.setText(t("%1 waiting · %2 over target").replace("%1", str(waiting))
                             .replace("%2", str(late)))

    def _changed(self, _changes: Changes) -> None:
        if self.isVisible():  # a hidden board refreshes when it is shown (`start`)
            self.refresh()

    def selected(self) -> QueueRow | None:
        row: QueueRow | None = self.view.currentIndex().data(RowRole)
        return row

    def set_private(self, private: bool) -> None:
        """Privacy mode: the guests by honorific only (王先生), no tier, no member number."""
        self.model.set_private(private)
        self.view.setColumnHidden(TIER_COLUMN, private)
        if self.private_button.isChecked() != private:
            self.private_button.setChecked(private)

    def set_large(self, large: bool) -> None:
        """Large type for reading the board from a few metres away: the lounge screen,
        so privacy goes on with it (and off again with normal type)."""
        self.large = large
        self.set_private(large)
        points = LARGE_POINTS if large else NORMAL_POINTS
        font = QFont(self.font())
        font.setPointSize(points)
        if large:
            font.setBold(True)
        self.view.setFont(font)
        self.view.horizontalHeader().setFont(font)
        self.view.verticalHeader().setDefaultSectionSize(int(points * 2.6))
        if self.large_button.isChecked() != large:
            self.large_button.setChecked(large)

    # -- actions -----------------------------------------------------------------------

    def _mutate(self, fn: Any, done_text: str) -> None:
        self.ops.mutate(fn, lambda _: self.sig_message.emit(done_text))

    def call_next(self) -> None:
        self.ops.mutate(self.desk.queue.call_next, self._called)

    def _called(self, entry_id: uuid.UUID | None) -> None:
        self.sig_message.emit(t("Nobody is waiting.") if entry_id is None
                              else t("Next guest called."))

    def finish(self, state: str) -> None:
        row = self.selected()
        if row is None:
            return
        entry_id, desk = row.entry_id, self.desk
        text = t("%1 served.") if state == "served" else t("%1 left the queue.")
        self._mutate(lambda: desk.queue.finish(entry_id, state), text.replace("%1", row.name))

    def assign(self) -> None:
        row = self.selected()
        if row is None:
            return
        member_id = row.member_id
        self.ops.query(lambda: self.desk.queue.advisor_choices(member_id),
                       lambda answer: self._choose_advisor(row, *answer))

    def _choose_advisor(self, row: QueueRow, choices: list[tuple[uuid.UUID, str, bool]],
                        preferred: uuid.UUID | None) -> None:
        dialog = AdvisorDialog(row.name, choices, preferred, self)
        self.advisor_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self._assign(row, dialog.advisor()))
        dialog.open()

    def _assign(self, row: QueueRow, advisor_id: uuid.UUID | None) -> None:
        if advisor_id is None:
            return
        entry_id, desk = row.entry_id, self.desk
        self._mutate(lambda: desk.queue.assign(entry_id, advisor_id),
                     t("Advisor assigned to %1.").replace("%1", row.name))

    def retranslate(self) -> None:
        super().retranslate()
        self.call_button.setText(t("Call next (N)"))
        self.assign_button.setText(t("Assign advisor (A)"))
        self.served_button.setText(t("Served (S)"))
        self.left_button.setText(t("Left (L)"))
        self.large_button.setText(t("Large type (Ctrl++)"))
        self.private_button.setText(t("Privacy (P)"))
        self.model.retranslate()


class AdvisorDialog(QDialog):
    """Pick the advisor; the member's own advisor is suggested when free."""

    def __init__(self, guest: str, choices: list[tuple[uuid.UUID, str, bool]],
                 preferred: uuid.UUID | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Assign advisor"))
        self.advisors = QComboBox()
        for advisor_id, label, busy in choices:
            self.advisors.addItem(label + (f"  ({t('busy')})" if busy else ""), advisor_id)
        found = self.advisors.findData(preferred)
        self.advisors.setCurrentIndex(max(found, 0))
        ok_cancel_form(self, (QLabel(guest), (t("Advisor"), self.advisors)))

    def advisor(self) -> uuid.UUID | None:
        value: uuid.UUID | None = self.advisors.currentData()
        return value


class QueueAddDialog(QDialog):
    """From the member card: why the guest is here, and whether they hold a booking."""

    def __init__(self, guest: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Add to queue"))
        self.purpose = code_combo(PURPOSES, PURPOSE_TEXT)
        self.appointment = QCheckBox(t("Has an appointment"))
        ok_cancel_form(self, (QLabel(guest), (t("Purpose"), self.purpose),
                              ("", self.appointment)))

    def choice(self) -> tuple[str, bool]:
        return str(self.purpose.currentData()), self.appointment.isChecked()

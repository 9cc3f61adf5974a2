"""The peak-hour queue board (排队): the page over `queue_model.py`'s rows.

The order, the colours' thresholds and the advisor rule all live in
`vipdesk.services.queue`; this only shows them and sends keys to `Desk` through `Ops`.
Keys on the board: N call next, A assign an advisor, S served, L left, Enter opens the
guest's member card, Ctrl++ / Ctrl+- large type (readable from across the lounge), P
privacy. Large type is the lounge screen, so it turns privacy on: guests show as 王先生,
without tier or member number (who is here, and how much they spend, is theirs to tell).
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QPushButton, QTableView, QWidget

from vipdesk.change_stream import Changes
from vipdesk.desk import Desk
from vipdesk.services.queue import Level, QueueRow
from vipdesk.ui import live
from vipdesk.ui.i18n import t
from vipdesk.ui.live import on_change
from vipdesk.ui.ops import Ops
from vipdesk.ui.queue_dialogs import AdvisorDialog
from vipdesk.ui.queue_model import GUEST_COLUMN, TIER_COLUMN, QueueModel, RowRole, UrgencyDelegate
from vipdesk.ui.table_page import TablePage

REFRESH_MS = 15_000
NORMAL_POINTS, LARGE_POINTS = 11, 24  # row heights follow these
LARGE_PIXELS = 32  # 24 pt on a 96 dpi screen
LARGE_TYPE = f"font-size: {LARGE_PIXELS}px; font-weight: 600;"


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
        self.model.tz = desk.tz
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
        # A style sheet of its own, not setFont: the desk's style sheet sets every
        # widget's size, and an empty sheet gives that size (and its screen scale) back.
        self.view.setStyleSheet(LARGE_TYPE if large else "")
        rows = LARGE_POINTS if large else NORMAL_POINTS
        self.view.verticalHeader().setDefaultSectionSize(int(rows * 2.6))
        if self.large_button.isChecked() != large:
            self.large_button.setChecked(large)

    # -- actions -----------------------------------------------------------------------

    def _mutate(self, fn: Any, done_text: str) -> None:
        self.ops.mutate(fn, lambda _: self.sig_message.emit(done_text))

    def call_next(self) -> None:
        self.ops.mutate(self.desk.queue.call_next, self._called)

    def _called(self, entry_id: uuid.UUID | None) -> None:
        """Say whom to fetch: the name staff call out (the honorific in privacy mode)."""
        row = next((r for r in self.model.rows if r.entry_id == entry_id), None)
        if entry_id is None:
            self.sig_message.emit(t("Nobody is waiting."))
        elif row is None:  # called before this board showed them
            self.sig_message.emit(t("Next guest called."))
        else:
            name = row.private_name if self.model.private else row.name
            self.sig_message.emit(t("Called: %1.").replace("%1", name))

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

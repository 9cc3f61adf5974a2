"""The manager's pages in the main window: 排队 Queue (F2) · 关怀 Care list (F3) ·
报表 Reports (F4), beside the desk (F1), and "Add to queue" on the member card.

Added through the window's extension points (`add_mode`, the card's `add_action`): the
window owns the mode bar, the stack of pages and the height they take.

The window is shaped by who is signed in (SPEC §1): a page, menu or button the person may
not use is not shown (nor reachable by its F-key), decided from the service's permission
table on every sign-in. The services still refuse on their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QPushButton

from vipdesk.ui.care_list import CareListPage
from vipdesk.ui.i18n import t
from vipdesk.ui.import_dialog import MemberImport
from vipdesk.ui.queue_board import QueueBoard
from vipdesk.ui.queue_dialogs import QueueAddDialog
from vipdesk.ui.reports_view import ReportsPage

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QWidget

    from vipdesk.desk import Desk
    from vipdesk.ui.member_card import MemberCard
    from vipdesk.ui.ops import Ops
    from vipdesk.ui.session_gate import SessionGate
    from vipdesk.ui.sync_status import SyncLine

# On the board, everyone at the desk marks a guest served or gone; calling the next guest
# and assigning an advisor are the lounge staff's and the manager's (SPEC §6).
BOARD_KEYS = {"N": "queue.call", "A": "queue.assign", "S": "queue.finish", "L": "queue.finish"}


class DeskWindow(Protocol):
    """What the pages use of the main window (which passes itself), so this module
    needs no import of it."""

    @property
    def desk(self) -> Desk: ...
    @property
    def ops(self) -> Ops: ...
    @property
    def card(self) -> MemberCard: ...
    @property
    def gate(self) -> SessionGate: ...
    @property
    def status_message(self) -> QLabel: ...
    @property
    def sync_label(self) -> SyncLine: ...
    def add_menu_action(self, action: QAction) -> None: ...
    def add_mode(self, name: str, page: QWidget, key: str, label: str, *, needs: str,
                 shown: Callable[[], None], hidden: Callable[[], None] | None = None
                 ) -> None: ...
    def show_mode(self, name: str) -> None: ...
    def open_member_id(self, member_id: uuid.UUID) -> None: ...
    def window(self) -> QWidget: ...  # QWidget.window(): the main window as a widget


class ManagerPages(QObject):
    def __init__(self, window: DeskWindow) -> None:
        widget = window.window()
        super().__init__(widget)
        self.window, self.widget = window, widget
        self.board = QueueBoard(window.desk, window.ops)
        self.care = CareListPage(window.desk, window.ops)
        self.reports = ReportsPage(window.desk, window.ops)
        # The permission each page reads with (the page's first service call needs it).
        window.add_mode("queue", self.board, "F2", "Queue", needs="queue.view",
                        shown=self.board.start, hidden=self.board.stop)
        window.add_mode("care", self.care, "F3", "Care list", needs="care.view",
                        shown=self.care.load)
        window.add_mode("reports", self.reports, "F4", "Reports", needs="report.view",
                        shown=self.reports.load)
        self.add_button = QPushButton()
        self.add_button.clicked.connect(self.ask_add_to_queue)
        window.card.add_action(self.add_button, needs="queue.add")
        self._menus()
        self._wire()
        self.retranslate()

    def _menus(self) -> None:
        """The managers' menus, after the window's own; offered by `_fit_menus`."""
        self.conflicts_action = QAction(self.widget)
        self.conflicts_action.triggered.connect(self.open_conflicts)
        self.dead_letters_action = QAction(self.widget)
        self.dead_letters_action.triggered.connect(self.open_dead_letters)
        for action in (self.conflicts_action, self.dead_letters_action):
            self.window.add_menu_action(action)
        self.member_import = MemberImport(self.window)  # 导入会员…, offered by its own role

    def _wire(self) -> None:
        w = self.window
        for page in (self.board, self.care, self.reports):
            page.sig_message.connect(w.status_message.setText)
        self.board.sig_open_member.connect(self.open_member)
        self.care.sig_open_member.connect(self.open_member)
        w.gate.sig_locked.connect(self._locked)
        w.gate.sig_signed_in.connect(lambda _actor: self.fit_to_role())
        self.widget.installEventFilter(self)
        self.fit_to_role()

    def fit_to_role(self) -> None:
        """The board's buttons and the managers' menus, for the signed-in person (the
        window fits the pages and the card's actions)."""
        self._fit_board()
        self._fit_menus(signed_in=True)

    def _fit_board(self) -> None:
        """The board's buttons and their keys, for what the role may do on it."""
        can, board = self.window.desk.can, self.board
        for button, key in ((board.call_button, "N"), (board.assign_button, "A"),
                            (board.served_button, "S"), (board.left_button, "L")):
            button.setVisible(can(BOARD_KEYS[key]))
        for shortcut in board.findChildren(QShortcut):
            needs = BOARD_KEYS.get(shortcut.key().toString())
            if needs is not None:
                shortcut.setEnabled(can(needs))

    def _fit_menus(self, signed_in: bool) -> None:
        """The managers' menus, for a manager; over the lock screen, for nobody."""
        can = self.window.desk.can
        for action, needs in ((self.conflicts_action, "sync.settle"),
                              (self.dead_letters_action, "sync.dead_letters")):
            action.setVisible(signed_in and can(needs))
            action.setEnabled(signed_in and can(needs))

    def open_member(self, member_id: uuid.UUID) -> None:
        """Enter on the board or the care list: the member's card on the desk page."""
        self.window.show_mode("desk")
        self.window.open_member_id(member_id)

    def ask_add_to_queue(self) -> None:
        profile = self.window.card.profile
        if profile is None:
            return
        dialog = QueueAddDialog(profile.name, self.widget)
        self.add_dialog = dialog  # tests drive it
        member_id, name = profile.member_id, profile.name
        dialog.accepted.connect(lambda: self.add_to_queue(member_id, name, *dialog.choice()))
        dialog.open()

    def add_to_queue(self, member_id: uuid.UUID, name: str, purpose: str,
                     appointment: bool) -> None:
        """The status bar says who went on the board and their place in it (what the
        guest asks next: "how long?")."""
        desk = self.window.desk

        def add() -> int:
            entry_id = desk.queue.add(member_id, purpose, appointment)
            return next((r.position for r in desk.queue.board() if r.entry_id == entry_id), 0)

        self.window.ops.mutate(add, lambda place: self.window.status_message.setText(
            t("In the queue: %1, number %2 to be called.").replace("%1", name)
            .replace("%2", str(place))))

    def open_conflicts(self) -> None:
        from vipdesk.ui.conflicts import ConflictsDialog

        ConflictsDialog(self.window.desk, self.window.ops, parent=self.widget).show()

    def open_dead_letters(self) -> None:
        from vipdesk.ui.dead_letters import DeadLettersDialog

        dialog = DeadLettersDialog(self.window.desk, self.window.ops, parent=self.widget)
        dialog.sig_handled.connect(self.window.sync_label.refresh_refused)
        dialog.show()

    def _locked(self) -> None:
        """Nothing of the board or the list stays behind the lock for the next person
        (the window has taken the desk back to F1)."""
        self._fit_menus(signed_in=False)
        self._close_managers_dialogs()
        self.board.model.set_rows([])
        self.care.model.set_items([])

    def _close_managers_dialogs(self) -> None:
        """The sync-conflict and refused-change windows show members' data to a manager:
        they close over the lock, whoever signs in next."""
        from vipdesk.ui.conflicts import ConflictsDialog
        from vipdesk.ui.dead_letters import DeadLettersDialog

        for kind in (ConflictsDialog, DeadLettersDialog):
            for dialog in self.widget.findChildren(kind):
                dialog.close()
                dialog.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget and event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        return False

    def retranslate(self) -> None:
        self.add_button.setText(t("Add to queue"))
        self.conflicts_action.setText(t("Sync conflicts"))
        self.dead_letters_action.setText(t("Refused changes"))

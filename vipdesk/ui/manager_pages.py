"""The manager's desk inside the main window: a mode bar in the top bar —
接待 Desk (F1) · 排队 Queue (F2) · 关怀 Care list (F3) · 报表 Reports (F4) — switching the
body between the lookup + member card and the three manager pages. Also puts
"Add to queue" on the member card.

Composed from outside the window, so the window itself stays small:
the mode bar is inserted after the brand, the pages sit under the top bar, and the desk
body (results + card) is hidden while another mode shows.

The window is shaped by who is signed in (SPEC §1): a page, menu or button the person may
not use is not shown (nor reachable by its F-key), decided from the service's permission
table on every sign-in. The services still refuse on their own.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QBoxLayout, QButtonGroup, QHBoxLayout, QPushButton, QStackedWidget

from vipdesk.services import auth
from vipdesk.ui.care_list import CareListPage
from vipdesk.ui.i18n import t
from vipdesk.ui.queue_board import QueueAddDialog, QueueBoard
from vipdesk.ui.reports_view import ReportsPage

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

    from vipdesk.desk import Desk
    from vipdesk.ui.member_card import MemberCard
    from vipdesk.ui.ops import Ops
    from vipdesk.ui.scanner import ScanDetector
    from vipdesk.ui.session_gate import SessionGate

MODES = ("desk", "queue", "care", "reports")
MODE_TEXT = {"desk": "Desk", "queue": "Queue", "care": "Care list", "reports": "Reports"}
# The permission each page reads with (the page's first service call needs it).
PAGE_NEEDS = {"queue": "queue.view", "care": "care.view", "reports": "report.view"}
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
    def desk_page(self) -> QWidget: ...
    @property
    def body(self) -> QBoxLayout: ...
    @property
    def results(self) -> QWidget: ...
    @property
    def pages(self) -> QWidget: ...
    @property
    def card(self) -> MemberCard: ...
    @property
    def search(self) -> QLineEdit: ...
    @property
    def scanner(self) -> ScanDetector: ...
    @property
    def gate(self) -> SessionGate: ...
    @property
    def status_message(self) -> QLabel: ...
    @property
    def conflicts_action(self) -> QAction: ...
    @property
    def dead_letters_action(self) -> QAction: ...
    def open_member_id(self, member_id: uuid.UUID) -> None: ...
    def window(self) -> QWidget: ...  # QWidget.window(): the main window as a widget


class ManagerPages(QObject):
    def __init__(self, window: DeskWindow) -> None:
        widget = window.window()
        super().__init__(widget)
        self.window, self.widget = window, widget
        self.mode = "desk"
        self.board = QueueBoard(window.desk, window.ops)
        self.care = CareListPage(window.desk, window.ops)
        self.reports = ReportsPage(window.desk, window.ops)
        self.stack = QStackedWidget()
        for page in (self.board, self.care, self.reports):
            self.stack.addWidget(page)
        self.stack.hide()
        self._mode_bar()
        self._queue_button()
        page_layout = window.desk_page.layout()
        assert isinstance(page_layout, QBoxLayout)
        page_layout.addWidget(self.stack, 1)
        self._wire()
        self.widget.installEventFilter(self)
        self.retranslate()

    def _mode_bar(self) -> None:
        self.group = QButtonGroup(self)
        bar = QHBoxLayout()
        bar.setSpacing(2)
        self.mode_buttons: dict[str, QPushButton] = {}
        self.shortcuts: dict[str, QShortcut] = {}
        for number, mode in enumerate(MODES, start=1):
            button = QPushButton()
            button.setCheckable(True)
            button.setObjectName("modeButton")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.group.addButton(button)
            button.clicked.connect(lambda _=False, m=mode: self.show_mode(m))
            shortcut = QShortcut(QKeySequence(f"F{number}"), self.widget)
            shortcut.activated.connect(lambda m=mode: self.show_mode(m))
            self.shortcuts[mode] = shortcut
            bar.addWidget(button)
            self.mode_buttons[mode] = button
        self.mode_buttons["desk"].setChecked(True)
        top = self.window.desk_page.layout().itemAt(0).layout()  # type: ignore[union-attr]
        top.insertLayout(1, bar)  # type: ignore[union-attr]

    def _queue_button(self) -> None:
        self.add_button = QPushButton()
        self.add_button.clicked.connect(self.ask_add_to_queue)
        row = self.window.card.history_actions
        row.insertWidget(row.count() - 1, self.add_button)  # before the stretch

    def _wire(self) -> None:
        w = self.window
        for page in (self.board, self.care, self.reports):
            page.sig_message.connect(w.status_message.setText)
        self.board.sig_open_member.connect(self.open_member)
        self.care.sig_open_member.connect(self.open_member)
        w.search.textEdited.connect(lambda _: self.show_mode("desk"))
        w.scanner.sig_scanned.connect(lambda _: self.show_mode("desk"))
        w.gate.sig_locked.connect(self._locked)
        # after the window's own sign-in wiring, so the role has the last word on menus
        w.gate.sig_signed_in.connect(lambda _actor: self.fit_to_role())
        self.fit_to_role()

    def may_open(self, mode: str) -> bool:
        needs = PAGE_NEEDS.get(mode)
        return needs is None or self.window.desk.can(needs)

    def fit_to_role(self) -> None:
        """Show the signed-in person the pages, menus and buttons they may use; a page
        they may not open goes, and if it was showing, the desk comes back."""
        can = self.window.desk.can
        open_pages = [mode for mode in MODES if self.may_open(mode)]
        for mode in MODES:
            shown = mode in open_pages and len(open_pages) > 1  # one page needs no bar
            self.mode_buttons[mode].setVisible(shown)
            self.shortcuts[mode].setEnabled(mode in open_pages)
        if self.mode not in open_pages:
            self.show_mode_unlocked("desk")
        self.add_button.setVisible(can("queue.add"))
        self._fit_board()
        card, actor = self.window.card, self.window.desk.actor
        for button, action in ((card.home_visit_button, "homevisit.log.own"),
                               (card.complaint_button, "complaint.open")):
            button.setVisible(auth.role_may(actor, action))  # per member: the service
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
        for action, needs in ((self.window.conflicts_action, "sync.settle"),
                              (self.window.dead_letters_action, "sync.dead_letters")):
            action.setVisible(signed_in and can(needs))
            action.setEnabled(signed_in and can(needs))

    def show_mode(self, mode: str) -> None:
        if self.window.gate.locked or not self.may_open(mode):
            return
        self.mode = mode
        self.mode_buttons[mode].setChecked(True)
        on_desk = mode == "desk"
        self._show_body(on_desk)
        if mode == "queue":
            self.stack.setCurrentWidget(self.board)
            self.board.start()
        else:
            self.board.stop()
        if mode == "care":
            self.stack.setCurrentWidget(self.care)
            self.care.load()
        if mode == "reports":
            self.stack.setCurrentWidget(self.reports)
            self.reports.load()

    def _show_body(self, desk: bool) -> None:
        """The lookup + card body, or the manager pages, gets the window's height."""
        self.window.results.setVisible(desk)
        self.window.pages.setVisible(desk)
        self.stack.setVisible(not desk)
        layout = self.window.desk_page.layout()
        assert isinstance(layout, QBoxLayout)
        layout.setStretchFactor(self.window.body, 1 if desk else 0)

    def open_member(self, member_id: uuid.UUID) -> None:
        """Enter on the board or the care list: the member's card on the desk page."""
        self.show_mode("desk")
        self.window.open_member_id(member_id)

    def ask_add_to_queue(self) -> None:
        profile = self.window.card.profile
        if profile is None:
            return
        dialog = QueueAddDialog(profile.name, self.widget)
        self.add_dialog = dialog  # tests drive it
        member_id = profile.member_id
        dialog.accepted.connect(lambda: self.add_to_queue(member_id, *dialog.choice()))
        dialog.open()

    def add_to_queue(self, member_id: uuid.UUID, purpose: str, appointment: bool) -> None:
        desk = self.window.desk
        self.window.ops.mutate(
            lambda: desk.queue.add(member_id, purpose, appointment),
            lambda _: self.window.status_message.setText(t("Added to the queue.")))

    def _locked(self) -> None:
        """Nothing of the board or the list stays behind the lock for the next person."""
        self.show_mode_unlocked("desk")
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

    def show_mode_unlocked(self, mode: str) -> None:
        self.mode = mode
        self.mode_buttons[mode].setChecked(True)
        self.board.stop()
        self._show_body(True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget and event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        return False

    def retranslate(self) -> None:
        for number, mode in enumerate(MODES, start=1):
            self.mode_buttons[mode].setText(f"{t(MODE_TEXT[mode])}  F{number}")
        self.add_button.setText(t("Add to queue"))

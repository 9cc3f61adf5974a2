"""The reception desk window: composes the search bar, results, member card, status bar.

It only wires widgets to `Desk` calls through `Ops`; the work lives in the services.

Why one module (~460 lines): the search and the one open card are a single piece of
state (the query that opened the card, the scan that replaces it); pages, menus, status
widgets and card actions come from outside through the extension points
(`add_mode`, `add_menu_action`, `add_status_widget`, `card.add_action`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from vipdesk.change_stream import Changes
from vipdesk.desk import Desk, DeskInfo
from vipdesk.services import auth
from vipdesk.services.auth import NOBODY, Actor
from vipdesk.services.card_view import CardView
from vipdesk.services.lookup import LookupOutcome, MemberHit, Note
from vipdesk.services.visits import TellApart
from vipdesk.ui import i18n, live
from vipdesk.ui.card_keys import CardKeys
from vipdesk.ui.care_contact_form import CareContactForms
from vipdesk.ui.change_pin import open_change_pin
from vipdesk.ui.empty_state import EmptyState
from vipdesk.ui.history_forms import HistoryForms
from vipdesk.ui.live import on_change
from vipdesk.ui.lounge_strip import LoungeBoard, LoungeStrip
from vipdesk.ui.manager_pages import ManagerPages
from vipdesk.ui.member_card import MemberCard
from vipdesk.ui.member_forms import MemberForms
from vipdesk.ui.messages import error_text
from vipdesk.ui.names import ROLE_NAMES, store_name
from vipdesk.ui.ops import Ops
from vipdesk.ui.points_forms import PointsForms
from vipdesk.ui.results import ResultsModel, ResultsView
from vipdesk.ui.scanner import BurstInBox, ScanDetector
from vipdesk.ui.session_gate import SessionGate
from vipdesk.ui.survey_form import SurveyForms
from vipdesk.ui.sync_status import SyncLine
from vipdesk.ui.void_visit_form import VoidVisitForms
from vipdesk.ui.window_modes import DESK, WindowModes

if TYPE_CHECKING:
    from collections.abc import Callable

    from vipdesk.sync.runner import SyncStatus

SEARCH_DEBOUNCE_MS = 120
NOTE_TEXT = {Note.EMPTY: "", Note.TOO_LONG: "That is too long to be a name or number.",
             Note.NO_MATCH: "No member found. Check the number or try the last 4 digits.",
             Note.MORE: "More members match: type more to narrow it down."}


class MainWindow(QMainWindow):
    sig_profile_shown = Signal(object)  # MemberProfile — for tests and other panels
    sig_card_shown = Signal(object)  # CardView: the card's offers (check-out, care, void…)

    def __init__(self, desk: Desk, ops: Ops, lang: str, *, require_sign_in: bool = False,
                 idle_lock_minutes: int = 0, sign_in_skipped: bool = False) -> None:
        super().__init__()
        self.desk, self.ops, self.lang = desk, ops, lang
        self.sign_in_skipped = sign_in_skipped  # a demo desk run without sign-in says so
        self.search_seq = 0
        self.open_after_search = False
        self.current: uuid.UUID | None = None
        self.opened_query = ""  # the search text the open card answers
        self._build()
        self.gate = SessionGate(self.root, self.desk_page, desk, ops, idle_lock_minutes)
        self._wire()
        self.manager = ManagerPages(self)  # queue board, care list, reports (F2–F4)
        self.retranslate()
        self.ops.query(desk.info, self._show_info)
        if require_sign_in:
            desk.actor = NOBODY  # until someone signs in, every service says no
            self.gate.require_sign_in()

    # -- composition -------------------------------------------------------------------

    def _build(self) -> None:
        self.brand = QLabel("vipdesk")
        self.brand.setObjectName("brand")
        self.store = QLabel()
        self.store.setObjectName("storeName")
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.results_model = ResultsModel(self)
        self.results = ResultsView()
        self.results.setModel(self.results_model)
        self.results.setMinimumWidth(340)
        self.card = MemberCard()
        self.card.timeline.tz = self.desk.tz
        self.placeholder = EmptyState()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(self.card)
        self.lounge_strip = LoungeStrip()  # 在店贵宾; kept up to date by LoungeBoard
        body = QHBoxLayout()  # results + card: the part that takes the height on F1
        body.addWidget(self.results, 2)
        body.addWidget(self.pages, 5)
        central = QWidget()
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(18, 14, 18, 10)
        self.modes = WindowModes(self, layout, body, self.desk.can, lambda: self.gate.locked)
        top = QHBoxLayout()
        top.addWidget(self.brand)
        top.addLayout(self.modes.bar)
        top.addWidget(self.search, 1)
        top.addWidget(self.store)
        layout.addLayout(top)
        layout.addWidget(self.lounge_strip)
        layout.addLayout(body, 1)
        layout.addWidget(self.modes.stack, 1)
        self.desk_page = central
        self.root = QStackedWidget()
        self.root.addWidget(central)
        self.setCentralWidget(self.root)
        self.status_message = QLabel()
        self.statusBar().addWidget(self.status_message, 1)
        self.busy = QLabel()
        self.statusBar().addPermanentWidget(self.busy)
        self.language_action = QAction(self)
        self.language_action.setShortcut(QKeySequence("Ctrl+L"))
        self.menuBar().addAction(self.language_action)
        self.lock_action = QAction(self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.menuBar().addAction(self.lock_action)
        self.pin_action = QAction(self)
        self.menuBar().addAction(self.pin_action)
        self.who = QLabel()
        self.statusBar().addPermanentWidget(self.who)
        self.sync_label = SyncLine(self.desk, self.ops)
        self.statusBar().addPermanentWidget(self.sync_label)
        self.resize(1280, 690)  # fits the smallest store screen, 1280 × 720 (gui maximises)

    def _wire(self) -> None:
        self.debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self.debounce.timeout.connect(self._run_search)
        self.search.textEdited.connect(lambda _: self.debounce.start())
        self.search.textEdited.connect(lambda _: self.show_mode(DESK))
        self.search.returnPressed.connect(self._search_entered)
        self.search.installEventFilter(self)
        self.search.textChanged.connect(self._query_changed)
        self.in_box = BurstInBox(self.search)
        self.in_box.sig_scanned.connect(self.scan)
        self.results.sig_open_requested.connect(self.open_member)
        self.results.sig_back_to_search.connect(self.search.setFocus)
        self.card.timeline.sig_more_requested.connect(self._more_history)
        self.card.sig_card_print_requested.connect(self.open_card_dialog)
        self.scanner = ScanDetector(self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.scanner)
        self.scanner.sig_scanned.connect(self.scan)
        self.scanner.sig_scanned.connect(lambda _: self.show_mode(DESK))
        self.scanner.sig_typed.connect(self._typed_elsewhere)
        self.ops.sig_failed.connect(lambda error: self.status_message.setText(
            error_text(error, self.desk.tz)))
        self.ops.sig_busy.connect(lambda busy: self.busy.setText("⏳" if busy else ""))
        self.language_action.triggered.connect(self.toggle_language)
        self.lock_action.triggered.connect(self.gate.lock)
        self.pin_action.triggered.connect(lambda: open_change_pin(self))
        self.gate.sig_locked.connect(lambda: self.pin_action.setEnabled(False))
        self.gate.sig_signed_in.connect(lambda _a: self.pin_action.setEnabled(True))
        self.gate.sig_locked.connect(self.forget_member)
        self.gate.sig_signed_in.connect(self._signed_in)
        self.gate.sig_signed_in.connect(lambda _a: self.fit_to_role())
        self.gate.sig_locked.connect(lambda: self.modes.switch(DESK))  # no page behind it
        self.history_forms = HistoryForms(self)
        self.points_forms = PointsForms(self)
        self.survey_forms = SurveyForms(self)
        self.care_contact_forms = CareContactForms(self)
        self.void_visit_forms = VoidVisitForms(self)
        self.member_forms = MemberForms(self)
        self.card_keys = CardKeys(self)  # Ctrl+I check in, Ctrl+K complaint, Ctrl+P print…
        self.lounge = LoungeBoard(self, self.lounge_strip)
        on_change(self.ops, self, live.MEMBER_CARD, self._member_changed)
        on_change(self.ops, self, live.HIT_FACTS, self._hit_facts_changed)
        self.fit_to_role()

    # -- extension points: what other parts add to the window, without its layout ------

    def add_mode(self, name: str, page: QWidget, key: str, label: str, *,
                 needs: str | None = None, shown: Callable[[], None] | None = None,
                 hidden: Callable[[], None] | None = None) -> None:
        """A page beside the desk, on the mode bar and its key (`window_modes.py`)."""
        self.modes.add(name, page, key, label, needs=needs, shown=shown, hidden=hidden)

    def show_mode(self, name: str) -> None:
        self.modes.show(name)

    def add_menu_action(self, action: QAction) -> None:
        """At the right end of the menu bar."""
        self.menuBar().addAction(action)

    def add_status_widget(self, widget: QWidget) -> None:
        """At the right end of the status bar, with the sync status."""
        self.statusBar().addPermanentWidget(widget)

    def fit_to_role(self) -> None:
        """Offer the pages and the card's actions the signed-in person's role may use."""
        self.modes.fit_to_role()
        self.card.fit_to_role(lambda action: auth.role_may(self.desk.actor, action))

    # -- search ------------------------------------------------------------------------

    def scan(self, code: str) -> None:
        """A scanner burst anywhere in the window: look it up and open the member."""
        if self.gate.locked:
            return  # nobody is signed in: a scan must not open a file behind the lock
        self.debounce.stop()  # the keys of the burst must not search on their own
        self.search.setText(code)
        self.open_after_search = True
        self._run_search()

    def _typed_elsewhere(self, text: str) -> None:
        """Typing outside the search box: with a card open a new search starts; over a
        list of hits (arrowing through them) the query grows."""
        if self.gate.locked:
            return
        new_search = self.current is not None or self.search.selectedText() != ""
        self.search.setFocus()
        self.search.setText(text if new_search else self.search.text() + text)
        self.debounce.start()

    def _query_changed(self, text: str) -> None:
        """The card belongs to the query that opened it: a new query takes it down at
        once, so no earlier guest (and their 到店登记 button) stays beside new hits."""
        if self.current is not None and text != self.opened_query:
            self.close_card()

    def _search_entered(self) -> None:
        if self.debounce.isActive() or self.search_seq_pending():
            self.open_after_search = True
            self.debounce.stop()
            self._run_search()
        elif self.results_model.hits:
            self.open_member(self.results_model.hits[max(self.results.currentIndex().row(), 0)])

    def search_seq_pending(self) -> bool:
        return self.search_seq != getattr(self, "shown_seq", 0)

    def _run_search(self) -> None:
        self.search_seq += 1
        seq, query = self.search_seq, self.search.text()
        self.ops.query(lambda: self.desk.members.search(query),
                       lambda out: self._show_hits(seq, out))

    def _show_hits(self, seq: int, outcome: LookupOutcome) -> None:
        if seq != self.search_seq:
            return  # an older search answered late: the person has typed on
        self._list(seq, outcome)
        self.status_message.setText(self.tr(NOTE_TEXT[outcome.note]) if outcome.note in
                                    NOTE_TEXT else self.tr("%n found").replace(
                                        "%n", str(len(outcome.hits))))
        if self.open_after_search and outcome.hits:
            self.open_member(outcome.hits[0])
        self.open_after_search = False

    def _list(self, seq: int, outcome: LookupOutcome, chosen: uuid.UUID | None = None) -> None:
        """The hits in the list, `chosen` (else the first) selected, and what the search
        said behind the card."""
        self.shown_seq = seq
        self.results_model.set_hits(outcome.hits)
        rows = [i for i, hit in enumerate(outcome.hits) if hit.member_id == chosen]
        if outcome.hits:
            self.results.setCurrentIndex(self.results_model.index(rows[0] if rows else 0))
        self.placeholder.show_outcome(outcome, self.tr(NOTE_TEXT.get(outcome.note, "")))
        self._tell_apart(seq, outcome.hits)

    def list_member(self, member_id: uuid.UUID, also: list[str]) -> None:
        """A member just registered (or opened from the register form) after a search that
        found nobody: the list shows them, selected, as if the search had found them, so
        ↓ and Enter reach them again; the status bar keeps what the form said. Listed as
        the search box's query finds them now, else as the first of `also` (the phone,
        card or name they were registered with) that does."""
        self.search_seq += 1
        seq, members = self.search_seq, self.desk.members
        queries = [q for q in (self.search.text(), *also) if q.strip()]

        def find() -> LookupOutcome | None:
            for query in queries:
                found = members.search(query)
                if any(hit.member_id == member_id for hit in found.hits):
                    return found
            return None

        self.ops.query(find, lambda outcome: self._listed(seq, outcome, member_id))

    def _listed(self, seq: int, outcome: LookupOutcome | None, member_id: uuid.UUID) -> None:
        if outcome is not None and seq == self.search_seq:  # else searched again meanwhile
            self._list(seq, outcome, member_id)

    def _tell_apart(self, seq: int, hits: list[MemberHit]) -> None:
        """Then, in one more query for the page: who is here, last visit, age."""
        desk, ids = self.desk, [h.member_id for h in hits]
        if ids:
            self.ops.query(lambda: desk.visits.tell_apart(ids),
                           lambda facts: self._show_facts(seq, facts), lambda _e: None)

    def _show_facts(self, seq: int, facts: dict[uuid.UUID, TellApart]) -> None:
        if seq == self.search_seq:
            self.results_model.set_facts(facts)

    def _hit_facts_changed(self, _changes: Changes) -> None:
        """A check-in or check-out (here, or pulled from another desk) changes what the
        listed hits say: read the facts again for the list on screen."""
        if self.results_model.hits and not self.search_seq_pending():
            self._tell_apart(self.search_seq, self.results_model.hits)

    def eventFilter(self, watched: object, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key == Qt.Key.Key_Down and self.results_model.hits:
                self.results.setFocus()
                return True
        return False

    # -- member card -------------------------------------------------------------------

    def open_member(self, hit: MemberHit) -> None:
        self.open_member_id(hit.member_id)

    def open_member_id(self, member_id: uuid.UUID) -> None:
        """Open the card: the audited view and the card's offers in one worker trip."""
        self.current = member_id
        self.opened_query = self.search.text()
        self.ops.mutate(lambda: self.desk.members.open_card(member_id),
                        lambda view: self._opened(member_id, view))

    def _opened(self, member_id: uuid.UUID, view: CardView | None) -> None:
        """A card opened from a search: the query is selected in the search box, so the
        next key or scan starts the next search instead of adding to this one."""
        if member_id != self.current or view is None:
            return
        self._show_card(member_id, view)
        if QApplication.activeModalWidget() is None:  # never pull keys out of a dialog
            self.search.setFocus()
            self.search.selectAll()

    def _show_card(self, member_id: uuid.UUID, view: CardView | None) -> None:
        if member_id != self.current or view is None:
            return
        self.card.show_profile(view.profile, self.lang)
        self.pages.setCurrentWidget(self.card)
        self.sig_card_shown.emit(view)
        self.sig_profile_shown.emit(view.profile)

    def _member_changed(self, _changes: Changes) -> None:
        """Someone wrote to what the open card shows (here, or on another desk and
        pulled): read it again, without a new audited view."""
        if self.current is not None:
            member_id = self.current
            self.ops.query(lambda: self.desk.members.open_card(member_id, again=True),
                           lambda view: self._show_card(member_id, view))

    def close_card(self) -> None:
        """No member on screen: the card's buttons and shortcuts act on nobody."""
        self.current = None
        self.card.profile = None
        self.pages.setCurrentWidget(self.placeholder)

    def open_card_dialog(self, member_id: uuid.UUID) -> None:
        from vipdesk.ui.printing import CardDialog

        dialog = CardDialog(member_id, self.desk.cards, self.desk.actor, self.ops.query,
                            parent=self, record=self.ops.mutate)
        dialog.setModal(True)
        dialog.show()

    def _more_history(self) -> None:
        member_id, cursor = self.current, self.card.timeline.cursor()
        if member_id is None:
            return
        self.ops.query(lambda: self.desk.members.timeline(member_id, before=cursor),
                       lambda page: self._append_history(member_id, page))

    def _append_history(self, member_id: uuid.UUID, page: list) -> None:  # type: ignore[type-arg]
        if member_id == self.current:
            self.card.timeline.append(page, page_size=50)

    # -- language and status -----------------------------------------------------------

    def toggle_language(self) -> None:
        self.lang = i18n.install("en" if self.lang == "zh" else "zh")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        title = self.tr("vipdesk — VIP lounge reception")
        if self.sign_in_skipped:
            title += " — " + self.tr("demo desk, no sign-in")
        self.setWindowTitle(title)
        self.search.setPlaceholderText(
            self.tr("Phone, last 4, card, member no., name — or scan"))
        if not self.placeholder.notice:
            self.placeholder.show_start()
        self.language_action.setText(self.tr("中文 / English"))
        self.lock_action.setText(self.tr("Lock"))
        self.pin_action.setText(self.tr("Change PIN…"))
        self.results_model.set_language(self.lang)
        self.card.lang = self.lang
        self.card.redraw()
        self.modes.retranslate()
        self.sync_label.redraw()  # status-bar lines set earlier follow Ctrl+L too
        if getattr(self, "info", None) is not None:
            self._show_info(self.info)
        if self.who.text():
            self._show_who(self.desk.actor)
        self.history_forms.refresh_overdue()
        self.status_message.clear()  # a passing message, said in the other language

    def show_sync_status(self, status: SyncStatus | None) -> None:
        """Online/offline, pending changes, last successful sync, the error in words;
        after each round, how many refused changes wait for a manager."""
        self.sync_label.show_status(status)
        if status is not None:  # what the round pulled: open views refresh themselves
            self.ops.publish(Changes.of(status.changed, "sync"))

    def forget_member(self) -> None:
        """Locked: nothing of the last guest stays on screen behind the lock."""
        self.close_card()
        self.search.clear()
        self.results_model.set_hits([])
        self.placeholder.show_start()
        self.status_message.clear()  # "已登记：欧阳娜娜 (…)" stayed under the lock screen

    def _signed_in(self, actor: Actor) -> None:
        self._show_who(actor)
        self.status_message.setText(self.tr("Signed in as %1").replace("%1", actor.name))
        self.search.setFocus()

    def _show_who(self, actor: Actor) -> None:
        role = i18n.t(ROLE_NAMES.get(actor.role, actor.role))
        self.who.setText(f"{actor.name} · {role}")

    def _show_info(self, info: DeskInfo) -> None:
        self.info = info  # shown again in the other language after Ctrl+L
        self.store.setText(f"{store_name(info.store_name, info.store_code, self.lang)}  ·  "
                           + self.tr("%n members").replace("%n", f"{info.members:,}"))

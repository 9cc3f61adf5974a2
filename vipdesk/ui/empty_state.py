"""What the main area shows when no member card is open: the hint to scan or type, or —
big, where the person is looking — what the last search said (nothing found, too long,
type more). The status bar is too far from the eyes for "not found"."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from vipdesk.services.lookup import LookupOutcome, Note
from vipdesk.ui.i18n import t

TITLE_STYLE = "font-size: 26px; font-weight: 600; color: {};"
NOTICE_COLOR = "#b3261e"  # the desk's error red (sign-in, form errors)
HINT_COLOR = "#6b6b6b"
REGISTER_KEYS = "Ctrl+N"  # the register button's key (vipdesk/ui/member_forms.py binds it)


class EmptyState(QWidget):
    # Register a new member from a search that found nobody: the query (a phone, card or
    # name as typed) goes into the form (vipdesk/ui/member_forms.py opens it).
    sig_register_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("placeholder")
        self.title = self._label("emptyTitle")
        self.detail = self._label("emptyDetail")
        self.detail.setStyleSheet(f"font-size: 16px; color: {HINT_COLOR};")
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(self.title)
        box.addWidget(self.detail)
        self.searched = ""  # the query that found nobody
        self.register_button = QPushButton()
        self.register_button.setObjectName("registerMember")
        self.register_button.hide()  # only after a search that found nobody
        self.register_button.clicked.connect(
            lambda: self.sig_register_requested.emit(self.searched))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.register_button)
        row.addStretch(1)
        box.addLayout(row)
        box.addStretch(2)
        self.notice = False

    @staticmethod
    def _label(name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def show_start(self) -> None:
        self.show_hint(t("Scan a member card or type a phone number, the last 4 digits or "
                         "a name."))

    def show_outcome(self, outcome: LookupOutcome, said: str) -> None:
        """What a search found, `said` being its note in words (the card covers this
        once it opens)."""
        query = outcome.query.strip()[:60]
        if outcome.note in (Note.NO_MATCH, Note.TOO_LONG):
            self.show_notice(said, t("You searched: %1").replace("%1", query))
            self.offer_register(query if outcome.note is Note.NO_MATCH else None)
        elif outcome.note is Note.MORE:
            self.show_notice(said)
        elif outcome.hits:
            self.show_hint(t("%n found").replace("%n", str(len(outcome.hits))),
                           t("Use ↓ to choose, Enter to open."))
        else:
            self.show_start()

    def show_hint(self, text: str, detail: str = "") -> None:
        """The calm state: what to do next."""
        self._show(text, detail, HINT_COLOR, notice=False)

    def show_notice(self, text: str, detail: str = "") -> None:
        """The search came back empty-handed (or needs more): say it loud."""
        self._show(text, detail, NOTICE_COLOR, notice=True)

    def _show(self, text: str, detail: str, color: str, *, notice: bool) -> None:
        self.notice = notice
        self.offer_register(None)
        self.title.setStyleSheet(TITLE_STYLE.format(color))
        self.title.setText(text)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))

    def text(self) -> str:
        """Everything shown, for tests and screen readers."""
        return "\n".join(t for t in (self.title.text(), self.detail.text()) if t)

    def offer_register(self, query: str | None) -> None:
        """Offer 登记新会员 for the query that found nobody (None: no offer)."""
        self.searched = query or ""
        self._name_button()
        self.register_button.setVisible(query is not None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:  # Ctrl+L: the button follows
            self._name_button()
        super().changeEvent(event)

    def _name_button(self) -> None:
        self.register_button.setText(f"{t('Register new member')}  ({REGISTER_KEYS})")

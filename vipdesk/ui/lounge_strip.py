"""在店贵宾: who is in the lounge right now at this desk's store, since when, a click to
open their card and a check-out; and the card's own "在店 · 21:38 起" chip.

`LoungeStrip` only shows rows and emits requests; `LoungeBoard` keeps it and the chip
true: it reads `VisitService.here_now` (what `vipdesk visit here` lists) after every
change the desk makes to the history, on a timer (other desks check guests in and out
through sync) and at sign-in, and empties the strip when the desk locks. Check-out goes
through the card's own confirmation (the same dialog as the card's 离店 button).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from vipdesk.change_stream import Changes
from vipdesk.services.card_view import CardView
from vipdesk.services.profile import MemberProfile
from vipdesk.services.visits import GuestHere
from vipdesk.ui import live
from vipdesk.ui.i18n import t
from vipdesk.ui.live import on_change

REFRESH_MS = 60_000  # check-ins from other desks arrive by sync; a minute is soon enough


def local_time(at: datetime, tz: str) -> str:
    return f"{at.astimezone(ZoneInfo(tz)):%H:%M}"


class LoungeStrip(QFrame):
    """One chip per guest: the name and arrival time (opens the card) and 离店."""

    sig_open_requested = Signal(object)  # member_id
    sig_check_out_requested = Signal(object)  # member_id
    sig_retranslated = Signal()  # the language changed: words shown elsewhere follow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loungeStrip")
        # One row high: the results and the card below take the rest of the height.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.guests: list[GuestHere] = []
        self.tz = "UTC"
        self.chips: dict[uuid.UUID, tuple[QPushButton, QToolButton]] = {}
        self.title = QLabel()
        self.title.setObjectName("loungeTitle")
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)
        inner = QWidget()
        inner.setLayout(self.row)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedHeight(40)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 4, 0, 4)
        box.addWidget(self.title)
        box.addWidget(scroll, 1)
        self.show_guests([], "UTC")

    def show_guests(self, guests: list[GuestHere], tz: str) -> None:
        self.guests, self.tz = list(guests), tz
        self._clear()
        self.chips = {}
        for guest in self.guests:
            self._add_chip(guest, tz)
        if not self.guests:
            empty = QLabel(t("nobody checked in"))
            empty.setObjectName("loungeEmpty")
            self.row.addWidget(empty)
        self.row.addStretch(1)
        self.title.setText(t("In the lounge (%n)").replace("%n", str(len(self.guests))))

    def _add_chip(self, guest: GuestHere, tz: str) -> None:
        name = QPushButton(f"{guest.name} · {local_time(guest.checked_in_at, tz)}")
        name.setObjectName("loungeGuest")
        name.setToolTip(" · ".join(x for x in (guest.member_no, guest.purpose, guest.offered,
                                                guest.received_by) if x))
        name.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the search box
        name.clicked.connect(lambda: self.sig_open_requested.emit(guest.member_id))
        out = QToolButton()
        out.setObjectName("loungeCheckOut")
        out.setText(t("Check out"))
        out.setToolTip(t("Check %1 out now?").replace("%1", guest.name))
        out.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        out.clicked.connect(lambda: self.sig_check_out_requested.emit(guest.member_id))
        self.row.addWidget(name)
        self.row.addWidget(out)
        self.row.addSpacing(12)  # one guest's pair of buttons, then the next guest
        self.chips[guest.member_id] = (name, out)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.show_guests(self.guests, self.tz)
            self.sig_retranslated.emit()
        super().changeEvent(event)

    def _clear(self) -> None:
        while self.row.count():
            item = self.row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def chip_for(self, member_id: uuid.UUID) -> tuple[QPushButton, QToolButton] | None:
        """The name and check-out buttons of a guest (tests click them)."""
        return self.chips.get(member_id)


class LoungeBoard(QObject):
    """Keeps the strip and the card's in-lounge chip in step with the visits."""

    def __init__(self, window: Any, strip: LoungeStrip) -> None:
        super().__init__(window)
        self.window, self.strip = window, strip
        self.desk, self.ops = window.desk, window.ops
        self.pending_check_out: uuid.UUID | None = None
        self.chip_member: uuid.UUID | None = None
        self.chip_since: datetime | None = None
        strip.sig_open_requested.connect(window.open_member_id)
        strip.sig_check_out_requested.connect(self.check_out)
        window.sig_card_shown.connect(self.show_chip)
        window.sig_profile_shown.connect(self._card_opened)
        on_change(window.ops, self, live.LOUNGE, self._changed)
        window.gate.sig_signed_in.connect(lambda _actor: self.refresh())
        window.gate.sig_locked.connect(self._locked)
        strip.sig_retranslated.connect(self._show_chip)
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    @property
    def tz(self) -> str:
        return str(self.desk.tz)

    def refresh(self) -> None:
        if self.window.gate.locked:
            return  # nobody may see who is here
        desk = self.desk
        self.ops.query(lambda: desk.visits.here_now(),
                       self._show, lambda _e: None)

    def _show(self, guests: list[GuestHere]) -> None:
        if not self.window.gate.locked:
            self.strip.show_guests(guests, self.tz)

    def _changed(self, _changes: Changes) -> None:
        self.refresh()

    def _locked(self) -> None:
        self.strip.show_guests([], self.tz)
        self.pending_check_out = None

    # -- check-out through the card's own confirmation --------------------------------

    def check_out(self, member_id: uuid.UUID) -> None:
        self.pending_check_out = member_id
        self.window.open_member_id(member_id)

    def _card_opened(self, profile: MemberProfile) -> None:
        if profile.member_id == self.pending_check_out:
            self.pending_check_out = None
            self.window.card.sig_check_out_requested.emit()

    # -- the card's chip ---------------------------------------------------------------

    def show_chip(self, view: CardView) -> None:
        self.chip_member, self.chip_since = view.profile.member_id, view.in_lounge_since
        self._show_chip()

    def _show_chip(self) -> None:
        since = self.chip_since
        self.window.card.set_in_lounge(None if since is None else t(
            "In the lounge · since %1").replace("%1", local_time(since, self.tz)))

"""Keys for the member card's actions, so a guest is received without the mouse.

The keys are those the card's actions were added with (`MemberCard.add_action`). Each
key presses its button, and only while that button is offered: on the desk page, with a
member on the card, not behind the lock, the button visible and enabled (so a key can
never do what the person could not click). Where buttons share a key, the first one
offered wins. The buttons' tooltips name their key.

A key pressed while a card is on its way (a scan, then Ctrl+I at once) is held and
pressed when that member's card shows; never on anyone else's card.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton

from vipdesk.ui.i18n import t

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QWidget

    from vipdesk.ui.member_card import MemberCard
    from vipdesk.ui.session_gate import SessionGate

# A key held longer than this is stale: the card failed to open or was put away, and
# the person has moved on.
HELD_KEY_SECONDS = 10.0


class CardWindow(Protocol):
    """What the keys use of the main window (which passes itself), so this module
    needs no import of it."""

    @property
    def card(self) -> MemberCard: ...
    @property
    def gate(self) -> SessionGate: ...
    @property
    def current(self) -> uuid.UUID | None: ...  # the member whose card is open or opening
    @property
    def status_message(self) -> QLabel: ...  # where a key that cannot act says why
    def window(self) -> QWidget: ...  # QWidget.window(): the main window as a widget


class CardKeys(QObject):
    def __init__(self, window: CardWindow) -> None:
        widget = window.window()
        super().__init__(widget)
        self.window, self.widget = window, widget
        self.keyed: dict[str, list[QAbstractButton]] = {}
        for action in window.card.card_actions:
            if action.keys is not None:
                self.keyed.setdefault(action.keys, []).append(action.button)
        # (member, buttons, when): a key pressed while that member's card was on its way
        self.held: tuple[uuid.UUID, list[QAbstractButton], float] | None = None
        self.shortcuts: dict[str, QShortcut] = {}
        for keys, buttons in self.keyed.items():
            shortcut = QShortcut(QKeySequence(keys), widget)
            shortcut.activated.connect(lambda pressed=buttons: self.press(pressed))
            self.shortcuts[keys] = shortcut
        window.card.sig_profile_shown.connect(self._card_shown)
        widget.installEventFilter(self)  # Ctrl+L: the tooltips change language too

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget and event.type() == QEvent.Type.LanguageChange:
            self.name_keys()
        return False

    def press(self, buttons: list[QAbstractButton]) -> bool:
        """Click the first of these card buttons that is on offer, or hold the key for
        the card on its way; False if none is on offer."""
        if self.window.gate.locked:
            return False
        if self._card_on_its_way():
            assert self.window.current is not None
            self.held = (self.window.current, buttons, time.monotonic())
            return True
        if not self.window.card.isVisible():
            return False
        for button in buttons:
            if button.isVisible() and button.isEnabled():
                button.click()
                return True
        self._say_not_for_this_role(buttons)
        return False

    def _say_not_for_this_role(self, buttons: list[QAbstractButton]) -> None:
        """A key for an action this person's role does not take says so: a key that
        does nothing at all reads as a broken keyboard."""
        card = self.window.card
        for action in card.card_actions:
            if action.button in buttons and action.needs and not card.role_may(action.needs):
                name = action.button.text().rstrip("…").strip()
                self.window.status_message.setText(
                    t("“%1” is not part of your role at this desk.").replace("%1", name))
                return

    def _card_on_its_way(self) -> bool:
        coming, shown = self.window.current, self.window.card.profile
        return coming is not None and (shown is None or shown.member_id != coming)

    def _card_shown(self, member_id: uuid.UUID) -> None:
        self.name_keys()
        held, self.held = self.held, None
        if held is None:
            return
        for_member, buttons, when = held
        if for_member == member_id and time.monotonic() - when < HELD_KEY_SECONDS:
            # After the window has finished showing the card (page, check-in state).
            QTimer.singleShot(0, lambda: self.press(buttons))

    def name_keys(self) -> None:
        """Each button's tooltip says its key (after the card set its texts)."""
        for keys, buttons in self.keyed.items():
            shown = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
            for button in buttons:
                button.setToolTip(t("Shortcut: %1").replace("%1", shown))

"""The window's modes: 接待 Desk (F1) and the pages added to it (the manager's queue,
care list and reports, F2–F4), one shown at a time.

The window owns all of it: the mode bar in its top bar, the stack of pages under the top
bar, and the height. While another page shows, the desk body (results + card) is hidden
and gives up its stretch, so the page takes the window's height. Whoever adds a page
says which permission opening it needs; a page the signed-in person may not open is not
offered (its button hidden, its key off), and one bar button alone is not shown at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from vipdesk.ui.i18n import t

DESK = "desk"


@dataclass
class Mode:
    page: QWidget | None  # None: the desk body itself
    key: str
    label: str  # English source text, said in the desk's language
    needs: str | None
    shown: Callable[[], None] | None
    hidden: Callable[[], None] | None
    button: QPushButton
    shortcut: QShortcut


class WindowModes(QObject):
    """`can(action)` says what the signed-in person may do; `locked()` whether the desk
    is behind the lock (no page opens there)."""

    def __init__(self, window: QWidget, layout: QBoxLayout, body: QBoxLayout,
                 can: Callable[[str], bool], locked: Callable[[], bool]) -> None:
        super().__init__(window)
        self.window, self.layout, self.body = window, layout, body  # body: inside layout
        self.can, self.locked = can, locked
        self.bar = QHBoxLayout()  # the window puts it in its top bar
        self.bar.setSpacing(2)
        self.group = QButtonGroup(self)
        self.stack = QStackedWidget()  # the window puts it under the top bar
        self.stack.hide()
        self.modes: dict[str, Mode] = {}
        self.mode = DESK
        self.add(DESK, None, "F1", "Desk")
        self.buttons[DESK].setChecked(True)

    @property
    def buttons(self) -> dict[str, QPushButton]:
        return {name: mode.button for name, mode in self.modes.items()}

    def add(self, name: str, page: QWidget | None, key: str, label: str, *,
            needs: str | None = None, shown: Callable[[], None] | None = None,
            hidden: Callable[[], None] | None = None) -> None:
        """A page and its bar button and key; `shown` runs each time it is shown,
        `hidden` when another mode takes its place."""
        button = QPushButton()
        button.setCheckable(True)
        button.setObjectName("modeButton")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _=False: self.show(name))
        self.group.addButton(button)
        self.bar.addWidget(button)
        shortcut = QShortcut(QKeySequence(key), self.window)
        shortcut.activated.connect(lambda: self.show(name))
        if page is not None:
            self.stack.addWidget(page)
        self.modes[name] = Mode(page, key, label, needs, shown, hidden, button, shortcut)
        self.retranslate()
        self.fit_to_role()

    def may_open(self, name: str) -> bool:
        needs = self.modes[name].needs
        return needs is None or self.can(needs)

    def fit_to_role(self) -> None:
        """Offer the signed-in person the pages they may open; a page they may not goes,
        and if it was showing, the desk comes back."""
        open_modes = [name for name in self.modes if self.may_open(name)]
        for name, mode in self.modes.items():
            mode.button.setVisible(name in open_modes and len(open_modes) > 1)
            mode.shortcut.setEnabled(name in open_modes)
        if self.mode not in open_modes:
            self.switch(DESK)

    def show(self, name: str) -> None:
        """Show a mode, if the desk is not locked and the person may open it."""
        if not self.locked() and self.may_open(name):
            self.switch(name)

    def switch(self, name: str) -> None:
        """Show a mode without asking (the lock takes the desk back to F1)."""
        before, mode = self.modes[self.mode], self.modes[name]
        self.mode = name
        mode.button.setChecked(True)
        if mode.page is not None:
            self.stack.setCurrentWidget(mode.page)
        self._give_height(to_desk=mode.page is None)
        if before is not mode and before.hidden is not None:
            before.hidden()
        if mode.shown is not None:
            mode.shown()

    def _give_height(self, to_desk: bool) -> None:
        """The lookup + card body, or the page, gets the window's height."""
        for index in range(self.body.count()):
            item = self.body.itemAt(index)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setVisible(to_desk)
        self.stack.setVisible(not to_desk)
        self.layout.setStretchFactor(self.body, 1 if to_desk else 0)

    def retranslate(self) -> None:
        for mode in self.modes.values():
            mode.button.setText(f"{t(mode.label)}  {mode.key}")

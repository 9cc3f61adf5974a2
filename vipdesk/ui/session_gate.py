"""Who is at the desk: the sign-in screen in front of the desk page, the idle lock, and
the fast switch of person (signing in over a locked desk). SPEC §10."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QStackedWidget, QWidget

from vipdesk.desk import Desk
from vipdesk.services.auth import Actor
from vipdesk.ui.messages import error_text
from vipdesk.ui.ops import Ops
from vipdesk.ui.signin import IdleWatcher, SignInScreen


class SessionGate(QObject):
    sig_signed_in = Signal(object)  # Actor
    sig_locked = Signal()

    def __init__(self, stack: QStackedWidget, desk_page: QWidget, desk: Desk, ops: Ops,
                 idle_minutes: int) -> None:
        super().__init__(stack)
        self.stack, self.desk_page, self.desk, self.ops = stack, desk_page, desk, ops
        self.screen = SignInScreen()
        stack.insertWidget(0, self.screen)
        self.screen.sig_signin_requested.connect(self._sign_in)
        self.idle = IdleWatcher(idle_minutes, self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.idle.install(app)
        self.idle.sig_idle.connect(self.lock)
        self.idle.pause()

    @property
    def locked(self) -> bool:
        return self.stack.currentWidget() is self.screen

    def require_sign_in(self) -> None:
        self.screen.show_signin()
        self._show_screen()

    def lock(self) -> None:
        actor = self.desk.actor
        self.screen.show_locked(getattr(actor, "staff_no", "") or "", actor.name)
        self._show_screen()

    def _show_screen(self) -> None:
        self.idle.pause()
        self.stack.setCurrentWidget(self.screen)
        self.sig_locked.emit()

    def _sign_in(self, staff_no: str, secret: str) -> None:
        self.ops.mutate(lambda: self.desk.sign_in(staff_no, secret), self._signed_in,
                        lambda error: self.screen.show_error(
                            error_text(error, self.desk.tz)))

    def _signed_in(self, actor: Actor) -> None:
        self.stack.setCurrentWidget(self.desk_page)
        self.idle.restart()
        self.sig_signed_in.emit(actor)

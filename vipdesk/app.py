"""Composition root: config → engine → services → UI, with qasync running asyncio inside
the Qt event loop (the sync scheduler lives there)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from vipdesk.config import Config
from vipdesk.desk import Desk
from vipdesk.services.tiers import DailyTierPass
from vipdesk.storage import open_database
from vipdesk.ui import i18n, theme
from vipdesk.ui.gc_guard import GuiThreadCollector
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

if TYPE_CHECKING:
    from vipdesk.sync.runner import SyncRunner


@dataclass
class DeskApp:
    qt: QApplication
    desk: Desk
    ops: Ops
    window: MainWindow
    tier_pass: DailyTierPass | None = None


def qt_application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("vipdesk")
    app.setOrganizationName("vipdesk")
    return app


def build(config: Config, *, sign_in: bool | None = None, create: bool = False) -> DeskApp:
    """The window on the configured desk; `storage.DeskOpenError` when it cannot open.

    `sign_in` is for callers that decide themselves (tests, `vipdesk screenshot`, which
    sets the signed-in person); left None, the desk asks for a sign-in unless it is a
    demo desk and the configuration turns sign-in off."""
    qt = qt_application()
    collector = GuiThreadCollector(qt)  # before any worker thread exists
    qt.aboutToQuit.connect(collector.stop)
    theme.apply(qt)
    lang = i18n.install(config.language or i18n.system_language())
    engine = open_database(config, create=create)
    desk = Desk(engine, store_code=config.store)
    # Members whose old purchases left the 12-month window move before anything reads
    # tiers today (the card, the queue, the care list's morning build).
    tier_pass = DailyTierPass(desk.factory, desk.clock)
    tier_pass.run_if_new_day()
    ops = Ops(qt)
    demo = _is_demo(desk)
    required = (config.sign_in or not demo) if sign_in is None else sign_in
    window = MainWindow(desk, ops, lang, require_sign_in=required,
                        idle_lock_minutes=config.idle_lock_minutes,
                        sign_in_skipped=demo and not required)
    qt.aboutToQuit.connect(ops.shutdown)
    app = DeskApp(qt, desk, ops, window, tier_pass)
    _check_audit_chain(app)
    return app


def _is_demo(desk: Desk) -> bool:
    from vipdesk.services.cli_sessions import is_demo

    with desk.factory() as session:
        return is_demo(session)


class AuditWarning(QLabel):
    """The lasting status-bar mark of a tampered audit log; follows Ctrl+L."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("auditWarning")
        self.setStyleSheet("color: #b00020; font-weight: bold;")
        self._retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self.setText(i18n.t("Audit log tampered with: tell the administrator"))
        self.setToolTip(i18n.t("`vipdesk audit verify` names the entry that was changed"))


def _check_audit_chain(app: DeskApp) -> None:
    """A tampered audit log is shown at once (checked off the UI thread)."""
    from vipdesk.outbox.audit_chain import local_break

    def warn(broken: object) -> None:
        if broken is not None:
            app.window.statusBar().addPermanentWidget(AuditWarning())

    app.ops.query(lambda: local_break(app.desk.engine), warn)


def run(config: Config) -> int:
    """The window until it closes; a desk that cannot open is a dialog, then its exit code
    (the default database is created on first start; a path given that holds no desk is
    refused, so a typo does not start an empty desk)."""
    import qasync

    from vipdesk.storage import DeskOpenError, default_desk

    try:
        app = build(config, create=default_desk(config))
    except DeskOpenError as error:
        show_fatal(str(error))
        return error.exit_code
    app.window.show()
    loop = qasync.QEventLoop(app.qt)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(_until_closed(app, config))
    return 0


def show_fatal(message: str) -> None:
    """The one sentence why the desk cannot start, in a dialog (the window never opens),
    and on stderr for whoever started it from a shell or a service log."""
    print(f"vipdesk: {message}", file=sys.stderr)
    qt_application()
    QMessageBox.critical(None, i18n.t("vipdesk cannot start"), message)


async def _until_closed(app: DeskApp, config: Config) -> None:
    """The app's lifetime on the asyncio side: background sync runs while the window does."""
    runner = _start_sync(app, config)
    closed = asyncio.Event()
    app.qt.lastWindowClosed.connect(closed.set)
    days = asyncio.ensure_future(_new_days(app))
    await closed.wait()
    days.cancel()
    if runner is not None:
        await runner.stop()


async def _new_days(app: DeskApp, every_seconds: float = 600) -> None:
    """A desk left open overnight re-tiers on the new local day, off the UI thread."""
    if app.tier_pass is None:
        return
    while True:
        await asyncio.sleep(every_seconds)
        await asyncio.to_thread(app.tier_pass.run_if_new_day)


def _start_sync(app: DeskApp, config: Config) -> SyncRunner | None:
    if not config.central_url:
        app.window.show_sync_status(None)
        return None
    from vipdesk.sync.runner import SyncRunner  # psycopg and the protocol: only when used

    runner = SyncRunner(app.desk.engine, config)
    runner.subscribe(app.window.show_sync_status)
    app.ops.sig_changed.connect(lambda _changes: runner.kick())
    runner.start()
    return runner

"""The status bar's words for the background sync (SPEC §9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel

from vipdesk.services.clock import DEFAULT_TZ
from vipdesk.ui.i18n import current, t
from vipdesk.ui.messages import local_time

if TYPE_CHECKING:  # the sync package (and psycopg) load only when a centre is configured
    from vipdesk.desk import Desk
    from vipdesk.sync.runner import SyncStatus
    from vipdesk.ui.ops import Ops

__all__ = ["SyncLine", "sync_text", "sync_tooltip"]


def sync_text(status: SyncStatus | None, refused: int = 0, tz: str = DEFAULT_TZ) -> str:
    """`refused`: changes the sync refused that no manager has handled yet; `tz`: the
    store's time zone (the last sync is said in its time)."""
    warning = ("  ·  ⚠ " + t("%n refused (see Refused changes)").replace("%n", str(refused))
               if refused > 0 else "")
    if status is None:
        return t("Standalone (no central database configured)") + warning
    if status.syncing:
        state = t("Syncing…")
    elif status.online is None:
        state = t("Not synced yet")
    else:
        state = t("Online") if status.online else t("Offline")
    parts = [state, t("%n pending").replace("%n", str(status.pending))]
    if status.last_success:
        when = local_time(status.last_success, tz)
        parts.append(t("last sync %1").replace("%1", when))
    # The runner's details are English (for IT and the log); the Chinese desk says what
    # happened in its words.
    english = current() == "en"
    if status.last_error and not status.online:
        parts.append(status.last_error[:80] if english else t("sync failed (details in the log)"))
    if status.warning:
        parts.append("⚠ " + (status.warning[:80] if english
                             else t("sync warning (details in the log)")))
    return "  ·  ".join(parts) + warning


def sync_tooltip(status: SyncStatus | None, tz: str = DEFAULT_TZ) -> str:
    """The runner's own details on the English desk; the status line, one part a line, on
    the Chinese one (the English details are in the log)."""
    if status is None:
        return ""
    if current() == "en":
        return status.describe()
    return sync_text(status, tz=tz).replace("  ·  ", "\n")


class SyncLine(QLabel):
    """The status bar's sync line: the runner's last status, and the refused changes
    that wait for a manager (counted again after each round and each one handled)."""

    def __init__(self, desk: Desk, ops: Ops) -> None:
        super().__init__()
        self.setObjectName("syncStatus")
        self.desk, self.ops = desk, ops
        self.status: SyncStatus | None = None
        self.refused = 0  # refused changes nobody has handled

    def show_status(self, status: SyncStatus | None) -> None:
        self.status = status
        self.redraw()
        if status is None or not status.syncing:
            self.refresh_refused()

    def refresh_refused(self) -> None:
        self.ops.query(self.desk.review.open_count, self._show_refused)

    def _show_refused(self, count: int) -> None:
        self.refused = count
        self.redraw()

    def redraw(self) -> None:
        """In the desk's language (again after Ctrl+L)."""
        self.setText(sync_text(self.status, self.refused, self.desk.tz))
        self.setToolTip(sync_tooltip(self.status, self.desk.tz))

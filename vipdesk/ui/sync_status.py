"""The status bar's words for the background sync (SPEC §9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vipdesk.services.clock import DEFAULT_TZ
from vipdesk.ui.i18n import current, t
from vipdesk.ui.messages import local_time

if TYPE_CHECKING:  # the sync package (and psycopg) load only when a centre is configured
    from vipdesk.sync.runner import SyncStatus

__all__ = ["sync_text", "sync_tooltip"]


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

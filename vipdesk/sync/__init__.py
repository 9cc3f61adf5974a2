"""Offline-first sync of every desk with the central database (DESIGN "Sync protocol").

No Qt here. Entry points: `sync_once` (one push-then-pull round), `SyncRunner` (the
app's background loop and its `SyncStatus`), `list_conflicts` / `settle_conflict` (the
manager's review), `Centre` / `connect` (the central database).
"""

from vipdesk.sync.central import Centre, CentreSettings, CentreUnavailable, connect, mask_url
from vipdesk.sync.conflicts import ConflictView, SettleError, list_conflicts, settle_conflict
from vipdesk.sync.engine import SyncReport, sync_once
from vipdesk.sync.runner import SyncRunner, SyncStatus

__all__ = [
    "Centre",
    "CentreSettings",
    "CentreUnavailable",
    "ConflictView",
    "SettleError",
    "SyncReport",
    "SyncRunner",
    "SyncStatus",
    "connect",
    "list_conflicts",
    "mask_url",
    "settle_conflict",
    "sync_once",
]

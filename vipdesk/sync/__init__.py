"""Offline-first sync of every desk with the central database (DESIGN "Sync protocol").

No Qt here. Entry points: `sync_once` (one push-then-pull round), `SyncRunner` (the
app's background loop and its `SyncStatus`), `list_conflicts` / `settle_conflict` (the
manager's review), `Centre` / `connect` (the central database).

The names load on first use (PEP 562): importing one sync module must not pull in
psycopg and the whole protocol at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "Centre": "central", "CentreSettings": "central", "CentreUnavailable": "central",
    "connect": "central", "mask_url": "central",
    "ConflictView": "conflicts", "SettleError": "conflicts", "list_conflicts": "conflicts",
    "settle_conflict": "conflicts",
    "SyncReport": "engine", "sync_once": "engine",
    "SyncRunner": "runner", "SyncStatus": "runner",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"vipdesk.sync.{_WHERE[name]}"), name)

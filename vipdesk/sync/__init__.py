"""Offline-first sync of every desk with the central database (DESIGN "Sync protocol").

No Qt here. Entry points: `sync_once` (one push-then-pull round), `Centre` /
`connect` (the central database), `content_digest` (convergence checks).
"""

from vipdesk.sync.central import Centre, CentreSettings, CentreUnavailable, connect, mask_url
from vipdesk.sync.engine import SyncReport, sync_once

__all__ = [
    "Centre",
    "CentreSettings",
    "CentreUnavailable",
    "SyncReport",
    "connect",
    "mask_url",
    "sync_once",
]

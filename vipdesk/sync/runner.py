"""Background sync for the app: an asyncio task, network work on its own thread.

The UI (under qasync) creates one `SyncRunner`, calls `start()`, calls `kick()` after
local writes, and shows `status` (or subscribes to it). Nothing here imports Qt; the
callbacks run on the event loop's thread, so a Qt slot may update widgets directly.
A slow or absent centre never blocks typing: the blocking work runs on a single
worker thread of its own, and an unreachable centre is retried with exponential
back-off (2 s, 4 s, … up to 5 minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine

from vipdesk.change_stream import collect
from vipdesk.config import Config
from vipdesk.models import utcnow
from vipdesk.sync.central import (
    CentreAPI,
    CentreUnavailable,
    mask_url,
    open_centre,
    settings_from,
)
from vipdesk.sync.engine import SyncReport, sync_once
from vipdesk.sync.push import pending

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None = None  # None until the first attempt
    syncing: bool = False
    pending: int = 0  # local changes not yet at the centre
    last_success: datetime | None = None
    last_error: str | None = None  # in words for the status bar; never a password
    retry_in_s: float | None = None
    warning: str | None = None  # e.g. this computer's clock is wrong
    # The desk tables the last round wrote (pulled records, conflicts…), for the views
    # that show them; empty on every other status.
    changed: frozenset[str] = frozenset()

    def describe(self) -> str:
        if self.online is None:
            state = "not synced yet"
        elif self.online:
            state = "online"
        else:
            state = "offline"
        parts = [state, f"{self.pending} pending"]
        if self.last_success:
            parts.append(f"last sync {self.last_success:%H:%M:%S} UTC")
        if self.last_error:
            parts.append(self.last_error)
        if self.retry_in_s:
            parts.append(f"retry in {self.retry_in_s:.0f}s")
        return " · ".join(parts)


Listener = Callable[[SyncStatus], None]


class SyncRunner:
    def __init__(self, desk: Engine, config: Config, *, interval: float = 30.0,
                 min_backoff: float = 2.0, max_backoff: float = 300.0,
                 centre_factory: Callable[[], CentreAPI] | None = None) -> None:
        self.desk = desk
        # Through the service a desk is the store it was enrolled for (the service pushes
        # as that store whatever the desk says); the configured store otherwise.
        self.store = _enrolled_store(config) or config.store
        self.interval = interval
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self._centre_label = mask_url(config.central_url) if config.central_url else ""
        self._factory = centre_factory or (lambda: open_centre(settings_from(config)))
        self._centre: CentreAPI | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vipdesk-sync")
        self._listeners: list[Listener] = []
        self._status = SyncStatus()
        self._written: set[str] = set()  # tables the current round wrote
        self._failures = 0
        self._retry_at = 0.0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    @property
    def status(self) -> SyncStatus:
        return self._status

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def start(self) -> None:
        """Start the background task on the running loop (keeps a reference to it)."""
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="sync")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._centre is not None:
            self._centre.dispose()

    def kick(self) -> None:
        """Local changes were written: push them now (or, offline, just count them)."""
        if self._wake is None:
            return
        if self._status.online is False and time.monotonic() < self._retry_at:
            asyncio.get_running_loop().create_task(self._refresh_pending())
            return
        self._wake.set()

    async def run_once(self) -> SyncStatus:
        """One round now (also what the loop does); returns the new status."""
        self._publish(replace(self._status, syncing=True))
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(self._executor, self._sync)
        except CentreUnavailable as error:
            message = f"{error} ({self._centre_label})" if self._centre_label else str(error)
        except Exception as error:  # any other failure: shown in words, retried later
            log.exception("sync round failed")
            message = f"sync failed: {str(error).splitlines()[0] if str(error) else error!r}"
        else:
            self._succeeded(report)
            self.rounds += 1
            return self._status
        count = await loop.run_in_executor(self._executor, self._after_failure)
        self._failed(message, count)
        self.rounds += 1
        return self._status

    async def _loop(self) -> None:
        assert self._wake is not None
        while True:
            await self.run_once()
            delay = self.interval if self._status.online else self._status.retry_in_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()

    def _sync(self) -> SyncReport:  # runs on the sync thread
        if self._centre is None:
            self._centre = self._factory()
        # Recorded also when the round fails half-way: the batches pulled before the
        # network went are on the desk and must be shown.
        with collect() as self._written:
            return sync_once(self.desk, self._centre, self.store)

    def _succeeded(self, report: SyncReport) -> None:
        self._failures = 0
        self._publish(SyncStatus(online=True, pending=report.pending, last_success=utcnow(),
                                 changed=frozenset(self._written),
                                 warning="; ".join(report.warnings) or None))

    def _failed(self, message: str, pending_count: int) -> None:
        self._failures += 1
        backoff = min(self.max_backoff, self.min_backoff * 2 ** (self._failures - 1))
        backoff *= 0.8 + random.random() * 0.4  # desks that lost the centre together spread out
        self._retry_at = time.monotonic() + backoff
        self._publish(replace(self._status, online=False, syncing=False, last_error=message,
                              retry_in_s=backoff, pending=pending_count,
                              changed=frozenset(self._written)))

    def _after_failure(self) -> int:  # runs on the sync thread
        # A fresh pool next time: the old connections died with the network.
        if self._centre is not None:
            self._centre.dispose()
            self._centre = None
        return self._count_pending()

    def _count_pending(self) -> int:
        with self.desk.connect() as conn:
            return pending(conn)

    async def _refresh_pending(self) -> None:
        count = await asyncio.get_running_loop().run_in_executor(self._executor,
                                                                 self._count_pending)
        self._publish(replace(self._status, pending=count))

    def _publish(self, status: SyncStatus) -> None:
        self._status = replace(status, changed=frozenset())  # told once, not again
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:  # a broken listener must not stop sync
                log.exception("sync status listener failed")


def _enrolled_store(config: Config) -> str:
    """Through the central service a desk is the store it was enrolled for; a missing
    or unreadable credential is reported by the first sync round, in words."""
    from pathlib import Path

    from vipdesk.sync.central import credential_path, is_service_url
    from vipdesk.sync.credential import CredentialError, load

    if not is_service_url(config.central_url):
        return ""
    try:
        return load(credential_path(Path(config.db))).store
    except CredentialError:
        return ""

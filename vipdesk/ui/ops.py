"""Running desk work off the UI thread and getting the answer back on it.

Two lanes, after Anki's taskman: reads run on a small pool; writes run one at a time on
a single worker (SQLite has one writer, and ordering of a person's actions matters).
Callbacks always run on the UI thread. Read widget values *before* calling `query` /
`mutate`; the function runs on a worker and must not touch widgets.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class Ops(QObject):
    """`ops.query(fn, on_done)` / `ops.mutate(fn, on_done, changes=…)`."""

    sig_failed = Signal(str)  # a message for the status bar / an error dialog
    sig_changed = Signal(object)  # frozenset of change flags: {"members", "visits", …}
    sig_busy = Signal(bool)
    _deliver = Signal(object, object, object)  # callback, value, changes

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="desk-read")
        self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-write")
        self._pending = 0
        self._closed = False
        self._deliver.connect(self._on_deliver, Qt.ConnectionType.QueuedConnection)

    def query(self, fn: Callable[[], Any], on_done: Done, on_error: Failed | None = None) -> None:
        self._submit(self._reads, fn, on_done, on_error, frozenset())

    def mutate(self, fn: Callable[[], Any], on_done: Done, on_error: Failed | None = None,
               changes: frozenset[str] = frozenset()) -> None:
        self._submit(self._writes, fn, on_done, on_error, changes)

    def shutdown(self) -> None:
        self._closed = True
        self._reads.shutdown(wait=True, cancel_futures=True)
        self._writes.shutdown(wait=True)

    def _submit(self, pool: ThreadPoolExecutor, fn: Callable[[], Any], on_done: Done,
                on_error: Failed | None, changes: frozenset[str]) -> None:
        if self._closed:
            # The desk is closing: a timer or a late signal of a page still asks for work.
            # Nothing would receive the answer; a write is logged so it is never silent.
            if pool is self._writes:
                log.warning("desk closing: a write was not started (%r)", fn)
            return
        self._set_pending(+1)
        future = pool.submit(fn)
        future.add_done_callback(lambda f: self._finished(f, on_done, on_error, changes))

    def _finished(self, future: Future[Any], on_done: Done, on_error: Failed | None,
                  changes: frozenset[str]) -> None:
        # Runs on the worker thread: only hand over to the UI thread here.
        error = future.exception()
        if error is not None:
            log.error("desk work failed:\n%s", "".join(traceback.format_exception(error)))
            self._deliver.emit(on_error or self._report, error, frozenset())
        else:
            self._deliver.emit(on_done, future.result(), changes)

    @Slot(object, object, object)
    def _on_deliver(self, callback: Callable[[Any], None], value: Any,
                    changes: frozenset[str]) -> None:
        self._set_pending(-1)
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return  # the widget that asked was closed while the work ran
        callback(value)
        if changes:
            self.sig_changed.emit(changes)

    def _report(self, error: BaseException) -> None:
        self.sig_failed.emit(str(error) or type(error).__name__)

    def _set_pending(self, delta: int) -> None:
        before = self._pending
        self._pending += delta
        if (before == 0) != (self._pending == 0):
            self.sig_busy.emit(self._pending > 0)

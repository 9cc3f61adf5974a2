"""Running desk work off the UI thread and getting the answer back on it.

Two lanes, after Anki's taskman: reads run on a small pool; writes run one at a time on
a single worker (SQLite has one writer, and ordering of a person's actions matters).
Callbacks always run on the UI thread. Read widget values *before* calling `query` /
`mutate`; the function runs on a worker and must not touch widgets.

What a job wrote is read off its statements (`vipdesk.change_stream`) and announced once,
application-wide, as `sig_changed(Changes)` after the job's callback ran; sync pulls
announce the tables they applied the same way (`publish`). Widgets subscribe and refresh
what they show; nobody declares changes by hand. A read that writes is a mistake (its
write would wait for no one and its change would go unannounced): logged in the app,
an error in tests (`Ops.reads_must_not_write`).
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

from vipdesk.change_stream import Changes, collect

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


# Tables a read may write without it being a change anyone shows.
READ_MAY_WRITE = frozenset({"cli_sessions"})


@dataclass(frozen=True, slots=True)
class _Job:
    fn: Callable[[], Any]
    on_done: Done
    on_error: Failed | None


@dataclass(frozen=True, slots=True)
class _Answer:
    """A job's value (wrapped: a job may well return an exception as its value)."""

    value: Any


def _drop_tracebacks(error: BaseException) -> None:
    """Detach the (already logged) tracebacks down a failure's chain: their frames hold
    what the job's function held, which must not travel with the failure to the UI
    thread and back (clearing the frames' locals was not enough to let them go)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending += [current.__cause__, current.__context__]


class ReadWroteError(RuntimeError):
    """A `query` job wrote to the database: it belongs on the write lane (`mutate`)."""


class Ops(QObject):
    """`ops.query(fn, on_done)` / `ops.mutate(fn, on_done)`."""

    reads_must_not_write = False  # tests set it: a read that writes fails the test
    # the failure itself, not its English sentence: the window words it from what it
    # carries (`messages.error_text`: a refusal's action, a field problem's code)
    sig_failed = Signal(object)
    sig_changed = Signal(object)  # Changes: the tables a job or a sync pull wrote
    sig_busy = Signal(bool)
    _deliver = Signal(int, object, object)  # job id, _Answer or the failure, changes

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="desk-read")
        self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-write")
        self._pending = 0
        self._closed = False
        self._job_ids = itertools.count(1)
        self._jobs: dict[int, _Job] = {}
        self._deliver.connect(self._on_deliver, Qt.ConnectionType.QueuedConnection)

    def query(self, fn: Callable[[], Any], on_done: Done, on_error: Failed | None = None) -> None:
        self._submit(self._reads, fn, on_done, on_error)

    def mutate(self, fn: Callable[[], Any], on_done: Done, on_error: Failed | None = None) -> None:
        self._submit(self._writes, fn, on_done, on_error)

    def publish(self, changes: Changes) -> None:
        """Announce changes made outside the lanes (a sync pull); on the UI thread."""
        if changes:
            self.sig_changed.emit(changes)

    def shutdown(self) -> None:
        self._closed = True
        self._reads.shutdown(wait=True, cancel_futures=True)
        self._writes.shutdown(wait=True)

    def _submit(self, pool: ThreadPoolExecutor, fn: Callable[[], Any], on_done: Done,
                on_error: Failed | None) -> None:
        if self._closed:
            # The desk is closing: a timer or a late signal of a page still asks for work.
            # Nothing would receive the answer; a write is logged so it is never silent.
            if pool is self._writes:
                log.warning("desk closing: a write was not started (%r)", fn)
            return
        self._set_pending(+1)
        job_id = next(self._job_ids)
        # The UI thread holds the job until its answer is delivered, so the function and
        # the callbacks (bound to widgets) are released here, never on the worker: a
        # widget's last reference dropped on a worker deletes it there and crashes Qt.
        self._jobs[job_id] = _Job(fn, on_done, on_error)
        pool.submit(self._run, job_id, pool is self._reads)

    def _run(self, job_id: int, is_read: bool) -> None:
        # Runs on the worker thread; it hands over by signal only and keeps nothing.
        try:
            value, changes = self._call(self._jobs[job_id].fn, is_read)
        except BaseException as error:  # every failure, whatever it is, goes to the UI
            log.error("desk work failed:\n%s", "".join(traceback.format_exception(error)))
            _drop_tracebacks(error)
            self._deliver.emit(job_id, error, Changes())
        else:
            self._deliver.emit(job_id, _Answer(value), changes)

    @staticmethod
    def _call(fn: Callable[[], Any], is_read: bool) -> tuple[Any, Changes]:
        # The tables this job wrote come back with its result.
        with collect() as written:
            value = fn()
        if is_read and written - READ_MAY_WRITE:
            message = f"a read wrote {sorted(written)}: run it with ops.mutate ({fn!r})"
            if Ops.reads_must_not_write:
                raise ReadWroteError(message)
            log.warning(message)
        return value, Changes.of(written)

    @Slot(int, object, object)
    def _on_deliver(self, job_id: int, outcome: _Answer | BaseException,
                    changes: Changes) -> None:
        self._set_pending(-1)
        job = self._jobs.pop(job_id)
        if isinstance(outcome, _Answer):
            callback, value = job.on_done, outcome.value
        else:
            callback, value = job.on_error or self._report, outcome
        try:
            owner = getattr(callback, "__self__", None)
            if not (isinstance(owner, QObject) and not shiboken6.isValid(owner)):
                callback(value)  # (unless the widget that asked was closed meanwhile)
        finally:
            self.publish(changes)  # the others still need to know what was written

    def _report(self, error: BaseException) -> None:
        self.sig_failed.emit(error)

    def _set_pending(self, delta: int) -> None:
        before = self._pending
        self._pending += delta
        if (before == 0) != (self._pending == 0):
            self.sig_busy.emit(self._pending > 0)

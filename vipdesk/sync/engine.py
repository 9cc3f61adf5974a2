"""One sync round for a desk: push the outbox, then pull what others changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from vipdesk.models import utcnow
from vipdesk.outbox import state
from vipdesk.outbox.capture import physical_clock
from vipdesk.sync.central import CentreAPI
from vipdesk.sync.pull import PullReport, pull_all
from vipdesk.sync.push import PushReport, pending, push_all

log = logging.getLogger(__name__)

SKEW_WARNING_MS = 5 * 60_000
MAX_ROUNDS = 5  # push/pull again while staff keep typing, then leave it for next time


class StoreMismatch(ValueError):
    """The desk database was set up for another store."""


@dataclass
class SyncReport:
    store: str
    pushed: PushReport = field(default_factory=PushReport)
    pulled: PullReport = field(default_factory=PullReport)
    pending: int = 0
    clock_skew_ms: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def outcomes(self) -> dict[str, int]:
        return self.pushed.outcomes


def bind_store(desk: Engine, store: str) -> None:
    """Record which store this desk belongs to; refuse to sync it as another store."""
    if not store:
        raise StoreMismatch("no store code configured (--store or VIPDESK_STORE)")
    with desk.begin() as conn:
        known = state.get(conn, state.STORE)
        if known and known != store:
            raise StoreMismatch(f"this desk database belongs to store {known}, not {store}")
        if not known:
            state.put(conn, state.STORE, store)


def sync_once(desk: Engine, centre: CentreAPI, store: str, *, pull: bool = True) -> SyncReport:
    bind_store(desk, store)
    report = SyncReport(store)
    for _ in range(MAX_ROUNDS):
        _merge(report.pushed, push_all(desk, centre, store))
        if not pull:
            break
        _merge_pull(report.pulled, pull_all(desk, centre))
        if not report.pulled.blocked_by_outbox:
            break
    _finish(desk, report)
    return report


def _merge(total: PushReport, part: PushReport) -> None:
    total.sent += part.sent
    total.batches += part.batches
    total.server_time_ms = part.server_time_ms or total.server_time_ms
    for name, count in part.outcomes.items():
        total.outcomes[name] = total.outcomes.get(name, 0) + count


def _merge_pull(total: PullReport, part: PullReport) -> None:
    total.applied += part.applied
    total.batches += part.batches
    total.failed += part.failed
    total.blocked_by_outbox = part.blocked_by_outbox
    total.snapshot = total.snapshot or part.snapshot
    total.desk_file = total.desk_file or part.desk_file
    total.server_time_ms = part.server_time_ms or total.server_time_ms


def _finish(desk: Engine, report: SyncReport) -> None:
    server = report.pulled.server_time_ms or report.pushed.server_time_ms
    with desk.begin() as conn:
        report.pending = pending(conn)
        if server is not None:
            report.clock_skew_ms = physical_clock(desk)() - server
            state.put(conn, state.SERVER_SKEW, str(report.clock_skew_ms))
        state.put(conn, state.LAST_SYNC, utcnow().isoformat())
    if report.clock_skew_ms is not None and abs(report.clock_skew_ms) > SKEW_WARNING_MS:
        minutes = report.clock_skew_ms / 60_000
        report.warnings.append(
            f"this computer's clock is {abs(minutes):.0f} minutes "
            f"{'ahead of' if minutes > 0 else 'behind'} the central server; "
            "edits still sync correctly, but please fix the clock")
        log.warning(report.warnings[-1])
    if report.pushed.outcomes.get("rejected"):
        report.warnings.append(f"{report.pushed.outcomes['rejected']} change(s) were refused "
                               "by the central server and kept as dead letters")

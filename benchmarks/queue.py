"""Queue board refresh with 200 guests waiting: `python -m benchmarks.queue`.

Target: one refresh (query + ordering + levels) ≤ 16 ms, a frame at 60 Hz. What is timed
is what the board page runs on a worker per refresh: `Desk.queue_board()` for a signed-in
manager of the store (a new session, the store's active entries, the `QueueRow`s).
Baseline: the same rows fetched with raw sqlite3 (no ordering, no dataclasses).

The app turns Python's automatic garbage collection off and collects on a GUI-thread
timer (`vipdesk/ui/gc_guard.py`), so the refreshes are timed with it off too and the
young generations are collected between them, untimed. Wall time and the thread's CPU
time are both shown: on a shared machine the gap between them is time spent preempted.
"""

from __future__ import annotations

import gc
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import percentile

WAITING = 200
RUNS = 200


def main() -> None:
    from vipdesk.db import open_desk_db, session_factory, unit_of_work
    from vipdesk.desk import Desk
    from vipdesk.models import Store
    from vipdesk.services.auth import Actor
    from vipdesk.services.clock import FixedClock
    from vipdesk.services.members import NewMember, add_member
    from vipdesk.services.tiers import seed_default_tiers

    path = Path(tempfile.mkdtemp()) / "queue.db"
    engine = open_desk_db(path)
    factory = session_factory(engine)
    clock = FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    with unit_of_work(factory) as s:
        seed_default_tiers(s)
        store = Store(code="SH01", name="上海")
        s.add(store)
    manager = Actor(None, "manager", "bench", store_id=store.id)
    desk = Desk(engine, clock=clock, actor=manager)
    tiers = [None, "senior", "diamond", "black"]
    with unit_of_work(factory) as s:
        for i in range(WAITING):
            m = add_member(s, NewMember(member_no=f"B{i:05d}", name_zh="赵钱孙",
                                        tier_code=tiers[i % 4]))
            desk.queue.service.add(s, manager, m.id, "advisor",
                                   appointment_at=clock.now() if i % 7 == 0 else None)
            clock.advance(seconds=13)
    clock.advance(minutes=10)

    def refresh() -> None:
        assert len(desk.queue.board()) == WAITING

    raw = sqlite3.connect(path)

    def baseline() -> None:
        raw.execute("SELECT q.*, m.member_no, m.name_zh FROM queue_entries q JOIN members m "
                    "ON m.id = q.member_id WHERE q.state IN ('waiting', 'called') "
                    "AND q.store_id = ?", (store.id.hex,)).fetchall()

    for fn in (refresh, baseline):
        fn()
    ours: tuple[list[float], list[float]] = ([], [])
    base: tuple[list[float], list[float]] = ([], [])
    gc.collect()
    gc.disable()
    try:
        for _ in range(RUNS):
            for fn, out in ((refresh, ours), (baseline, base)):
                timed(fn, out)
            gc.collect(1)
    finally:
        gc.enable()
    (wall, cpu), raw_ms = ours, median(base[0])
    print(f"board refresh, {WAITING} waiting: median {median(wall):.2f} ms, "
          f"p99 {p99(wall):.2f} ms (target ≤ 16 ms); CPU median {median(cpu):.2f} ms, "
          f"p99 {p99(cpu):.2f} ms; raw sqlite3 fetch {raw_ms:.2f} ms "
          f"({median(wall) / raw_ms:.1f}×)")


def timed(fn: Callable[[], None], out: tuple[list[float], list[float]]) -> None:
    """Append fn's wall and thread CPU time in ms."""
    started, started_cpu = time.perf_counter(), time.thread_time()
    fn()
    out[1].append((time.thread_time() - started_cpu) * 1000)
    out[0].append((time.perf_counter() - started) * 1000)


def median(values: list[float]) -> float:
    return percentile(sorted(values), 50)


def p99(values: list[float]) -> float:
    return percentile(sorted(values), 99)


if __name__ == "__main__":
    main()

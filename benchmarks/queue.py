"""Queue board refresh with 200 guests waiting: `python -m benchmarks.queue`.

Target: one refresh (query + ordering + levels) ≤ 16 ms, a frame at 60 Hz. Baseline:
the same rows fetched with raw sqlite3 (no ordering, no dataclasses).
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

WAITING = 200
RUNS = 200


def main() -> None:
    from vipdesk.db import open_desk_db, session_factory, unit_of_work
    from vipdesk.services.auth import Actor
    from vipdesk.services.clock import FixedClock
    from vipdesk.services.members import NewMember, add_member
    from vipdesk.services.queue import QueueService
    from vipdesk.services.tiers import load_tier_table, seed_default_tiers

    path = Path(tempfile.mkdtemp()) / "queue.db"
    factory = session_factory(open_desk_db(path))
    clock = FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    with unit_of_work(factory) as s:
        seed_default_tiers(s)
    with factory() as s:
        svc = QueueService(load_tier_table(s), clock)
    staff = Actor(None, "staff", "bench")
    tiers = [None, "senior", "diamond", "black"]
    with unit_of_work(factory) as s:
        for i in range(WAITING):
            m = add_member(s, NewMember(member_no=f"B{i:05d}", name_zh="赵钱孙",
                                        tier_code=tiers[i % 4]))
            svc.add(s, staff, m.id, "advisor", appointment_at=clock.now() if i % 7 == 0 else None)
            clock.advance(seconds=13)
    clock.advance(minutes=10)

    def refresh() -> None:
        with factory() as s:
            rows = svc.board(s)
        assert len(rows) == WAITING

    raw = sqlite3.connect(path)

    def baseline() -> None:
        raw.execute("SELECT q.*, m.member_no, m.name_zh FROM queue_entries q JOIN members m "
                    "ON m.id = q.member_id WHERE q.state IN ('waiting', 'called')").fetchall()

    for fn in (refresh, baseline):
        fn()
    ours, base = [], []
    for _ in range(RUNS):
        for fn, out in ((refresh, ours), (baseline, base)):
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
    ms = statistics.median(ours) * 1000
    p99 = sorted(ours)[int(RUNS * 0.99) - 1] * 1000
    raw_ms = statistics.median(base) * 1000
    print(f"board refresh, {WAITING} waiting: median {ms:.2f} ms, p99 {p99:.2f} ms "
          f"(target ≤ 16 ms); raw sqlite3 fetch {raw_ms:.2f} ms ({ms / raw_ms:.1f}×)")


if __name__ == "__main__":
    main()

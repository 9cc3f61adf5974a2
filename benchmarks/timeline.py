"""Opening a busy member's history: the first page of the timeline.

    python -m benchmarks.timeline [--records 10000] [--members 2000] [--runs 200]

Builds a demo lounge in a temporary file, gives one member `--records` mixed history rows
(visits, purchases, complaints, home visits, care contacts, surveys, tier and points
changes), then times `vipdesk.services.timeline.timeline(limit=50)` — a fresh session per
call, as the UI does — beside the same UNION ALL written by hand and run through raw
sqlite3 on one open connection (the floor: no ORM, no pool, no session).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from benchmarks.common import median_p99_ms
from vipdesk.db import open_desk_db
from vipdesk.models import (
    CareContact,
    Complaint,
    HomeVisit,
    Member,
    PointsEntry,
    Purchase,
    Survey,
    TierChange,
    Visit,
    uuid7,
)
from vipdesk.services.demo import build_demo
from vipdesk.services.timeline import timeline

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

RAW = """
SELECT * FROM (
  SELECT 'visit' AS kind, id, checked_in_at AS at, purpose AS summary, offered AS detail
    FROM visits WHERE member_id = :m
  UNION ALL SELECT 'purchase', id, occurred_at, CAST(amount_cents AS TEXT), description
    FROM purchases WHERE member_id = :m
  UNION ALL SELECT 'complaint', id, received_at, category || ' · ' || state, description
    FROM complaints WHERE member_id = :m
  UNION ALL SELECT 'home_visit', id, created_at, gift, notes
    FROM home_visits WHERE member_id = :m
  UNION ALL SELECT 'care', id, at, kind || ' · ' || channel, outcome
    FROM care_contacts WHERE member_id = :m
  UNION ALL SELECT 'survey', id, taken_at, questionnaire, NULL
    FROM surveys WHERE member_id = :m
  UNION ALL SELECT 'tier', id, created_at, kind || ': ' || to_tier, reason
    FROM tier_changes WHERE member_id = :m
  UNION ALL SELECT 'points', id, created_at, CAST(delta AS TEXT), reason
    FROM points_entries WHERE member_id = :m
) ORDER BY at DESC, id DESC LIMIT 50
"""


def _rows(kind: str, member_id: uuid.UUID, at: datetime, rng: random.Random) -> dict[str, Any]:
    base: dict[str, Any] = {"id": uuid7(), "member_id": member_id, "created_at": at}
    extra: dict[str, dict[str, Any]] = {
        "visit": {"checked_in_at": at, "checked_out_at": at + timedelta(minutes=40),
                  "purpose": "试穿", "offered": "龙井"},
        "purchase": {"occurred_at": at, "amount_cents": rng.randrange(10_000, 5_000_000),
                     "description": "腕表"},
        "complaint": {"received_at": at, "description": "等待太久", "category": "wait_time",
                      "severity": "minor", "state": "closed"},
        "home_visit": {"visited_on": at.date(), "gift": "茶具", "notes": "新居"},
        "care": {"kind": "birthday", "channel": "wechat", "outcome": "ok", "at": at},
        "survey": {"questionnaire": "sales", "taken_at": at},
        "tier": {"from_tier": "senior", "to_tier": "diamond", "kind": "auto"},
        "points": {"delta": rng.randrange(-500, 2000), "kind": "earn", "reason": "消费"},
    }
    return base | extra[kind]


MODELS = {"visit": Visit, "purchase": Purchase, "complaint": Complaint, "home_visit": HomeVisit,
          "care": CareContact, "survey": Survey, "tier": TierChange, "points": PointsEntry}


def add_history(engine: Any, member_id: uuid.UUID, records: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    batches: dict[str, list[dict[str, Any]]] = {k: [] for k in MODELS}
    for i in range(records):
        kind = rng.choice(tuple(MODELS))
        at = NOW - timedelta(minutes=37 * i + rng.randrange(30))
        batches[kind].append(_rows(kind, member_id, at, rng))
    with engine.begin() as conn:  # a benchmark fixture: bulk insert, never synced
        for kind, rows in batches.items():
            if rows:
                conn.execute(insert(MODELS[kind]), rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--members", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "timeline.db"
        engine = open_desk_db(path)
        build_demo(engine, members=args.members, seed=7, today=TODAY)
        with Session(engine) as s:
            member_id = s.scalar(select(Member.id).where(Member.member_no == "M0000001"))
        assert member_id is not None
        add_history(engine, member_id, args.records)

        def service() -> object:
            with Session(engine) as s:
                return timeline(s, member_id, limit=50)

        raw = sqlite3.connect(path)
        for pragma in ("cache_size=-65536", "mmap_size=268435456"):  # as vipdesk.db sets
            raw.execute(f"PRAGMA {pragma}")
        hex_id = member_id.hex  # SQLAlchemy stores UUIDs on SQLite as 32 hex characters

        def baseline() -> object:
            return raw.execute(RAW, {"m": hex_id}).fetchall()

        assert len(service()) == len(baseline()) == 50  # type: ignore[arg-type]
        svc_med, svc_p99 = median_p99_ms(service, args.runs)
        raw_med, raw_p99 = median_p99_ms(baseline, args.runs)
        raw.close()
        engine.dispose()
    print(f"timeline first page, member with {args.records:,} records, "
          f"{args.members:,} members, {args.runs} runs")
    print(f"  service (fresh session)  median {svc_med:7.2f} ms   p99 {svc_p99:7.2f} ms")
    print(f"  raw sqlite3 UNION ALL    median {raw_med:7.2f} ms   p99 {raw_p99:7.2f} ms")
    print(f"  ratio service/raw        {svc_med / raw_med:.1f}x   (target: median ≤ 150 ms)")


if __name__ == "__main__":
    main()

"""`vipdesk demo [--members N] [--seed S]`: a populated lounge to look at or benchmark."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from vipdesk.cli.common import config_from, fail


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[parent], help="create a demo database")
    p.add_argument("--members", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--force", action="store_true", help="replace an existing database file")
    p.add_argument("--publish", action="store_true",
                   help="queue the whole demo for the central database, so other desks "
                        "receive this lounge at their next sync")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from vipdesk.db import open_desk_db
    from vipdesk.services.demo import build_demo

    path = Path(config_from(args).db)
    if path.exists():
        if not args.force:
            return fail(f"{path} exists; use --force to replace it")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    engine = open_desk_db(path)
    stats = build_demo(engine, args.members, args.seed,
                       progress=lambda i: print(f"  {i:,} members…", file=sys.stderr))
    print(f"demo database {path}: {stats.members:,} members, {stats.rows:,} rows "
          f"in {time.perf_counter() - start:.1f}s")
    from vipdesk.services.staff import DEMO_PIN

    print(f"demo staff S001 (manager) … S009 sign in with PIN {DEMO_PIN} (docs/security.md)")
    if args.publish:
        from vipdesk.outbox.capture import enqueue_existing

        queued = enqueue_existing(engine)
        print(f"{queued:,} rows queued for the central database: "
              f"`vipdesk sync --once --central URL` sends them")
    return 0

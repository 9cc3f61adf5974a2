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
    _demo_pins(engine)
    return 0


def _demo_pins(engine: Any) -> None:
    """Demo staff get the documented demo PIN so the sign-in screen can be tried."""
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services.staff import DEMO_PIN, set_demo_pins

    with unit_of_work(session_factory(engine)) as session:
        count = set_demo_pins(session)
    print(f"{count} demo staff accounts sign in with PIN {DEMO_PIN} (docs/security.md)")

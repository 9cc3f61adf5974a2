"""`vipdesk care [--date D] [--json]`: the day's care list (builds and stores it)."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import open_db, print_json
from vipdesk.cli.history_common import guarded, parse_date, resolve_actor


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("care", parents=[parent], help="the daily care list")
    p.add_argument("--date", help="YYYY-MM-DD (default: today)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--open", action="store_true", help="leave out tasks already done")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services.carelist import CareListService
    from vipdesk.services.tiers import load_tier_table

    day = parse_date(args.date, "--date") if args.date else None
    engine = open_db(args)
    factory = session_factory(engine)
    actor = resolve_actor(args, engine)
    with unit_of_work(factory) as s:
        care = CareListService(load_tier_table(s)).build(s, actor, day)
    items = care.open_items if args.open else care.items
    if args.json:
        print_json({"date": care.day, "created": care.created, "items": items})
        return 0
    for i in items:
        late = f" +{i.days_overdue}d" if i.status == "overdue" else ""
        print(f"{i.status}{late}\t{i.due_on}\t{i.kind}\t{i.member_no}\t{i.name}\t{i.message}"
              f"\t[{i.task_key}]")
    print(f"# {care.day}: {len(care.open_items)} open, "
          f"{len(care.items) - len(care.open_items)} done, {care.created} new")
    return 0

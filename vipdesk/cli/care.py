"""`vipdesk care [--date D] [--json]`: the day's care list for this desk's store (its
members and its advisors' clients, as the window lists them; builds and stores it)."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import print_json
from vipdesk.cli.history_common import desk_for, guarded, parse_date


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("care", parents=[parent], help="the daily care list")
    p.add_argument("--date", help="YYYY-MM-DD (default: today)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--open", action="store_true", help="leave out tasks already done")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    day = parse_date(args.date, "--date") if args.date else None
    _, desk = desk_for(args)
    care = desk.care.build_list(day, limit=None)  # the store's list, as at the window
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

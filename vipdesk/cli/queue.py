"""`vipdesk queue add|list|next|served|left`: the peak-hour board from a script."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import print_json
from vipdesk.cli.history_common import (
    desk_for,
    guarded,
    parse_uuid,
    resolve_member,
    staff_id_of,
    when,
)

PURPOSES = ("advisor", "fitting_room", "pickup", "repair", "other")


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("queue", parents=[parent], help="the lounge's priority queue")
    actions = p.add_subparsers(dest="queue_action", required=True)
    add = actions.add_parser("add", parents=[parent], help="queue an arriving VIP")
    add.add_argument("query", help="phone, last 4 digits, card, member number or name")
    add.add_argument("--purpose", required=True, choices=PURPOSES)
    add.add_argument("--appointment", action="store_true", help="the guest has a booking")
    show = actions.add_parser("list", parents=[parent], help="the live board")
    show.add_argument("--json", action="store_true")
    nxt = actions.add_parser("next", parents=[parent], help="call the next guest")
    nxt.add_argument("--advisor", metavar="STAFF_NO", help="if their own advisor is busy")
    for name in ("served", "left"):
        done = actions.add_parser(name, parents=[parent], help=f"mark a guest {name}")
        done.add_argument("id", help="queue entry id (from `queue list`)")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    engine, desk = desk_for(args)  # the signed-in person's store board, as at the window
    if args.queue_action == "list":
        return _print_board(desk.queue.board(), args.json, desk.tz)
    if args.queue_action == "add":
        member_id, label = resolve_member(engine, args.query)
        entry_id = desk.queue.add(member_id, args.purpose, args.appointment)
        print(f"queued {label} for {args.purpose}: {entry_id}")
    elif args.queue_action == "next":
        advisor = staff_id_of(engine, args.advisor) if args.advisor else None
        called = desk.queue.call_next(advisor)
        if called is None:
            print("nobody is waiting")
            return 1
        print(f"called {called}")
    else:
        entry_id = parse_uuid(args.id, "id")
        desk.queue.finish(entry_id, args.queue_action)
        print(f"{entry_id}: {args.queue_action}")
    return 0


def _print_board(rows: list[Any], as_json: bool, tz: str) -> int:
    if as_json:
        print_json(rows)
        return 0
    for r in rows:
        mark = {"amber": "!", "red": "!!"}.get(r.level.value, "")
        print(f"{r.position or '→'}\t{r.entry_id}\t{r.member_no}\t{r.name}\t{r.tier_name}"
              f"\t{r.purpose}\t{when(r.arrived_at, tz)}\t{r.waited_minutes:.0f}/{r.target_minutes}"
              f" min {mark}\t{r.state}\t{r.advisor_name or ''}")
    if not rows:
        print("# nobody is waiting")
    return 0

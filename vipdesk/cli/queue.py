"""`vipdesk queue add|list|next|served|left`: the peak-hour board from a script."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import open_db, print_json
from vipdesk.cli.history_common import (
    CliError,
    guarded,
    parse_uuid,
    resolve_actor,
    resolve_member,
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
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services.queue import QueueService
    from vipdesk.services.tiers import load_tier_table

    engine = open_db(args)
    factory = session_factory(engine)
    actor = resolve_actor(args, engine)
    with factory() as s:
        svc = QueueService(load_tier_table(s))
    if args.queue_action == "list":
        with factory() as s:
            return _print_board(svc.board(s), args.json)
    with unit_of_work(factory) as s:
        return _act(args, engine, svc, s, actor)


def _act(args: argparse.Namespace, engine: Any, svc: Any, s: Any, actor: Any) -> int:
    if args.queue_action == "add":
        member_id, label = resolve_member(engine, args.query)
        entry = svc.add(s, actor, member_id, args.purpose,
                        appointment_at=svc.clock.now() if args.appointment else None)
        print(f"queued {label} for {args.purpose}: {entry.id}")
    elif args.queue_action == "next":
        advisor = _staff_id(s, args.advisor) if args.advisor else None
        entry = svc.call_next(s, actor, advisor_id=advisor)
        if entry is None:
            print("nobody is waiting")
            return 1
        print(f"called {entry.id} (advisor {entry.advisor_id or '-'})")
    else:
        entry_id = parse_uuid(args.id, "id")
        getattr(svc, args.queue_action)(s, actor, entry_id)
        print(f"{entry_id}: {args.queue_action}")
    return 0


def _staff_id(s: Any, staff_no: str) -> Any:
    from sqlalchemy import select

    from vipdesk.models import Staff

    found = s.scalar(select(Staff.id).where(Staff.staff_no == staff_no))
    if found is None:
        raise CliError(f"--advisor: no staff member {staff_no!r}")
    return found


def _print_board(rows: list[Any], as_json: bool) -> int:
    if as_json:
        print_json(rows)
        return 0
    for r in rows:
        mark = {"amber": "!", "red": "!!"}.get(r.level.value, "")
        print(f"{r.position or '→'}\t{r.entry_id}\t{r.member_no}\t{r.name}\t{r.tier_name}"
              f"\t{r.purpose}\t{when(r.arrived_at)}\t{r.waited_minutes:.0f}/{r.target_minutes}"
              f" min {mark}\t{r.state}\t{r.advisor_name or ''}")
    if not rows:
        print("# nobody is waiting")
    return 0

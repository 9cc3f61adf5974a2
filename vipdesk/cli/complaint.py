"""`vipdesk complaint open|advance|list`: the complaint workflow with its clocks."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.history_common import guarded

STEPS = ("contacted", "resolved", "followed_up", "closed", "reopened")


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("complaint", parents=[parent], help="record and handle complaints")
    actions = p.add_subparsers(dest="complaint_action", required=True)
    new = actions.add_parser("open", parents=[parent], help="record a complaint as told")
    new.add_argument("query", help="phone, last 4 digits, card, member number or name")
    new.add_argument("--category", required=True)
    new.add_argument("--severity", required=True, choices=("minor", "severe"))
    new.add_argument("--description", required=True, help="what happened")
    new.add_argument("--place")
    new.add_argument("--impact")
    new.add_argument("--json", action="store_true", help="print the complaint as JSON")
    new.set_defaults(run=guarded(run_open))
    step = actions.add_parser("advance", parents=[parent], help="the next step of a complaint")
    step.add_argument("id", help="the complaint id (from `complaint list`)")
    step.add_argument("--to", required=True, choices=STEPS)
    step.add_argument("--note")
    step.add_argument("--points", type=int, help="compensation points (on resolve)")
    step.add_argument("--item", help="gift or voucher given (on resolve, severe)")
    step.add_argument("--json", action="store_true", help="print the complaint as JSON")
    step.set_defaults(run=guarded(run_advance))
    ls = actions.add_parser("list", parents=[parent], help="open complaints and their clocks")
    ls.add_argument("--overdue", action="store_true", help="only those past a deadline")
    ls.add_argument("--json", action="store_true", help="print a JSON list")
    ls.set_defaults(run=guarded(run_list))


def _line(v: Any, tz: str) -> str:
    from vipdesk.cli.history_common import when

    due = v.contact_due or v.follow_up_due
    flag = "OVERDUE" if v.overdue else ""
    return (f"{v.complaint_id}\t{v.member_no} {v.member_name}\t{v.category}/{v.severity}"
            f"\t{v.state}\tdue {when(due, tz)}\t{flag}").rstrip()


def run_open(args: argparse.Namespace) -> int:
    from vipdesk.cli.history_common import desk_for, resolve_member
    from vipdesk.services.complaints import ComplaintDraft

    engine, desk = desk_for(args)
    member_id, _ = resolve_member(engine, args.query)
    view = desk.complaints.open(member_id, ComplaintDraft(
        args.category, args.severity, args.description, args.place, args.impact))
    return _show(args, view, desk.tz)


def _show(args: argparse.Namespace, view: Any, tz: str) -> int:
    from vipdesk.cli.common import print_json

    if args.json:
        print_json(view)
    else:
        print(_line(view, tz))
    return 0


def run_advance(args: argparse.Namespace) -> int:
    from vipdesk.cli.history_common import desk_for, parse_uuid
    from vipdesk.services.complaints import StepDraft

    _, desk = desk_for(args)
    view = desk.complaints.advance(parse_uuid(args.id, "id"),
                                   StepDraft(args.to, args.note, args.points, args.item))
    return _show(args, view, desk.tz)


def run_list(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import print_json
    from vipdesk.cli.history_common import desk_for

    _, desk = desk_for(args)  # every verb, the list too: it names members
    overdue, alerts = desk.complaints.watch()  # the alerts: for managers, as at the window
    views = overdue if args.overdue else desk.complaints.list_open()
    if args.json:
        print_json(views)
    else:
        for v in views:
            print(_line(v, desk.tz))
        for a in alerts:
            print(f"# EMERGENCY: {a.count} complaints about {a.category} in 24 hours")
    return 0

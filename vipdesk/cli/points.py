"""`vipdesk points QUERY earn|redeem|adjust N --reason R` and `vipdesk points QUERY --balance`."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.history_common import guarded


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("points", parents=[parent], help="a member's points: balance and ledger")
    p.add_argument("query", help="phone, last 4 digits, card, member number or name")
    p.add_argument("action", nargs="?", choices=("earn", "redeem", "adjust"))
    p.add_argument("amount", nargs="?", type=int, help="points (adjust: may be negative)")
    p.add_argument("--reason", help="why (required to redeem or adjust)")
    p.add_argument("--balance", action="store_true", help="print the balance")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import print_json
    from vipdesk.cli.history_common import CliError, desk_for, resolve_member
    from vipdesk.services.points import PointsDraft

    if args.action is None and not args.balance:
        raise CliError("say earn|redeem|adjust N, or --balance")
    if args.action is not None and args.amount is None:
        raise CliError(f"{args.action}: how many points?")
    engine, desk = desk_for(args)  # a balance is member data too: signed in
    member_id, label = resolve_member(engine, args.query)
    if args.action is not None:
        record = desk.points.change(member_id,
                                    PointsDraft(args.action, args.amount, args.reason))
        if args.json:
            print_json(record)
        else:
            print(f"{label}\t{record.kind} {record.delta:+,}\tbalance {record.balance:,}")
    if args.balance:
        total = desk.points.balance(member_id)
        if args.json:
            print_json({"member": label, "balance": total})
        else:
            print(f"{label}\t{total:,}")
    return 0

"""`vipdesk visit checkin|checkout|here|void`: the lounge's arrivals and departures from a
script, and taking back a wrong check-in."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.history_common import guarded


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("visit", parents=[parent], help="check VIPs in and out of the lounge")
    actions = p.add_subparsers(dest="visit_action", required=True)
    checkin = actions.add_parser("checkin", parents=[parent], help="a VIP arrives")
    checkin.add_argument("query", help="phone, last 4 digits, card, member number or name")
    checkin.add_argument("--purpose", help="why they came (取货, 试穿…)")
    checkin.add_argument("--offered", help="what was offered (default: their usual drink)")
    checkin.add_argument("--json", action="store_true", help="print the visit as JSON")
    checkin.set_defaults(run=guarded(run_checkin))
    checkout = actions.add_parser("checkout", parents=[parent], help="a VIP leaves")
    checkout.add_argument("query")
    checkout.add_argument("--json", action="store_true", help="print the visit as JSON")
    checkout.set_defaults(run=guarded(run_checkout))
    here = actions.add_parser("here", parents=[parent], help="who is in the lounge now")
    here.add_argument("--json", action="store_true", help="print a JSON list")
    here.add_argument("--all-stores", action="store_true", help="every store in this database")
    here.set_defaults(run=guarded(run_here))
    void = actions.add_parser("void", parents=[parent],
                              help="take back a wrong check-in (撤销来访登记; audited)")
    void.add_argument("visit_id", metavar="VISIT_ID", help="as `visit checkin` printed it")
    void.add_argument("--reason", required=True, help="why (required, up to 200 characters)")
    void.add_argument("--json", action="store_true", help="print the voided visit as JSON")
    void.set_defaults(run=guarded(run_void))


def _json(record: object) -> int:
    from vipdesk.cli.common import print_json

    print_json(record)
    return 0


def run_checkin(args: argparse.Namespace) -> int:
    from vipdesk.cli.history_common import desk_for, resolve_member, when

    engine, desk = desk_for(args)
    member_id, label = resolve_member(engine, args.query)
    visit = desk.visits.check_in(member_id, args.purpose, args.offered)
    if args.json:
        return _json(visit)
    print(f"{label}\tchecked in {when(visit.checked_in_at, desk.tz)} by {desk.actor.name}"
          f"\toffered: {visit.offered or '-'}\tvisit {visit.visit_id}")
    return 0


def run_checkout(args: argparse.Namespace) -> int:
    from vipdesk.cli.history_common import desk_for, resolve_member, when

    engine, desk = desk_for(args)
    member_id, label = resolve_member(engine, args.query)
    visit = desk.visits.check_out(member_id)
    if args.json:
        return _json(visit)
    print(f"{label}\tchecked out {when(visit.checked_out_at, desk.tz)}"
          f" (in since {when(visit.checked_in_at, desk.tz)})")
    return 0


def run_here(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import print_json
    from vipdesk.cli.history_common import desk_for, when

    _, desk = desk_for(args)
    store_id = None if args.all_stores else desk.actor.store_id
    guests = desk.visits.service.who_is_here(store_id)
    if args.json:
        print_json(guests)
    else:
        for g in guests:
            print(f"{when(g.checked_in_at, desk.tz)}\t{g.member_no}\t{g.name}\t{g.tier_code or '-'}"
                  f"\t{g.purpose or ''}\t{g.offered or ''}")
    return 0


def run_void(args: argparse.Namespace) -> int:
    from vipdesk.cli.history_common import CliError, desk_for, parse_uuid, when
    from vipdesk.services.visits import VisitNotFound

    _, desk = desk_for(args)
    visit_id = parse_uuid(args.visit_id, "VISIT_ID")
    try:
        voided = desk.visits.void(visit_id, args.reason)
    except VisitNotFound as exc:
        raise CliError(str(exc), 1) from None
    if args.json:
        return _json(voided)
    print(f"{voided.member_no}\tcheck-in of {when(voided.checked_in_at, desk.tz)} voided by "
          f"{desk.actor.name}"
          f"\tpurpose: {voided.purpose or '-'}\treason: {voided.reason}")
    return 0

"""`vipdesk homevisit QUERY --date D [--advisor S002] …`: record a home visit (家访).

Recorded by the signed-in person; `--advisor` names who visited when that is someone
else (a manager recording a colleague's visit; the service decides who may)."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.history_common import guarded


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("homevisit", parents=[parent], help="record a home visit")
    p.add_argument("query", help="phone, last 4 digits, card, member number or name")
    p.add_argument("--date", required=True, help="YYYY-MM-DD (not in the future)")
    p.add_argument("--advisor", metavar="STAFF_NO",
                   help="the advisor who visited (default: you, the signed-in person)")
    p.add_argument("--present", help="who was there")
    p.add_argument("--gift", help="the gift brought (伴手礼)")
    p.add_argument("--notes", required=True, help="what happened at the visit")
    p.add_argument("--learned", help="what was learned for the file")
    p.add_argument("--satisfaction", help="very_satisfied … very_unsatisfied, no_rating")
    p.add_argument("--follow-up", action="append", default=[], metavar="YYYY-MM-DD:TEXT",
                   help="a follow-up task (repeatable)")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p.set_defaults(run=guarded(run))


def _follow_ups(values: list[str]) -> list[Any]:
    from vipdesk.cli.history_common import CliError, parse_date
    from vipdesk.services.homevisits import FollowUpDraft

    out = []
    for value in values:
        due, sep, text = value.partition(":")
        if not sep:
            raise CliError(f"--follow-up: expected YYYY-MM-DD:text, got {value[:40]!r}")
        out.append(FollowUpDraft(parse_date(due.strip(), "--follow-up"), text.strip()))
    return out


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import print_json
    from vipdesk.cli.history_common import desk_for, parse_date, resolve_member, staff_id_of
    from vipdesk.services.homevisits import HomeVisitDraft

    engine, desk = desk_for(args)
    actor = desk.actor
    member_id, label = resolve_member(engine, args.query)
    advisor_id = staff_id_of(engine, args.advisor) if args.advisor else actor.staff_id
    draft = HomeVisitDraft(
        visited_on=parse_date(args.date, "--date"), advisor_id=advisor_id,
        present=args.present, gift=args.gift, notes=args.notes, learned=args.learned,
        satisfaction=args.satisfaction, follow_ups=_follow_ups(args.follow_up))
    record = desk.home_visits.log(member_id, draft)
    if args.json:
        print_json(record)
    else:
        print(f"{label}\thome visit {record.visited_on} recorded by {actor.name}"
              f"\t{len(record.follow_ups)} follow-up(s)\t{record.home_visit_id}")
    return 0

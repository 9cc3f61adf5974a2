"""`vipdesk lookup QUERY [--json]`: the desk's search from a script."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import print_json


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("lookup", parents=[parent], help="find members by phone, card, name…")
    p.add_argument("query")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli.history_common import desk_for
    from vipdesk.services.lookup import Note

    _, desk = desk_for(args)  # names and masked phones: for a signed-in person only
    outcome = desk.members.search(args.query, limit=args.limit)
    if args.json:
        print_json([{"member_no": h.member_no, "name": h.name, "name_latin": h.name_latin,
                     "tier": h.tier_code, "tier_name": h.tier_name_en,
                     "phone": h.phone_masked, "match": h.match.value,
                     "member_id": str(h.member_id)} for h in outcome.hits])
    else:
        for h in outcome.hits:
            print(f"{h.member_no}\t{h.name}\t{h.tier_name_en or '-'}\t{h.phone_masked or ''}"
                  f"\t({h.match.value})")
        if outcome.note not in (Note.OK,):
            print(f"# {outcome.note.value}")
    return 0 if outcome.hits else 1

"""`vipdesk card QUERY --out FILE.pdf [--template NAME] [--print [PRINTER]]`."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import fail


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("card", parents=[parent],
                       help="make a member's welcome card (PDF) and optionally print it")
    p.add_argument("query", help="phone, card, member number or name (one member)")
    p.add_argument("--out", help="write the card PDF here")
    p.add_argument("--template", help="card template (default: the member's tier)")
    p.add_argument("--print", dest="printer", nargs="?", const="", default=None,
                   metavar="PRINTER", help="print it (on PRINTER, else the default printer)")
    p.set_defaults(run=run)


def _one_member(engine: Any, query: str) -> Any:
    from vipdesk.services.lookup import LookupService

    outcome = LookupService(engine).search(query, limit=5)
    if not outcome.hits:
        return f"no member matches {query!r}"
    if len(outcome.hits) > 1:
        names = ", ".join(f"{h.member_no} {h.name}" for h in outcome.hits[:5])
        return f"{query!r} matches several members ({names}…): be more precise"
    return outcome.hits[0]


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli.history_common import desk_for
    from vipdesk.desk.cards import CardPrintError, write_pdf
    from vipdesk.printing.fonts import FontError
    from vipdesk.printing.templates import TemplateError
    from vipdesk.services.auth import PermissionDenied

    if not args.out and args.printer is None:
        return fail("say what to do with the card: --out FILE.pdf and/or --print [PRINTER]")
    engine, desk = desk_for(args)  # the card shows the member: a signed-in person makes it
    hit = _one_member(engine, args.query)
    if isinstance(hit, str):
        return fail(hit, 1)
    service = desk.cards
    try:
        card = service.render(hit.member_id, args.template)
        if args.out:
            print(f"wrote {write_pdf(card, args.out)}")
        for char in sorted(card.missing_glyphs):
            print(f"# warning: no installed font draws {char!r} (U+{ord(char):04X}); shown as 〓")
        if args.printer is not None:
            issued = service.issue(desk.actor, hit.member_id,
                                   args.printer or None, args.template, card)
            print(f"printed {hit.member_no} {hit.name} on {issued.printer} (job {issued.job_id})")
    except CardPrintError as exc:
        return fail(str(exc), 3)
    except (ValueError, TemplateError, FontError, PermissionDenied, OSError) as exc:
        return fail(str(exc))
    return 0

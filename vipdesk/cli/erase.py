"""`vipdesk erase QUERY --reason R --yes`: a member's erasure request.

Personal fields, phones, cards, preferences and search terms are scrubbed on this desk
and, through sync, everywhere; anonymous history stays for statistics (SPEC §10).
"""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.history_common import guarded


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("erase", parents=[parent], help="erase a member's personal data")
    p.add_argument("query", help="phone, card, member number or name (exactly one member)")
    p.add_argument("--reason", required=True, help="the request, e.g. its reference")
    p.add_argument("--yes", action="store_true", help="really erase (it cannot be undone)")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import open_db
    from vipdesk.cli.history_common import CliError, resolve_actor, resolve_member
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services.erasure import erase_member

    if not args.reason.strip():
        raise CliError("--reason: say whose request this is (it goes to the audit log)")
    engine = open_db(args)
    actor = resolve_actor(args, engine)  # before anything about the member is shown
    member_id, label = resolve_member(engine, args.query)
    if not args.yes:
        raise CliError(f"this erases {label} for good; add --yes to do it")
    with unit_of_work(session_factory(engine)) as session:
        erase_member(session, member_id, actor, reason=args.reason)
    print(f"erased {label}: personal data removed; it leaves this desk at the next sync")
    return 0

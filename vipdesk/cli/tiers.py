"""`vipdesk tiers show|apply FILE.toml|recompute`: the brand's tier table.

`show` prints the table and how many members hold each tier. `apply` checks a TOML
tier table (docs/tiers.md), adopts it in one transaction and re-tiers every member,
printing who moved (`--check`: the same report, nothing written). `recompute` runs the
daily pass now (members whose old purchases left the 12-month window move).
`apply` acts as the person signed in with `vipdesk signin` (the service decides who
may); `show` and `recompute` are the desk's own (counts, the daily pass) and need no
sign-in. Exit 0 on success, 2 for a refused file or permission, 4 nobody signed in.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vipdesk.cli.common import fail, open_db, print_json


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tiers", help="show or adopt the tier table; re-tier members")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    show = verbs.add_parser("show", parents=[parent], help="the tier table and its members")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=run_show)
    apply = verbs.add_parser("apply", parents=[parent],
                             help="adopt a tier table from a TOML file and re-tier members")
    apply.add_argument("file", help="the TOML tier table (see docs/tiers.md)")
    apply.add_argument("--check", action="store_true",
                       help="check the file and report who would move; write nothing")
    apply.add_argument("--json", action="store_true")
    apply.set_defaults(run=run_apply)
    again = verbs.add_parser("recompute", parents=[parent],
                             help="re-tier every member from the trailing 12 months now")
    again.add_argument("--json", action="store_true")
    again.set_defaults(run=run_recompute)


def _factory(args: argparse.Namespace, engine: Any = None) -> Any:
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services.tiers import seed_default_tiers

    factory = session_factory(engine or open_db(args))
    with unit_of_work(factory) as session:  # a fresh desk file has no tier table yet
        seed_default_tiers(session)
    return factory


def run_show(args: argparse.Namespace) -> int:
    from vipdesk.services.tier_config import tier_counts
    from vipdesk.services.tiers import load_tier_table

    with _factory(args)() as session:
        table = load_tier_table(session)
        counts = tier_counts(session)
    if args.json:
        print_json({"tiers": table.tiers, "members": {k or "-": v for k, v in counts.items()}})
        return 0
    print("rank  code          from (¥)       care  wait  pts/¥  card       members  name")
    for t in reversed(table.tiers):
        print(f"{t.rank:>4}  {t.code:<12}  {t.min_spend_cents // 100:>12,}  "
              f"{'yes' if t.in_care_plan else 'no':<4}  {t.target_wait_minutes:>3}m  "
              f"{t.points_per_100_yuan / 100:>5g}  {(t.card_template or '-'):<9}  "
              f"{counts.get(t.code, 0):>7,}  {t.name_zh} / {t.name_en}")
        print(f"{'':>20}benefits: {', '.join(b.code for b in t.benefits) or '-'}")
    print(f"{'':>4}  (no tier)  {'':>34}  {counts.get(None, 0):>7,}")
    return 0


def run_apply(args: argparse.Namespace) -> int:
    from vipdesk.cli.identity import acting
    from vipdesk.db import unit_of_work
    from vipdesk.services import auth
    from vipdesk.services.clock import Clock
    from vipdesk.services.tier_config import TierTableError, apply_table, load_file

    engine = open_db(args)
    actor = acting(args, engine)
    try:
        specs = load_file(args.file)
        factory = _factory(args, engine)
        if args.check:
            with factory() as session:  # the whole pass, then rolled back
                report = apply_table(session, actor, specs, Clock().now())
                session.rollback()
        else:
            with unit_of_work(factory) as session:
                report = apply_table(session, actor, specs, Clock().now())
    except (TierTableError, auth.PermissionDenied, LookupError) as exc:
        return fail(str(exc))
    if args.json:
        print_json({**vars(report), "written": not args.check})
        return 0
    verb = "would move" if args.check else "moved"
    print(f"tiers {' < '.join(report.tiers)}: added {', '.join(report.added) or 'none'}; "
          f"changed {', '.join(report.changed) or 'none'}; "
          f"removed {', '.join(report.removed) or 'none'}")
    if report.overrides_cleared:
        print(f"  {report.overrides_cleared:,} managers' overrides to a removed tier cleared")
    print(f"  {report.members:,} members re-tiered; {sum(report.moves.values()):,} {verb}")
    for move, n in report.moves.items():
        print(f"    {move}: {n:,}")
    if args.check:
        print("  (checked only: nothing written)", file=sys.stderr)
    return 0


def run_recompute(args: argparse.Namespace) -> int:
    from vipdesk.db import unit_of_work
    from vipdesk.services.clock import Clock
    from vipdesk.services.tiers import daily_pass, load_tier_table

    with unit_of_work(_factory(args)) as session:
        report = daily_pass(session, load_tier_table(session), Clock().now())
    moves = {f"{a or '-'} → {b or '-'}": n for (a, b), n in report.moves.items()}
    if args.json:
        print_json({"members": report.members, "moved": report.moved, "moves": moves})
        return 0
    print(f"{report.members:,} members re-tiered; {report.moved:,} moved")
    for move, n in sorted(moves.items()):
        print(f"    {move}: {n:,}")
    return 0

"""`vipdesk import members|purchases FILE.csv [--json]`: load members, or
purchases from the store's POS export, from a CSV.

Good rows are imported, every other row is reported with its line number and reason.
Exit 0 when every row was imported (or already there), 2 when any row was rejected or
the file could not be read at all.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vipdesk.cli.common import fail, open_db, print_json
from vipdesk.cli.identity import acting

SHOWN_REJECTIONS = 50  # the terminal gets the first ones; --json carries them all


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", help="import data from files (members, purchases)")
    what = p.add_subparsers(dest="what", metavar="WHAT", required=True)
    m = what.add_parser("members", parents=[parent], help="import members from a CSV file",
                        description="Columns (English or Chinese headers): member_no/会员号, "
                        "name/姓名, name_en/英文名, phone/手机, card_no/卡号, birthday/生日, "
                        "gender/性别, email/邮箱, spend_12m/近12个月消费, shared_phone/共用电话. "
                        "UTF-8, UTF-16, GB18030/GBK or Big5 (detected); ',' ';' or tab.")
    m.add_argument("file", help="the CSV file")
    m.add_argument("--json", action="store_true", help="print the report as JSON")
    m.add_argument("--encoding", help="the file's encoding (default: detected), e.g. big5hkscs")
    m.set_defaults(run=run)
    register_purchases(what, parent)


def register_purchases(what: Any, parent: argparse.ArgumentParser) -> None:
    p = what.add_parser("purchases", parents=[parent],
                        help="import purchases from a POS export (CSV)",
                        description="Columns (English or Chinese headers): phone/手机, "
                        "card_no/卡号 or member_no/会员号 (at least one), time/消费时间, "
                        "amount/金额, items/商品, store/门店 (default: --store), "
                        "receipt_no/小票号. A receipt already imported is left alone. "
                        "Members with new purchases are re-tiered once.")
    p.add_argument("file", help="the CSV file")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run_purchases)


def run_purchases(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import config_from
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services import auth
    from vipdesk.services.importer import ImportFileError
    from vipdesk.services.purchases import import_purchases
    from vipdesk.services.tiers import seed_default_tiers

    engine = open_db(args)
    actor = acting(args, engine)  # the signed-in person imports (exit 4 without one)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        seed_default_tiers(session)
    try:
        report = import_purchases(factory, args.file, actor, config_from(args).store)
    except (ImportFileError, auth.PermissionDenied, LookupError) as exc:
        return fail(str(exc))
    if args.json:
        print_json({**vars(report), "ok": report.ok})
    else:
        print_purchase_summary(report)
    return 0 if report.ok else 2


def print_purchase_summary(report: Any) -> None:
    rate = report.rows / report.seconds if report.seconds else 0.0
    print(f"{report.path}: {report.rows:,} rows ({report.encoding}, "
          f"delimiter {report.delimiter!r}) in {report.seconds:.1f}s, {rate:,.0f} rows/s")
    print(f"  imported {report.imported:,}, unchanged {report.unchanged:,}, "
          f"rejected {len(report.rejected):,}; {report.points:,} points earned")
    moves = ", ".join(f"{k}: {v:,}" for k, v in sorted(report.tier_moves.items()))
    print(f"  {report.members:,} members re-tiered" + (f"; moved {moves}" if moves else ""))
    print_rejections(report)


def run(args: argparse.Namespace) -> int:
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services import auth
    from vipdesk.services.import_rejects import RejectionSink
    from vipdesk.services.importer import ImportFileError, import_members
    from vipdesk.services.tiers import seed_default_tiers

    engine = open_db(args)
    actor = acting(args, engine)  # the signed-in person imports (exit 4 without one)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:  # a fresh desk file has no tier table yet
        seed_default_tiers(session)
    try:
        with RejectionSink(args.file, args.json) as sink:  # every rejection, as it comes
            report = import_members(factory, args.file, actor, encoding=args.encoding,
                                    on_reject=sink.write)
    except (ImportFileError, auth.PermissionDenied, LookupError) as exc:
        return fail(str(exc))
    if args.json:
        print_json({**vars(report), "ok": report.ok, "rejected_file": sink.path})
    else:
        print_summary(report, sink.path)
    return 0 if report.ok else 2


def print_summary(report: Any, rejected_file: str | None = None) -> None:
    rate = report.rows / report.seconds if report.seconds else 0.0
    print(f"{report.path}: {report.rows:,} rows ({report.encoding}, "
          f"delimiter {report.delimiter!r}) in {report.seconds:.1f}s, {rate:,.0f} rows/s")
    if report.encoding_evidence:
        print(f"  encoding {report.encoding}: {report.encoding_evidence}")
    print(f"  imported {report.imported_count:,}, unchanged {report.unchanged:,}, "
          f"rejected {report.rejected_count:,}")
    print_rejections(report)
    if report.rejected_count and rejected_file:
        print(f"  every rejected row, with its line and reason: {rejected_file}")


def print_rejections(report: Any) -> None:
    if report.ignored_columns:
        print(f"  ignored columns: {', '.join(report.ignored_columns)}")
    for row in report.rejected[:SHOWN_REJECTIONS]:
        lines = f"{row.line}-{row.last_line}" if row.last_line else f"{row.line}"
        who = f" ({row.member_no})" if row.member_no else ""
        print(f"  line {lines}{who}: {row.reason}", file=sys.stderr)
    hidden = getattr(report, "rejected_count", len(report.rejected)) - SHOWN_REJECTIONS
    if hidden > 0:
        print(f"  … and {hidden:,} more rejected rows", file=sys.stderr)

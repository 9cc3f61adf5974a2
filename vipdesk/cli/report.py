"""`vipdesk report NAME --out FILE.csv|FILE.pdf`: a manager report, exported."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vipdesk.cli.history_common import CliError, desk_for, guarded, parse_date

NAMES = ("lounge", "complaints", "care", "tiers", "satisfaction")


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[parent], help="manager reports to CSV or PDF")
    p.add_argument("name", choices=NAMES)
    p.add_argument("--out", required=True, help="FILE.csv or FILE.pdf")
    p.add_argument("--date", help="last day of the period, YYYY-MM-DD (default: today)")
    p.add_argument("--days", type=int, default=30, help="length of the period (default 30)")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".pdf"):
        raise CliError("--out: the file name must end in .csv or .pdf")
    day = parse_date(args.date, "--date") if args.date else None
    _, desk = desk_for(args)
    report = desk.reports.build(args.name, args.days, day)
    desk.reports.export(report, out)
    print(f"{report.title} ({report.period}) → {out}")
    return 0

"""`vipdesk` / `vipdesk gui`: the reception desk window."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import config_from


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("gui", parents=[parent], help="run the desk window (the default)")
    p.add_argument("--lang", choices=("zh", "en"), help="UI language (default: system locale)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from vipdesk.app import run as run_app

    return run_app(config_from(args))

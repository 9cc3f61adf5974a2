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
    from vipdesk.app import qt_application
    from vipdesk.app import run as run_app
    from vipdesk.ui.window_state import remember_main_window

    # Maximised on first start, then as it was left (size, place, maximised or not).
    remember_main_window(qt_application())
    return run_app(config_from(args))

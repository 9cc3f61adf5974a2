"""Entry point: `vipdesk [COMMAND]`, the GUI when no command is given."""

from __future__ import annotations

import argparse
import pkgutil
import sys
from collections.abc import Sequence
from importlib import import_module

import vipdesk.cli
from vipdesk.cli.common import common_options

# Every module in vipdesk/cli/ with `register(subparsers, parent)` adds its sub-command
# (its parser sets `run`); modules import their heavy dependencies inside `run`, so
# `vipdesk --help` stays fast.
NOT_COMMANDS = {"main", "common"}


def build_parser() -> argparse.ArgumentParser:
    parent = common_options()
    parser = argparse.ArgumentParser(prog="vipdesk", parents=[parent],
                                     description="VIP lounge reception desk")
    sub = parser.add_subparsers(dest="command")
    for info in sorted(pkgutil.iter_modules(vipdesk.cli.__path__), key=lambda m: m.name):
        if info.name in NOT_COMMANDS:
            continue
        module = import_module(f"vipdesk.cli.{info.name}")
        if hasattr(module, "register"):
            module.register(sub, parent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())

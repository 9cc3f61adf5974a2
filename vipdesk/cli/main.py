"""Entry point: `vipdesk [COMMAND]`, the GUI when no command is given."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from vipdesk.cli.common import common_options

# Each module has `register(subparsers, parent)`; its parser sets `run`.
COMMANDS = ("gui", "demo", "lookup", "import_cmd", "screenshot")


def build_parser() -> argparse.ArgumentParser:
    parent = common_options()
    parser = argparse.ArgumentParser(prog="vipdesk", parents=[parent],
                                     description="VIP lounge reception desk")
    sub = parser.add_subparsers(dest="command")
    for name in COMMANDS:
        try:
            module = import_module(f"vipdesk.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"vipdesk.cli.{name}":
                raise
            continue
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

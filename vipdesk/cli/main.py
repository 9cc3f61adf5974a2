"""Entry point: `vipdesk [COMMAND]`, the GUI when no command is given."""

from __future__ import annotations

import argparse
import os
import pkgutil
import sys
from collections.abc import Sequence
from importlib import import_module

import vipdesk.cli
from vipdesk.cli.common import common_options, fail

# Every module in vipdesk/cli/ with `register(subparsers, parent)` adds its sub-command
# (its parser sets `run`); modules import their heavy dependencies inside `run`, so
# `vipdesk --help` stays fast.
NOT_COMMANDS = {"main", "common"}
SHARED_OPTIONS = ("--db", "--store")  # every sub-command takes them (common_options)
SIGPIPE_EXIT = 141  # what a shell reports for a program stopped by a closed pipe
STAFF_OPTION_GONE = ("--staff no longer chooses who acts: sign in with "
                     "`vipdesk signin STAFF_NO` and the command acts as you")


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


def command_first(argv: list[str], commands: set[str]) -> list[str]:
    """`vipdesk --db F care` means `vipdesk care --db F`; no command means the window.

    argparse would read shared options given before the command and then let the
    sub-command's own defaults overwrite them, so they are moved behind it."""
    leading: list[str] = []
    i = 0
    while i < len(argv) and argv[i].split("=")[0] in SHARED_OPTIONS:
        width = 1 if "=" in argv[i] else 2
        leading += argv[i:i + width]
        i += width
    rest = argv[i:]
    if rest and rest[0] in commands:
        return [rest[0], *leading, *rest[1:]]
    if not rest or (rest[0].startswith("-") and rest[0] not in ("-h", "--help")):
        return ["gui", *leading, *rest]
    return argv


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name for action in actions for name in action.choices}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(command_first(argv, _subcommands(parser)))
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    if getattr(args, "legacy_staff", None) is not None:
        return fail(STAFF_OPTION_GONE)
    from vipdesk.cli.identity import NOT_SIGNED_IN, SignInRequired
    from vipdesk.storage import STORAGE_EXIT, DeskOpenError, storage_problem

    try:
        return int(args.run(args))
    except SignInRequired as missing:
        # One line, the same for every command: who acts is who signed in.
        print(missing.line, file=sys.stderr)
        return NOT_SIGNED_IN
    except DeskOpenError as error:
        # A missing, wrong or exposed key, or no database at the path: one sentence and
        # its own exit code (1 would read as "nothing found"), whichever command ran.
        return fail(str(error), error.exit_code)
    except BrokenPipeError:
        # `vipdesk care | head`: the reader has all it wants. Say nothing more; Python
        # would otherwise print a traceback while flushing stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return SIGPIPE_EXIT
    except Exception as error:
        # Busy (an import or the window's sync holds the write lock past the timeout),
        # disk full, read-only: one sentence and its own exit code, not a traceback.
        words = storage_problem(error)
        if words is None:
            raise
        return fail(words, STORAGE_EXIT)


if __name__ == "__main__":
    sys.exit(main())

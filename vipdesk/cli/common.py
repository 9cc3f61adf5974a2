"""What every sub-command shares: options, configuration, opening the database, output."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import Engine

from vipdesk.config import Config


def common_options() -> argparse.ArgumentParser:
    # SUPPRESS: an option not given sets nothing, so a nested command's parser (`visit
    # checkin`, which shares these options) cannot overwrite what the outer one read.
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    parent.add_argument("--db", help="desk database file (default: user data dir; env VIPDESK_DB)")
    parent.add_argument("--store", help="this desk's store code (env VIPDESK_STORE)")
    # Who acts is whoever signed in (`vipdesk signin`); the old option is refused with
    # that advice rather than an unknown-option error.
    parent.add_argument("--staff", dest="legacy_staff", help=argparse.SUPPRESS)
    return parent


def config_from(args: argparse.Namespace) -> Config:
    return Config.load({"db": getattr(args, "db", None), "store": getattr(args, "store", None),
                        "language": getattr(args, "lang", None),
                        "central_url": getattr(args, "central", None)})


# The sub-commands that start a new desk database where there is none: the first
# administrator, and a new desk's first sync (it receives the lounge from the centre).
# Every other one refuses a path with no database (a mistyped --db must not answer "no
# match"); `demo` and `encrypt --out` make their files themselves.
CREATES_DESK = {("staff", "init-admin"), ("sync", None)}


def open_db(args: argparse.Namespace, *, audit_table: bool = True) -> Engine:
    """The desk's engine, or `storage.DeskOpenError` (exit 3, via `cli.main`)."""
    from vipdesk.storage import open_database

    creates = (getattr(args, "command", None), getattr(args, "verb", None)) in CREATES_DESK
    return open_database(config_from(args), create=creates, audit_table=audit_table)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def print_json(value: Any) -> None:
    json.dump(_plain(value), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def fail(message: str, code: int = 2) -> int:
    print(f"vipdesk: {message}", file=sys.stderr)
    return code

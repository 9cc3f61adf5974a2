"""`vipdesk photo QUERY FILE` / `vipdesk photo QUERY --remove`: the member's card photo.

A JPEG or PNG of at most 256 KiB (vipdesk/services/photos.py); it syncs with the member.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vipdesk.cli.history_common import guarded


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("photo", parents=[parent], help="set or remove a member's card photo")
    p.add_argument("query", help="phone, card, member number or name (exactly one member)")
    p.add_argument("file", nargs="?", type=Path, help="a JPEG or PNG, at most 256 KiB")
    p.add_argument("--remove", action="store_true", help="take the photo off the member")
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli.common import open_db
    from vipdesk.cli.history_common import CliError, resolve_actor, resolve_member
    from vipdesk.db import session_factory
    from vipdesk.services.photos import PhotoService

    if (args.file is None) == (not args.remove):
        raise CliError("give either a photo FILE or --remove")
    data = None
    if args.file is not None:
        if not args.file.is_file():
            raise CliError(f"{args.file}: no such file")
        data = args.file.read_bytes()
    engine = open_db(args)
    actor = resolve_actor(args, engine)
    member_id, label = resolve_member(engine, args.query)
    PhotoService(session_factory(engine)).set(actor, member_id, data)
    print(f"{label}: photo {'removed' if data is None else f'set ({len(data):,} bytes)'}")
    return 0

"""`vipdesk signout`: end this OS user's command-line session on this desk."""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import config_from, open_db


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("signout", parents=[parent], help="end your command-line session")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli import identity
    from vipdesk.db import session_factory
    from vipdesk.services import cli_sessions
    from vipdesk.services.clock import Clock

    engine = open_db(args)
    path = identity.token_file(config_from(args).db)
    actor = identity.signed_in(args, engine)  # None when it had already ended
    token = identity.read_token(path)
    if token is not None:
        cli_sessions.close(session_factory(engine), token, actor, Clock())
    path.unlink(missing_ok=True)
    print(f"signed out: {actor.staff_no} {actor.name}" if actor else "not signed in")
    return 0

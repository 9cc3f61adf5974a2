"""`vipdesk signin STAFF_NO [--stdin]`: sign in on the command line (docs/security.md).

The PIN/password is read from the terminal without echo, or from one line of standard
input with `--stdin` (never from the command line: `ps` and shell history would keep
it). It is checked exactly as at the window (`staff.sign_in`: lock-out, audit). The
session is this OS user's on this desk database and ends after the idle-lock time
without use, at a PIN change or a disabled account, or at `vipdesk signout`.
"""

from __future__ import annotations

import argparse
from typing import Any

from vipdesk.cli.common import config_from, fail, open_db


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("signin", parents=[parent],
                       help="sign in: later commands act as you (exit 4 until you do)")
    p.add_argument("staff_no", metavar="STAFF_NO")
    p.add_argument("--stdin", action="store_true",
                   help="read the PIN/password from one line of standard input")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from vipdesk.cli import identity
    from vipdesk.db import session_factory
    from vipdesk.services import cli_sessions
    from vipdesk.services.clock import Clock
    from vipdesk.services.staff import SignInFailed

    engine = open_db(args)
    try:
        secret = identity.read_secret(args.stdin)
        opened = cli_sessions.open_session(session_factory(engine), args.staff_no, secret,
                                           identity.os_user(), Clock(), identity.desk_name())
    except (identity.NoSecret, SignInFailed) as exc:
        return fail(str(exc))
    config = config_from(args)
    try:
        identity.write_token(identity.token_file(config.db), opened.token)
    except OSError as exc:  # no usable state dir: a session nobody holds must not stay
        cli_sessions.close(session_factory(engine), opened.token, None, Clock())
        return fail(f"cannot keep the session: {exc}")
    a = opened.actor
    minutes = cli_sessions.idle_minutes(config.idle_lock_minutes)
    print(f"signed in: {a.staff_no} {a.name} ({a.role}); the session ends after {minutes} "
          "minutes without a command, or with `vipdesk signout`")
    return 0

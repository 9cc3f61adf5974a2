"""Who a command acts for: the person signed in with `vipdesk signin` (docs/security.md,
"Command-line sessions").

The session token lives in a file of the OS user's state directory (platformdirs, or
`VIPDESK_STATE_DIR`), named after the desk database's resolved path, mode 0600. A token
file others could read is refused and its session ended. The database keeps only the
token's hash (`services/cli_sessions.py`). Without a valid session a command exits 4 with
one line; on a demo desk it acts as the demo's manager instead.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import os
import socket
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vipdesk.cli.common import config_from

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from vipdesk.services.auth import Actor

NOT_SIGNED_IN = 4
SIGN_IN_LINE = {"zh": "请先登录：vipdesk signin 工号",
                "en": "sign in first: vipdesk signin STAFF_NO"}


class SignInRequired(Exception):
    """No usable session: `cli.main` prints `line` alone and exits 4. Not a ValueError
    or PermissionError, so no command's own error handling swallows it."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def language(args: argparse.Namespace) -> str:
    """`--lang`, else the configured language, else the locale's (as the window does)."""
    chosen = config_from(args).language
    if not chosen:
        env = os.environ
        chosen = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "zh" if chosen.lower().startswith("zh") else "en"


def sign_in_required(args: argparse.Namespace, line: str = "") -> SignInRequired:
    return SignInRequired(line or SIGN_IN_LINE[language(args)])


# -- the token file ----------------------------------------------------------------------


def state_dir() -> Path:
    env = os.environ.get("VIPDESK_STATE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("vipdesk", appauthor=False))


def token_file(db: Path) -> Path:
    """One file per desk database: a session on one desk file is not one on another."""
    digest = hashlib.sha256(str(db.expanduser().resolve()).encode()).hexdigest()[:32]
    return state_dir() / f"cli-session-{digest}.token"


class TokenFileExposed(Exception):
    def __init__(self, path: Path, token: str) -> None:
        super().__init__(f"{path}: readable by other users or not this user's file: session "
                         "ended; sign in again (vipdesk signin STAFF_NO)")
        self.token = token


def read_token(path: Path) -> str | None:
    """The token, None when there is no file; `TokenFileExposed` for a file others may
    read, a symbolic link or another user's file (its token may be known: end it)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    token = "" if stat.S_ISLNK(info.st_mode) else path.read_text(encoding="ascii",
                                                                 errors="replace").strip()
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if not stat.S_ISREG(info.st_mode) or not mine or info.st_mode & 0o077:
        raise TokenFileExposed(path, token)
    return token or None


def write_token(path: Path, token: str) -> None:
    """Created 0600 from the start (never briefly readable), then moved into place."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def os_user() -> str:
    return getpass.getuser()[:64]


def desk_name() -> str:
    return f"cli@{socket.gethostname()}"[:64]


# -- who acts ----------------------------------------------------------------------------


def signed_in(args: argparse.Namespace, engine: Engine) -> Actor | None:
    """The person of this OS user's valid session on this desk, else None (an invalid or
    exposed session is removed on the way)."""
    from vipdesk.db import session_factory
    from vipdesk.services import cli_sessions
    from vipdesk.services.clock import Clock

    config = config_from(args)
    factory = session_factory(engine)
    path = token_file(config.db)
    try:
        token = read_token(path)
    except TokenFileExposed as exposed:
        if exposed.token:
            cli_sessions.close(factory, exposed.token, None, Clock())
        path.unlink(missing_ok=True)
        raise sign_in_required(args, f"vipdesk: {exposed}") from None
    if token is None:
        return None
    try:
        return cli_sessions.resume(factory, token, os_user(), Clock(),
                                   config.idle_lock_minutes, desk_name())
    except cli_sessions.NotSignedIn:
        path.unlink(missing_ok=True)
        return None


def acting(args: argparse.Namespace, engine: Engine) -> Actor:
    """The signed-in person; on a demo desk without a session its manager; otherwise
    `SignInRequired` (exit 4)."""
    from vipdesk.db import session_factory
    from vipdesk.services import cli_sessions

    actor = signed_in(args, engine)
    if actor is None:
        actor = cli_sessions.demo_actor(session_factory(engine), desk_name())
    if actor is None:
        raise sign_in_required(args)
    return actor


# -- reading a secret --------------------------------------------------------------------


class NoSecret(ValueError):
    """Standard input ended or the line was empty: nothing to check."""


def has_terminal() -> bool:
    """Whether there is a terminal to ask on without echo (what getpass opens)."""
    try:
        with open("/dev/tty", "rb"):
            return True
    except OSError:
        return False


def read_secret(from_stdin: bool, prompt: str = "PIN or password: ",
                confirm: bool = False) -> str:
    """One line of standard input (`--stdin`), else the terminal without echo. End of
    input, no terminal or an empty entry is `NoSecret` (one line, never a traceback).

    Without a terminal getpass would fall back to reading standard input with an echo
    warning: a script must say `--stdin` instead, so nobody's PIN is read by surprise."""
    if not from_stdin and not has_terminal():
        raise NoSecret("no terminal to ask for the PIN/password on: give it on standard "
                       "input with --stdin")
    try:
        if from_stdin:
            secret = sys.stdin.readline().rstrip("\r\n")
        else:
            secret = getpass.getpass(prompt)
            if secret and confirm and getpass.getpass("again: ") != secret:
                raise ValueError("the two entries differ")
    except (EOFError, KeyboardInterrupt):
        raise NoSecret("no PIN/password given (standard input ended)") from None
    if not secret:
        raise NoSecret("no PIN/password given")
    return secret

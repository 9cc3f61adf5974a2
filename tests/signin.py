"""Signing in on the command line from a test: the real `vipdesk signin --stdin`, with
the session file in a temporary state directory (never the real home)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import delete

from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import DeskSetting
from vipdesk.services.staff import DEMO_PIN


def use_state_dir(monkeypatch: pytest.MonkeyPatch, path: Path) -> Path:
    monkeypatch.setenv("VIPDESK_STATE_DIR", str(path))
    return path


def sign_in(monkeypatch: pytest.MonkeyPatch, db: str | Path, staff_no: str,
            secret: str = DEMO_PIN) -> int:
    """`vipdesk signin STAFF_NO --stdin --db DB` with the secret on standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    return main(["signin", staff_no, "--stdin", "--db", str(db)])


def make_real_desk(db: str | Path) -> None:
    """Take the demo mark off a demo database: commands there need a sign-in."""
    engine = open_desk_db(db, migrate=False)
    with engine.begin() as conn:
        conn.execute(delete(DeskSetting))
    engine.dispose()


ADMIN_NO, ADMIN_SECRET = "A001", "correct horse 7"


def admin_signed_in(db: str | Path) -> str:
    """A new desk's first administrator (`staff init-admin`), signed in on the command
    line for the current state directory, as `vipdesk signin` would; returns the db."""
    from vipdesk.cli import identity
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services import cli_sessions, staff
    from vipdesk.services.clock import Clock

    engine = open_desk_db(db)
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        staff.init_admin(session, ADMIN_NO, "孙磊", ADMIN_SECRET)
    opened = cli_sessions.open_session(factory, ADMIN_NO, ADMIN_SECRET, identity.os_user(),
                                       Clock(), identity.desk_name())
    identity.write_token(identity.token_file(Path(db)), opened.token)
    engine.dispose()
    return str(db)


def give_pin(db: str | Path, staff_no: str, pin: str = DEMO_PIN) -> None:
    """An administrator's `set-password` for a test account that has no secret yet."""
    from vipdesk.db import session_factory, unit_of_work
    from vipdesk.services import staff
    from vipdesk.services.auth import SYSTEM

    engine = open_desk_db(db, migrate=False)
    with unit_of_work(session_factory(engine)) as session:
        staff.set_secret(session, SYSTEM, staff_no, pin)
    engine.dispose()

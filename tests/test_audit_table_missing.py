"""A desk whose audit_log table was dropped: every command says so in one sentence —
`audit verify` with exit 4 (the log is broken), every other command with exit 3 (the
desk refuses to open without its audit trail) — never a traceback."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from tests.test_keys import _argv, _leaf_commands
from vipdesk.cli.main import main
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.services import audit
from vipdesk.services.auth import SYSTEM

SENTENCE = "audit log table is missing"


def test_every_command_names_the_missing_audit_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    for name in ("VIPDESK_DB_KEY_FILE", "VIPDESK_DB_KEY_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "desk.db"
    engine = open_desk_db(db)
    with unit_of_work(session_factory(engine)) as s:
        audit.record(s, SYSTEM, "staff.add", None, "seed")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_log")
    engine.dispose()
    capfd.readouterr()
    commands, wrong = _leaf_commands(), []
    for name, argv in _argv(tmp_path).items():
        if name not in commands:
            continue
        monkeypatch.setattr(sys, "stdin", io.StringIO("135790\n"))
        code = main([*argv, "--db", str(db)])
        err = capfd.readouterr().err
        expected = 4 if name == "audit verify" else 3
        if (code, len(err.strip().splitlines())) != (expected, 1) or SENTENCE not in err \
                or "Traceback" in err:
            wrong.append(f"{name}: exit {code}, stderr {err[-300:]!r}")
    assert not wrong, "\n".join(wrong)

"""Keys and paths that fail politely: every sub-command, given an encrypted desk with a
missing, wrong, malformed or exposed key file, or a database path that does not exist,
says so in one sentence and exits 3 — no traceback, no SQLCipher log lines, and no new
empty desk where a path was mistyped."""

from __future__ import annotations

import argparse
import io
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from vipdesk import crypto
from vipdesk.cli.main import build_parser, main
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.services import audit
from vipdesk.services.auth import SYSTEM

ANY_ID = str(uuid.uuid4())
# Sub-commands with nothing to open here: the centre's own schema, and the commands that
# make a new file (the demo builder; encrypt reads a plain desk, writes a new one).
NO_DESK_TO_OPEN = {"central init", "central status", "demo", "encrypt", "gui"}
# The first administrator; a new desk's sync; a new desk's enrolment with the service.
STARTS_A_DESK = {"staff init-admin", "sync", "enrol"}


def _argv(tmp: Path) -> dict[str, list[str]]:
    csv = tmp / "rows.csv"
    csv.write_text("phone\n13800138000\n", encoding="utf-8")
    toml = Path(__file__).resolve().parent.parent / "resources" / "defaults" / "tiers.toml"
    out = str(tmp / "out.file")
    return {
        "audit list": ["audit", "list"],
        "audit export": ["audit", "export", "--out", out],
        "audit verify": ["audit", "verify"],
        "card": ["card", "8000", "--out", out],
        "care": ["care"],
        "complaint open": ["complaint", "open", "8000", "--category", "service",
                           "--severity", "minor", "--description", "cold tea"],
        "complaint advance": ["complaint", "advance", ANY_ID, "--to", "contacted"],
        "complaint list": ["complaint", "list"],
        # The desk opens before the one-time code goes to the service (nothing listens).
        "enrol": ["enrol", "ABCD-EFGH-JKLM", "--central", "https://127.0.0.1:9"],
        "erase": ["erase", "8000", "--reason", "request 1", "--yes"],
        "homevisit": ["homevisit", "8000", "--date", "2026-11-25", "--advisor", "S002",
                      "--notes", "tea"],
        "import members": ["import", "members", str(csv)],
        "import purchases": ["import", "purchases", str(csv)],
        "lookup": ["lookup", "8000"],
        "member add": ["member", "add", "--name-zh", "王芳", "--phone", "13900139000"],
        "member edit": ["member", "edit", "8000", "--email", "a@example.com"],
        "member show": ["member", "show", "8000"],
        "member merge": ["member", "merge", "M0000001", "M0000002", "--yes"],
        "photo": ["photo", "8000", "--remove"],
        "points": ["points", "8000", "--balance"],
        "queue add": ["queue", "add", "8000", "--purpose", "pickup"],
        "queue list": ["queue", "list"],
        "queue next": ["queue", "next"],
        "queue served": ["queue", "served", ANY_ID],
        "queue left": ["queue", "left", ANY_ID],
        "report": ["report", "lounge", "--out", str(tmp / "r.csv")],
        "screenshot": ["screenshot", "--out", str(tmp / "s.png")],
        "signin": ["signin", "S001", "--stdin"],
        "signout": ["signout"],
        "whoami": ["whoami"],
        "staff add": ["staff", "add", "S010", "--name", "李雷", "--role", "staff",
                      "--no-secret"],
        "staff init-admin": ["staff", "init-admin", "S010", "--name", "李雷", "--stdin"],
        "staff list": ["staff", "list"],
        "staff set-password": ["staff", "set-password", "S001", "--stdin"],
        "staff disable": ["staff", "disable", "S001"],
        "staff enable": ["staff", "enable", "S001"],
        "staff unlock": ["staff", "unlock", "S001"],
        "sync": ["sync", "--once", "--central", "postgresql+psycopg://nobody@127.0.0.1:9/x"],
        "tiers show": ["tiers", "show"],
        "tiers apply": ["tiers", "apply", str(toml)],
        "tiers recompute": ["tiers", "recompute"],
        "visit checkin": ["visit", "checkin", "8000"],
        "visit checkout": ["visit", "checkout", "8000"],
        "visit here": ["visit", "here"],
        "visit void": ["visit", "void", ANY_ID, "--reason", "wrong member"],
    }


def _leaf_commands() -> set[str]:
    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    nested = any(isinstance(a, argparse._SubParsersAction)
                                 for a in sub._actions)
                    if nested:
                        walk(sub, [*prefix, name])
                    else:
                        found.add(" ".join([*prefix, name]))

    walk(build_parser(), [])
    return found


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small encrypted desk (with an audit entry) and its key file."""
    tmp = tmp_path_factory.mktemp("keys")
    plain = tmp / "plain.db"
    engine = open_desk_db(plain)
    with unit_of_work(session_factory(engine)) as s:
        audit.record(s, SYSTEM, "staff.add", None, "seed")
    engine.dispose()
    db, key = tmp / "desk.db", tmp / "desk.key"
    crypto.encrypt_copy(plain, db, crypto.key_from_file(key, create=True))
    return db, key


def _missing_key(tmp: Path, db: Path, key: Path) -> tuple[Path, Path]:
    return db, tmp / "nowhere.key"


def _wrong_key(tmp: Path, db: Path, key: Path) -> tuple[Path, Path]:
    return db, crypto.create_key_file(tmp / "other.key")


def _malformed_key(tmp: Path, db: Path, key: Path) -> tuple[Path, Path]:
    bad = tmp / "bad.key"
    bad.write_text("not a key\n")
    bad.chmod(0o600)
    return db, bad


def _exposed_key(tmp: Path, db: Path, key: Path) -> tuple[Path, Path]:
    exposed = tmp / "exposed.key"
    exposed.write_text(key.read_text())
    exposed.chmod(0o644)
    return db, exposed


def _missing_db(tmp: Path, db: Path, key: Path) -> tuple[Path, Path]:
    return tmp / "typo" / "desk.db", key


FAULTS: dict[str, Callable[[Path, Path, Path], tuple[Path, Path]]] = {
    "missing key file": _missing_key, "wrong key": _wrong_key,
    "malformed key file": _malformed_key, "key file readable by others": _exposed_key,
    "missing database": _missing_db,
}
SENTENCE = {"missing key file": "no key file", "wrong key": "does not open",
            "malformed key file": "not a vipdesk key file",
            "key file readable by others": "readable by other users",
            "missing database": "no desk database"}


def test_every_command_is_in_the_matrix(tmp_path: Path) -> None:
    """A new sub-command joins the matrix below (or, if it opens no desk, the exemptions)."""
    assert _leaf_commands() - NO_DESK_TO_OPEN == set(_argv(tmp_path))


@pytest.mark.parametrize("fault", FAULTS)
def test_every_command_fails_politely(fault: str, encrypted: tuple[Path, Path],
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    db, key = FAULTS[fault](tmp_path, *encrypted)
    monkeypatch.setenv("VIPDESK_DB_KEY_FILE", str(key))
    wrong: list[str] = []
    for name, argv in _argv(tmp_path).items():
        if name in STARTS_A_DESK and fault == "missing database":
            continue  # tested below
        monkeypatch.setattr(sys, "stdin", io.StringIO("135790\n"))
        code = main([*argv, "--db", str(db)])
        _out, err = capfd.readouterr()  # the file descriptors: SQLCipher writes there
        lines = err.strip().splitlines()
        if (code, len(lines)) != (3, 1) or SENTENCE[fault] not in err or "Traceback" in err:
            wrong.append(f"{name}: exit {code}, stderr {err[-300:]!r}")
    assert not wrong, "\n".join(wrong)
    assert not (tmp_path / "typo").exists()  # no empty desk where the path was wrong


def test_init_admin_starts_a_desk_where_there_is_none(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("135790\n"))
    db = tmp_path / "new" / "desk.db"
    assert main(["staff", "init-admin", "S001", "--name", "周婷", "--stdin",
                 "--db", str(db)]) == 0
    assert db.exists()

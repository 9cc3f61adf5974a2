"""Every sub-command × who is signed in: nobody (exit 4, one line), a wrong secret at
signin (exit 2, still nobody), the right secret of a role the service refuses (exit 2),
the right secret of a role it allows (done) — and the audit log names the person who
typed the secret, never anyone else.

The expectations are the services' rules (SPEC §1, `auth.PERMISSIONS`): the command line
adds none of its own. The desk is a real one (the demo mark taken off), so nothing here
leans on the demo desk's no-sign-in convenience.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.signin import make_real_desk, sign_in
from tests.test_keys import _leaf_commands
from vipdesk.cli.identity import SIGN_IN_LINE
from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import AuditEntry
from vipdesk.services import staff
from vipdesk.services.clock import Clock
from vipdesk.services.demo import build_demo

DATA = Path(__file__).resolve().parent.parent / "data"
TIERS = Path(__file__).resolve().parent.parent.parent / "resources" / "defaults" / "tiers.toml"
MANAGER, STAFF, ADVISOR, ADMIN = "S001", "S005", "S002", "S009"
# Run as the desk itself, never as a person (docs/security.md "Command-line sessions").
DESK_COMMANDS = {"audit verify", "central init", "central status", "demo", "encrypt", "enrol",
                 "gui", "signin", "signout", "staff init-admin", "sync", "tiers recompute",
                 "tiers show", "whoami"}


@dataclass(frozen=True)
class Cell:
    argv: list[str]
    allowed: str  # a role the service lets do it
    refused: str | None  # a role the service refuses (None: every signed-in role may)
    prep: str = ""  # what must exist first: "visit" (checked in), "complaint", "queue"
    ok: int = 0


def _matrix(tmp: Path) -> dict[str, Cell]:
    out = str(tmp / "out.file")
    return {
        "audit list": Cell(["audit", "list"], MANAGER, STAFF),
        "audit export": Cell(["audit", "export", "--out", out], MANAGER, STAFF),
        "card": Cell(["card", "M0000001", "--out", str(tmp / "c.pdf")], STAFF, None),
        "care": Cell(["care"], MANAGER, STAFF),
        "complaint open": Cell(["complaint", "open", "M0000001", "--category", "wait_time",
                                "--severity", "minor", "--description", "cold tea"],
                               STAFF, ADMIN),
        "complaint advance": Cell(["complaint", "advance", "{complaint}", "--to", "contacted"],
                                  MANAGER, STAFF, prep="complaint"),
        "complaint list": Cell(["complaint", "list"], STAFF, None),
        "erase": Cell(["erase", "M0000003", "--reason", "request 1", "--yes"], MANAGER, STAFF),
        "homevisit": Cell(["homevisit", "M0000001", "--date", "2026-11-25", "--advisor",
                           ADVISOR, "--notes", "tea"], MANAGER, STAFF),
        "import members": Cell(["import", "members", str(DATA / "members_en_bom.csv")],
                               MANAGER, STAFF),
        "import purchases": Cell(["import", "purchases", str(tmp / "pos.csv")], MANAGER, STAFF),
        "lookup": Cell(["lookup", "M0000001"], STAFF, None),
        "member add": Cell(["member", "add", "--name-zh", "王芳", "--phone", "13900139000",
                            "--consent"], STAFF, None),
        "member edit": Cell(["member", "edit", "M0000001", "--email", "a@example.com"],
                            MANAGER, STAFF),
        "member show": Cell(["member", "show", "M0000001"], STAFF, None),
        "member merge": Cell(["member", "merge", "M0000001", "13712345678", "--yes"],
                             MANAGER, STAFF, prep="duplicate"),
        "photo": Cell(["photo", "M0000001", "--remove"], MANAGER, STAFF),
        "points": Cell(["points", "M0000001", "adjust", "-1", "--reason", "typo"],
                       MANAGER, STAFF),
        "queue add": Cell(["queue", "add", "M0000001", "--purpose", "pickup"], STAFF, ADMIN),
        "queue list": Cell(["queue", "list"], STAFF, None),
        "queue next": Cell(["queue", "next"], STAFF, ADVISOR, prep="queue"),
        "queue served": Cell(["queue", "served", "{queue}"], STAFF, ADMIN, prep="queue"),
        "queue left": Cell(["queue", "left", "{queue}"], STAFF, ADMIN, prep="queue"),
        "report": Cell(["report", "lounge", "--out", str(tmp / "r.csv")], MANAGER, STAFF),
        "screenshot": Cell(["screenshot", "--out", str(tmp / "s.png")], STAFF, None),
        "staff add": Cell(["staff", "add", "S010", "--name", "李雷", "--role", "staff",
                           "--no-secret"], ADMIN, MANAGER),
        "staff list": Cell(["staff", "list"], ADMIN, MANAGER),
        "staff set-password": Cell(["staff", "set-password", "S006", "--stdin"], ADMIN, MANAGER),
        "staff disable": Cell(["staff", "disable", "S006"], ADMIN, MANAGER),
        "staff enable": Cell(["staff", "enable", "S006"], ADMIN, MANAGER),
        "staff unlock": Cell(["staff", "unlock", "S006"], ADMIN, MANAGER),
        "tiers apply": Cell(["tiers", "apply", str(TIERS), "--check"], ADMIN, MANAGER),
        "visit checkin": Cell(["visit", "checkin", "M0000001"], STAFF, ADMIN),
        "visit checkout": Cell(["visit", "checkout", "M0000001"], STAFF, ADMIN, prep="visit"),
        "visit here": Cell(["visit", "here"], STAFF, None),
        "visit void": Cell(["visit", "void", "{visit}", "--reason", "wrong member"],
                           MANAGER, STAFF, prep="visit"),
    }


@pytest.fixture(scope="module", autouse=True)
def fast_hasher() -> Iterator[None]:
    """Argon2 at test strength for the whole module (the demo's hashes are made with it,
    so verifying them is fast too); the code path is the same."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(staff, "HASHER", PasswordHasher(time_cost=1, memory_cost=64,
                                                   parallelism=1))
        mp.setattr(staff, "_dummy_hashes", {})
        yield


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, fast_hasher: None) -> Path:
    path = tmp_path_factory.mktemp("matrix") / "desk.db"
    engine = open_desk_db(path)
    build_demo(engine, members=30, seed=5, today=Clock().today())
    engine.dispose()
    make_real_desk(path)
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "desk.db"
    shutil.copy(template, path)
    (tmp_path / "pos.csv").write_text("card_no,time,amount,receipt_no\n"
                                      "880000000001,2026-11-01 10:00,5000,R-1\n",
                                      encoding="utf-8")
    return str(path)


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         argv: list[str], db: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO("13572468\n"))  # set-password's new one
    code = main([*argv, "--db", db])
    out, err = capsys.readouterr()
    return code, out, err


def _prepare(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: str,
             prep: str) -> dict[str, str]:
    """Make what the command works on, as the manager, then sign the manager out."""
    if not prep:
        return {}
    assert sign_in(monkeypatch, db, MANAGER) == 0
    steps: dict[str, list[str]] = {
        "visit": ["visit", "checkin", "M0000001"],
        "complaint": ["complaint", "open", "M0000001", "--category", "wait_time",
                      "--severity", "minor", "--description", "cold tea"],
        "queue": ["queue", "add", "M0000001", "--purpose", "pickup"],
        "duplicate": ["member", "add", "--name-zh", "王小明", "--phone", "13712345678",
                      "--consent", "--same-person-ok"],
    }
    code, out, err = _run(monkeypatch, capsys, steps[prep], db)
    assert code == 0, err
    if prep == "duplicate":
        found = re.search(r"^(\S+)\t", out, re.MULTILINE)
    else:
        found = re.search(r"([0-9a-f]{8}-[0-9a-f-]{27})", out)
    assert found is not None, out
    assert main(["signout", "--db", db]) == 0
    capsys.readouterr()
    return {prep: found[1]}


def _argv(cell: Cell, values: dict[str, str]) -> list[str]:
    return [a.format(**values) if "{" in a else a for a in cell.argv]


def _audited_by(db: str, since: int) -> set[str | None]:
    engine = open_desk_db(db, migrate=False)
    with Session(engine) as s:
        rows = s.scalars(select(AuditEntry.staff_no).order_by(AuditEntry.at)).all()
    engine.dispose()
    return set(rows[since:])


def _audit_count(db: str) -> int:
    engine = open_desk_db(db, migrate=False)
    with Session(engine) as s:
        n = len(s.scalars(select(AuditEntry.id)).all())
    engine.dispose()
    return n


def test_every_person_command_is_in_the_matrix(tmp_path: Path) -> None:
    """A new sub-command joins the matrix (or, if the desk itself runs it, DESK_COMMANDS)."""
    assert _leaf_commands() - DESK_COMMANDS == set(_matrix(tmp_path))


@pytest.mark.parametrize("name", sorted(_matrix(Path("/nonexistent"))))
def test_nobody_and_a_wrong_secret_get_the_sign_in_line(
        name: str, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cell = _matrix(tmp_path)[name]
    argv = _argv(cell, {"visit": "0" * 8 + "-0000-7000-8000-" + "0" * 12,
                        "complaint": "x", "queue": "x"})
    for lang in ("en", "zh"):  # the configured language; screenshot has its own --lang
        monkeypatch.setenv("VIPDESK_LANGUAGE", lang)
        chosen = ["--lang", lang] if name == "screenshot" else []
        code, out, err = _run(monkeypatch, capsys, [*argv, *chosen], db)
        assert (code, out, err) == (4, "", SIGN_IN_LINE[lang] + "\n"), name
    monkeypatch.setattr(sys, "stdin", io.StringIO("999999\n"))  # not S001's PIN
    assert main(["signin", cell.allowed, "--stdin", "--db", db]) == 2
    assert "wrong" in capsys.readouterr().err
    code, _, err = _run(monkeypatch, capsys, argv, db)
    assert code == 4 and err.count("\n") == 1, name


@pytest.mark.parametrize("name", sorted(_matrix(Path("/nonexistent"))))
def test_the_service_decides_and_the_log_names_who_signed_in(
        name: str, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cell = _matrix(tmp_path)[name]
    values = _prepare(monkeypatch, capsys, db, cell.prep)
    argv = _argv(cell, values)
    if cell.refused is not None:
        assert sign_in(monkeypatch, db, cell.refused) == 0
        capsys.readouterr()
        since = _audit_count(db)
        code, _, err = _run(monkeypatch, capsys, argv, db)
        assert code == 2 and "may not" in err and err.count("\n") == 1, (name, err)
        assert _audited_by(db, since) <= {cell.refused}
    assert sign_in(monkeypatch, db, cell.allowed) == 0
    capsys.readouterr()
    since = _audit_count(db)
    code, _, err = _run(monkeypatch, capsys, argv, db)
    assert code == cell.ok, (name, err)
    assert _audited_by(db, since) <= {cell.allowed}, name


AUDITED: dict[str, Callable[[Path], list[str]]] = {
    "erase": lambda tmp: ["erase", "M0000003", "--reason", "request 1", "--yes"],
    "member show": lambda tmp: ["member", "show", "M0000001"],
    "staff disable": lambda tmp: ["staff", "disable", "S006"],
    "audit export": lambda tmp: ["audit", "export", "--out", str(tmp / "a.csv")],
}


@pytest.mark.parametrize("name", sorted(AUDITED))
def test_the_audit_entry_names_the_signed_in_person(
        name: str, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    who = ADMIN if name.startswith("staff") else MANAGER
    assert sign_in(monkeypatch, db, who) == 0
    capsys.readouterr()
    since = _audit_count(db)
    code, _, err = _run(monkeypatch, capsys, AUDITED[name](tmp_path), db)
    assert code == 0, err
    engine = open_desk_db(db, migrate=False)
    with Session(engine) as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.at)).all()[since:]
    engine.dispose()
    assert rows and {(r.staff_no, r.desk.startswith("cli@")) for r in rows} == {(who, True)}

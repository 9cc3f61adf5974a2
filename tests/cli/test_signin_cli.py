"""`vipdesk signin|signout|whoami` and the session file: one identity for every command.

Sign-in from standard input (and its end), the token file (0600, refused when others may
read it), expiry after the idle-lock time, the end of a session at a PIN change or a
disabled account, `staff init-admin` on an empty desk only, and the demo desk's
no-sign-in convenience (its manager acts)."""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.cli.test_signin_matrix import fast_hasher, template  # noqa: F401 (fixtures)
from tests.signin import make_real_desk
from vipdesk.cli import identity
from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import AuditEntry, CliSession

EN = identity.SIGN_IN_LINE["en"] + "\n"


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIPDESK_LANGUAGE", "en")


@pytest.fixture
def db(template: Path, tmp_path: Path) -> str:  # noqa: F811
    path = tmp_path / "desk.db"
    shutil.copy(template, path)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _rows(db: str) -> int:
    engine = open_desk_db(db, migrate=False)
    with Session(engine) as s:
        n = int(s.scalar(select(func.count()).select_from(CliSession)) or 0)
    engine.dispose()
    return n


def test_signin_whoami_signout(db: str, state_dir: Path, signin: Callable[..., int],
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "whoami", "--db", db) == (4, "", EN)
    assert signin(db, "S005") == 0
    [token_file] = state_dir.iterdir()
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert state_dir.stat().st_mode & 0o077 == 0
    code, out, _ = run(capsys, "whoami", "--db", db)
    assert code == 0 and out == "S005\t张敏\tstaff\tSH01\n"
    engine = open_desk_db(db, migrate=False)
    with Session(engine) as s:  # the database holds the token's hash, never the token
        [row] = s.scalars(select(CliSession)).all()
    engine.dispose()
    token = token_file.read_text().strip()
    assert row.token_hash != token and token not in Path(db).read_bytes().decode("latin-1")
    code, out, _ = run(capsys, "signout", "--db", db)
    assert code == 0 and out == "signed out: S005 张敏\n"
    assert not token_file.exists() and _rows(db) == 0
    assert run(capsys, "whoami", "--db", db) == (4, "", EN)
    assert run(capsys, "lookup", "M0000001", "--db", db)[0] == 4
    assert run(capsys, "signout", "--db", db)[:2] == (0, "not signed in\n")


def test_chinese_line(db: str, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VIPDESK_LANGUAGE", "zh")
    assert run(capsys, "visit", "here", "--db", db) == (4, "", "请先登录：vipdesk signin 工号\n")


@pytest.mark.parametrize("stdin", ["", "\n"])
def test_no_secret_is_one_line_not_a_traceback(db: str, stdin: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(identity, "has_terminal", lambda: False)  # a script, a pipe
    for argv in (["signin", "S005", "--stdin"], ["signin", "S005"],  # getpass: no terminal
                 ["staff", "init-admin", "A001", "--name", "孙磊", "--stdin"],
                 ["staff", "init-admin", "A001", "--name", "孙磊"]):
        code, _, err = run(capsys, *argv, "--db", db, stdin=stdin, monkeypatch=monkeypatch)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
        assert any(why in err for why in ("no PIN/password given", "--stdin",
                                          "administrator already exists")), err


def test_staff_add_reads_the_secret_only_for_an_administrator(
        db: str, signin: Callable[..., int], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(identity, "has_terminal", lambda: False)
    argv = ["staff", "add", "S010", "--name", "李雷", "--role", "admin", "--db", db]
    assert run(capsys, *argv, stdin="", monkeypatch=monkeypatch) == (4, "", EN)
    assert signin(db, "S009") == 0  # the demo's administrator
    code, _, err = run(capsys, *argv, stdin="", monkeypatch=monkeypatch)  # terminal gone
    assert code == 2 and err.startswith("vipdesk: no terminal") and err.count("\n") == 1
    code, out, _ = run(capsys, *argv, "--stdin", stdin="86420975\n", monkeypatch=monkeypatch)
    assert code == 0 and out.startswith("added S010")


def test_wrong_secrets_lock_the_account_as_at_the_window(
        db: str, signin: Callable[..., int], capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(5):
        assert signin(db, "S005", "999999") == 2
    assert signin(db, "S005") == 2  # the right PIN, refused while locked
    engine = open_desk_db(db, migrate=False)
    with Session(engine) as s:
        failed = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "staff.sign_in_failed"))
    engine.dispose()
    assert failed == 6 and _rows(db) == 0


def test_the_session_expires_after_the_idle_lock_time(
        db: str, state_dir: Path, signin: Callable[..., int],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VIPDESK_IDLE_LOCK_MINUTES", "5")
    assert signin(db, "S005") == 0

    def last_use(minutes_ago: int) -> None:
        engine = open_desk_db(db, migrate=False)
        with engine.begin() as conn:
            when = conn.scalar(select(CliSession.last_used_at))
            conn.execute(update(CliSession).values(
                last_used_at=when - timedelta(minutes=minutes_ago)))
        engine.dispose()

    last_use(4)
    assert run(capsys, "visit", "here", "--db", db)[0] == 0  # and refreshed
    last_use(4)
    assert run(capsys, "visit", "here", "--db", db)[0] == 0
    last_use(6)
    assert run(capsys, "visit", "here", "--db", db) == (4, "", EN)
    assert list(state_dir.iterdir()) == [] and _rows(db) == 0


@pytest.mark.parametrize("change", ["set-password", "disable"])
def test_a_pin_change_or_a_disabled_account_ends_the_session(
        db: str, change: str, tmp_path: Path, signin: Callable[..., int],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert signin(db, "S005") == 0
    alice = tmp_path / "alice-state"  # the administrator, as another OS user
    monkeypatch.setenv("VIPDESK_STATE_DIR", str(alice))
    assert signin(db, "S009") == 0
    argv = ["staff", change, "S005", "--db", db] + (["--stdin"] if change != "disable" else [])
    assert run(capsys, *argv, stdin="97531864\n", monkeypatch=monkeypatch)[0] == 0
    monkeypatch.setenv("VIPDESK_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(identity, "os_user", lambda: "bob")  # S005's OS user
    assert run(capsys, "visit", "here", "--db", db) == (4, "", EN)


def test_a_token_file_others_can_read_is_refused_and_ended(
        db: str, state_dir: Path, signin: Callable[..., int],
        capsys: pytest.CaptureFixture[str]) -> None:
    assert signin(db, "S005") == 0
    [token_file] = state_dir.iterdir()
    os.chmod(token_file, 0o644)
    code, out, err = run(capsys, "lookup", "M0000001", "--db", db)
    assert code == 4 and out == "" and err.count("\n") == 1
    assert "readable by other users" in err and "vipdesk signin" in err
    assert not token_file.exists() and _rows(db) == 0  # the token may be known: ended


def test_a_session_belongs_to_one_desk_database(
        db: str, tmp_path: Path, signin: Callable[..., int],
        capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.db"
    shutil.copy(db, other)
    assert signin(db, "S005") == 0
    assert run(capsys, "whoami", "--db", str(other)) == (4, "", EN)


def test_staff_option_is_gone(db: str, signin: Callable[..., int],
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert signin(db, "S005") == 0
    code, _, err = run(capsys, "visit", "here", "--staff", "S001", "--db", db)
    assert code == 2 and "vipdesk signin" in err


def test_init_admin_only_on_an_empty_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "new.db")
    argv = ["staff", "init-admin", "A001", "--name", "孙磊", "--stdin", "--db", db]
    assert run(capsys, *argv, stdin="13579135\n", monkeypatch=monkeypatch)[0] == 0
    code, _, err = run(capsys, *argv, stdin="13579135\n", monkeypatch=monkeypatch)
    assert code == 2 and "already exists" in err
    assert run(capsys, "staff", "list", "--db", db) == (4, "", EN)
    code, _, _ = run(capsys, "signin", "A001", "--stdin", "--db", db, stdin="13579135\n",
                     monkeypatch=monkeypatch)
    assert code == 0
    code, out, _ = run(capsys, "staff", "list", "--db", db)
    assert code == 0 and out.startswith("A001\t孙磊\tadmin")


def test_a_demo_desk_acts_as_its_manager_until_someone_signs_in(
        db: str, tmp_path: Path, signin: Callable[..., int],
        capsys: pytest.CaptureFixture[str]) -> None:
    demo = tmp_path / "demo.db"  # the template is a real desk: make a demo one
    assert main(["demo", "--db", str(demo), "--members", "5"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "whoami", "--db", str(demo))
    assert code == 0 and out.startswith("S001\t周婷\tmanager") and "demo desk" in out
    assert run(capsys, "lookup", "M0000001", "--db", str(demo))[0] == 0
    assert signin(demo, "S005") == 0
    assert run(capsys, "whoami", "--db", str(demo))[1].startswith("S005\t")
    make_real_desk(demo)  # the mark is what allows it; config and environment do not
    assert main(["signout", "--db", str(demo)]) == 0
    capsys.readouterr()
    assert run(capsys, "whoami", "--db", str(demo)) == (4, "", EN)

"""The command line as people type it: shared options before or after the command, and
output piped into `head` (the reader closes the pipe early)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from vipdesk.cli.main import command_first, main
from vipdesk.db import open_desk_db
from vipdesk.services.clock import Clock
from vipdesk.services.demo import build_demo

COMMANDS = {"care", "lookup", "gui", "visit"}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("maincli") / "demo.db"
    engine = open_desk_db(path)
    # Enough members that `care --json` writes more than a pipe holds (64 KiB): the demo's
    # store works its care list, so a small lounge lists only a few screens of tasks.
    build_demo(engine, members=2000, seed=5, today=Clock().today())
    engine.dispose()
    return str(path)


@pytest.mark.parametrize(("typed", "meant"), [
    (["--db", "x.db", "care"], ["care", "--db", "x.db"]),
    (["--db=x.db", "--store", "BJ01", "lookup", "8000"],
     ["lookup", "--db=x.db", "--store", "BJ01", "8000"]),
    (["care", "--db", "x.db"], ["care", "--db", "x.db"]),
    ([], ["gui"]),
    (["--db", "x.db"], ["gui", "--db", "x.db"]),
    (["--lang", "en"], ["gui", "--lang", "en"]),
    (["--help"], ["--help"]),
])
def test_shared_options_may_come_before_the_command(typed: list[str], meant: list[str]) -> None:
    assert command_first(typed, COMMANDS) == meant


@pytest.mark.parametrize("argv", [
    ["--db", "{db}", "visit", "here"],  # a command with commands of its own
    ["visit", "--db", "{db}", "here"],
    ["visit", "here", "--db", "{db}"],
    ["--db", "{db}", "complaint", "list"],
])
def test_db_anywhere_is_the_db_used_by_nested_commands(
        db: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """The nested command's parser shares the options and used to overwrite the outer
    one's --db with its default: the command then looked for the default database."""
    assert main([a.replace("{db}", db) for a in argv]) == 0, capsys.readouterr().err


def test_db_before_the_command_is_the_db_used(db: str, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    assert main(["--db", db, "lookup", "M0000001", "--json"]) == 0
    assert "M0000001" in capsys.readouterr().out


def test_a_closed_pipe_ends_quietly(db: str) -> None:
    """`vipdesk care --json | head -1`: no traceback, the shell's exit code for SIGPIPE."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "vipdesk.cli.main", "--db", db, "care",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=Path(db).parent)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader is done, as `head -1` would be
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_the_care_list_is_the_stores_as_at_the_window(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Both doors go through the desk's facades: the same store scope, the same tasks."""
    from vipdesk.desk import Desk
    from vipdesk.services.auth import Actor

    assert main(["--db", db, "--store", "SH01", "care", "--json"]) == 0
    listed = {item["task_key"] for item in json.loads(capsys.readouterr().out)["items"]}
    engine = open_desk_db(db, migrate=False)
    with engine.connect() as conn:
        manager = conn.exec_driver_sql(
            "SELECT id, name, store_id FROM staff WHERE staff_no = 'S001'").one()
    actor = Actor(uuid.UUID(manager.id) if isinstance(manager.id, str) else manager.id,
                  "manager", manager.name, manager.store_id, "S001")
    window = Desk(engine, store_code="SH01", actor=actor).care.build_list(limit=None)
    engine.dispose()
    assert listed == {item.task_key for item in window.items}
    assert listed  # a demo store has work on its care list

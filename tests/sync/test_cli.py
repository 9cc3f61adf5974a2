"""`vipdesk central init` and `vipdesk sync --once`: summaries, exit codes, no passwords."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.sync.helpers import new_member
from vipdesk.cli.main import main
from vipdesk.db import open_desk_db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_init_then_sync_once_with_a_sqlite_centre(tmp_path: Path, capsys) -> None:
    centre = f"sqlite:///{tmp_path / 'centre.db'}"
    assert main(["central", "init", "--url", centre]) == 0
    assert "schema: up to date" in capsys.readouterr().out
    desk = tmp_path / "desk.db"
    new_member(open_desk_db(desk), "M1")
    assert main(["sync", "--once", "--json", "--db", str(desk), "--store", "SH01",
                 "--central", centre]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["outcomes"] == {"applied": report["pushed"]} and report["pending"] == 0
    other = tmp_path / "other.db"
    assert main(["sync", "--once", "--db", str(other), "--store", "BJ01",
                 "--central", centre]) == 0
    out = capsys.readouterr().out
    assert "pulled" in out and "pending 0" in out
    assert main(["central", "status", "--url", centre, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["members"] == 1


def test_unreachable_centre_fails_without_showing_the_password(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://desk:s3cret-pw@127.0.0.1:{_closed_port()}/central"
    monkeypatch.setenv("VIPDESK_CENTRAL_URL", url)
    code = main(["sync", "--once", "--db", str(tmp_path / "d.db"), "--store", "SH01"])
    err = capsys.readouterr().err
    assert code == 3
    assert "unavailable" in err and "s3cret-pw" not in err and "***" in err


def test_a_desk_cannot_sync_as_another_store(tmp_path: Path, capsys) -> None:
    centre = f"sqlite:///{tmp_path / 'centre.db'}"
    main(["central", "init", "--url", centre])
    desk = str(tmp_path / "desk.db")
    assert main(["sync", "--once", "--db", desk, "--store", "SH01", "--central", centre]) == 0
    assert main(["sync", "--once", "--db", desk, "--store", "BJ01", "--central", centre]) == 2
    assert "belongs to store SH01" in capsys.readouterr().err


def test_no_central_configured_is_bad_input(tmp_path: Path, capsys) -> None:
    assert main(["sync", "--once", "--db", str(tmp_path / "d.db")]) == 2
    assert "--central" in capsys.readouterr().err

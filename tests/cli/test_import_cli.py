"""`vipdesk import members`: exit codes, the report on the terminal and as JSON, who acts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.signin import admin_signed_in, sign_in
from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import Staff

DATA = Path(__file__).resolve().parent.parent / "data"


def data(tmp_path: Path, name: str) -> str:
    """A copy of a fixture: the import writes its rejected rows next to its input."""
    copy = tmp_path / name
    copy.write_bytes((DATA / name).read_bytes())
    return str(copy)


def new_desk(path: Path) -> str:
    """An empty desk (commands refuse a database path that does not exist), its first
    administrator signed in."""
    return admin_signed_in(path)


def test_good_file_exits_zero_and_reimport_is_unchanged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = new_desk(tmp_path / "desk.db")
    assert main(["import", "members", data(tmp_path, "members_en_bom.csv"), "--db", db]) == 0
    assert "imported 3, unchanged 0, rejected 0" in capsys.readouterr().out
    assert main(["import", "members", data(tmp_path, "members_en_bom.csv"), "--db", db]) == 0
    assert "imported 0, unchanged 3, rejected 0" in capsys.readouterr().out
    assert main(["lookup", "Zoë", "--db", db]) == 0
    assert "Black Card" in capsys.readouterr().out  # the tier came from spend_12m


def test_rejected_rows_exit_two_with_lines_in_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = new_desk(tmp_path / "desk.db")
    code = main(["import", "members", data(tmp_path, "members_hostile.csv"), "--db", db, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 2
    assert report["ok"] is False
    assert [r["line"] for r in report["rejected"]] == [2, 5, 6, 7, 8, 12]
    assert report["imported"] == ["H0002", "H0003", "H0008", "H0010"]


def test_terminal_report_names_lines(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = new_desk(tmp_path / "desk.db")
    assert main(["import", "members", data(tmp_path, "members_zh_gb18030.csv"), "--db", db]) == 2
    out = capsys.readouterr()
    assert "gb18030" in out.out
    assert "line 5 (G0004): " in out.err


def test_unreadable_file_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"member_no,name\nX,\xff\n")
    assert main(["import", "members", str(bad), "--db", new_desk(tmp_path / "d.db")]) == 2
    assert "line 2" in capsys.readouterr().err


@pytest.mark.parametrize(("staff_no", "code", "message"), [
    ("S001", 0, "imported 3"), ("S002", 2, "may not member.import"),
    (None, 4, "vipdesk signin")])
def test_the_signed_in_person_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch,
                                      staff_no: str | None, code: int, message: str) -> None:
    from vipdesk.services.staff import hash_secret

    db = tmp_path / "desk.db"
    engine = open_desk_db(db)
    with Session(engine) as s, s.begin():
        s.add_all([Staff(staff_no=no, name=name, role=role, password_hash=hash_secret("246810"))
                   for no, name, role in (("S001", "周经理", "manager"),
                                          ("S002", "林前台", "staff"))])
    engine.dispose()
    if staff_no:
        assert sign_in(monkeypatch, db, staff_no) == 0
    argv = ["import", "members", data(tmp_path, "members_en_bom.csv"), "--db", str(db)]
    assert main(argv) == code
    captured = capsys.readouterr()
    assert message in captured.out + captured.err

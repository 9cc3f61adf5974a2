"""`vipdesk import purchases`: the POS export from the shell; `import members` still works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.signin import admin_signed_in
from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import Store

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "desk.db")
    engine = open_desk_db(Path(path))
    with Session(engine) as s, s.begin():
        s.add(Store(code="SH01", name="上海一店"))
    engine.dispose()
    admin_signed_in(path)
    assert main(["import", "members", str(DATA / "members_en_bom.csv"), "--db", path]) == 0
    capsys.readouterr()
    return path


def test_purchases_import_upgrades_and_reimport_is_unchanged(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pos = tmp_path / "pos.csv"
    pos.write_text("会员卡号,交易时间,实付金额,商品明细,小票号\n"
                   "C100003,2026-11-01 10:00,\"52,000.00\",手表,A-1\n", encoding="utf-8")
    assert main(["import", "purchases", str(pos), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "imported 1, unchanged 0, rejected 0" in out
    assert "- → senior: 1" in out
    assert main(["import", "purchases", str(pos), "--db", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["imported"], report["unchanged"], report["ok"]) == (0, 1, True)


def test_broken_rows_exit_two_naming_lines(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pos = tmp_path / "pos.csv"
    pos.write_text("card_no,time,amount,receipt_no\n"
                   "C100003,2026-11-01 10:00,100,A-1\n"
                   "C999999,2026-11-01 10:00,100,A-2\n", encoding="utf-8")
    assert main(["import", "purchases", str(pos), "--db", db]) == 2
    assert "line 3: card_no C999999: no such member" in capsys.readouterr().err

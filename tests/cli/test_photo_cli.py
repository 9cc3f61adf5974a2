"""`vipdesk photo`: set, refuse and remove a member's card photo."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import Member
from vipdesk.services.clock import Clock
from vipdesk.services.demo import build_demo

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 500


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "desk.db"
    engine = open_desk_db(path)
    build_demo(engine, members=20, seed=3, today=Clock().today())
    engine.dispose()
    return str(path)


def _photo(db: str) -> bytes | None:
    engine = open_desk_db(Path(db), migrate=False)
    with Session(engine) as s:
        photo = s.scalar(select(Member.photo).where(Member.member_no == "M0000001"))
    engine.dispose()
    return photo


def test_set_refuse_remove(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "wang.png", tmp_path / "wang.pdf"
    good.write_bytes(PNG)
    bad.write_bytes(b"%PDF-1.7\n")
    assert main(["--db", db, "photo", "M0000001", str(good)]) == 0
    assert "photo set" in capsys.readouterr().out and _photo(db) == PNG
    assert main(["--db", db, "photo", "M0000001", str(bad)]) == 2
    assert "only JPEG or PNG" in capsys.readouterr().err and _photo(db) == PNG
    assert main(["--db", db, "photo", "M0000001"]) == 2  # neither a file nor --remove
    assert main(["--db", db, "photo", "M0000001", "--remove"]) == 0
    assert _photo(db) is None

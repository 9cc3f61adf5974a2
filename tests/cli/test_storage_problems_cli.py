"""The command line when SQLite cannot take a write: one sentence and exit 5, not a
traceback, and nothing half-written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import Member, MemberCard, Visit
from vipdesk.services.clock import Clock
from vipdesk.services.demo import build_demo
from vipdesk.storage import STORAGE_EXIT, storage_problem


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "desk.db"
    engine = open_desk_db(path)
    build_demo(engine, members=30, seed=3, today=Clock().today())
    engine.dispose()
    return path


def _counts(db: Path) -> tuple[int, str]:
    engine = open_desk_db(db, migrate=False)
    with Session(engine) as s:
        visits = int(s.scalar(select(func.count()).select_from(Visit)) or 0)
        here = select(Visit.member_id).where(Visit.checked_out_at.is_(None))
        card = s.scalar(select(MemberCard.card_no).join(Member)
                        .where(~Member.id.in_(here)).order_by(MemberCard.card_no).limit(1))
    engine.dispose()
    assert card is not None
    return visits, card


def test_a_busy_desk_database_is_one_sentence_and_exit_5(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    visits, card = _counts(db)
    other = sqlite3.connect(db, isolation_level=None)  # the window's sync, an import…
    other.execute("BEGIN IMMEDIATE")
    try:
        code = main(["--db", str(db), "visit", "checkin", card])
    finally:
        other.execute("ROLLBACK")
        other.close()
    err = capsys.readouterr().err
    assert code == STORAGE_EXIT
    assert "busy" in err and "Nothing was saved" in err and "Traceback" not in err
    assert _counts(db)[0] == visits
    assert main(["--db", str(db), "visit", "checkin", card]) == 0  # free again: saved
    assert _counts(db)[0] == visits + 1


@pytest.mark.parametrize(("message", "words"), [
    ("database is locked", "busy"),
    ("database table is locked", "busy"),
    ("database or disk is full", "disk is full"),
    ("attempt to write a readonly database", "read-only"),
    ("disk I/O error", "I/O error"),
])
def test_sqlites_own_conditions_are_worded(message: str, words: str) -> None:
    raw = sqlite3.OperationalError(message)
    wrapped = OperationalError("INSERT INTO visits …", {}, raw)
    for error in (raw, wrapped):
        said = storage_problem(error)
        assert said is not None and words in said and "nothing was saved" in said.lower()


def test_other_failures_are_not_taken_for_storage_problems() -> None:
    assert storage_problem(sqlite3.OperationalError("no such table: visits")) is None
    assert storage_problem(sqlite3.IntegrityError("database is locked")) is None
    assert storage_problem(ValueError("database is locked")) is None


def test_a_full_disk_in_a_real_write_is_worded(db: Path) -> None:
    """SQLite's own limit stands in for a full disk: the write fails whole."""
    engine = open_desk_db(db, migrate=False)
    try:
        with engine.begin() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            conn.exec_driver_sql(f"PRAGMA max_page_count={pages}")
            with pytest.raises(OperationalError) as caught:
                conn.exec_driver_sql("CREATE TABLE filler (x BLOB)")
                conn.exec_driver_sql("INSERT INTO filler VALUES (zeroblob(10000000))")
        said = storage_problem(caught.value)
        assert said is not None and "disk is full" in said
    finally:
        engine.dispose()

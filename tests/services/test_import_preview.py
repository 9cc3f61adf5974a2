"""What the import dialog needs from the service: the first rows as they will be stored,
before anything is written, and a progress callback that can stop between batches."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.services import auth, import_batches
from vipdesk.services.importer import import_members, preview_members

TODAY = date(2026, 11, 25)


def test_preview_shows_rows_as_stored_and_writes_nothing(
        tmp_path: Path, engine: Engine, factory: sessionmaker[Session]) -> None:
    path = tmp_path / "hk.csv"
    path.write_bytes("會員號,姓名,手機,近12個月消費\nh1,陳大文,+852 5123 4567,\"¥215,000\"\n"
                     "H2,李嘉誠,138 0013 8000,\nH3,,138 0013 8001,\n".encode("big5hkscs"))
    preview = preview_members(factory, path, rows=10, today=TODAY)
    assert preview.encoding == "big5hkscs"
    first, second, third = preview.rows
    assert first.member is not None and second.member is not None
    assert (first.member.member_no, first.member.name_zh) == ("H1", "陳大文")
    assert first.member.tier_code == "black"
    assert second.member.phones == ["+8613800138000"]  # E.164, as stored
    assert (third.line, third.member, third.error) == (4, None, "name: required")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM members")).scalar() == 0


def test_preview_says_which_rows_the_import_would_refuse_and_why(
        tmp_path: Path, engine: Engine, factory: sessionmaker[Session]) -> None:
    """Not only a row's own faults: a card or phone of an earlier line or already on
    file, and a member number that exists with other details — what the import will
    refuse, told before it runs, with the row's data still shown."""
    from vipdesk.services.members import NewMember, add_member

    with Session(engine) as s, s.begin():
        add_member(s, NewMember(member_no="H9", name_zh="何鴻燊", phones=["+853 6612 3456"]))
    path = tmp_path / "hk.csv"
    path.write_bytes("會員號,姓名,手機,會員卡號\n"
                     "H1,陳大文,(852) 9123 4567,880100000001\n"
                     "H2,歐陽嘉敏,(852) 6123-9876,880100000001\n"
                     "H3,梁朝偉,852 9123 4567,880100000003\n"
                     "H4,司徒美琪,853-6612 3456,880100000004\n"
                     "H9,何超瓊,+853 6612 3456,\n".encode("big5hkscs"))
    preview = preview_members(factory, path, rows=10, today=TODAY)
    said = {r.line: (r.member_no, r.error) for r in preview.rows}
    assert said[2] == ("H1", "")
    assert said[3] == ("H2", "card_no 880100000001: already on line 2 (member H1)")
    assert said[4][1].startswith("phone +85291234567: already on line 2 (member H1)")
    assert said[5][1].startswith("phone +85366123456: already belongs to member H9")
    assert said[6][1].startswith("member H9 exists, differs in name")
    assert all(r.member is not None for r in preview.rows)  # the row's data still shown
    report = import_members(factory, path, auth.SYSTEM, today=TODAY)
    assert {r.line: r.reason for r in report.rejected} == {
        line: reason for line, (_, reason) in said.items() if reason}


def test_cancel_stops_between_batches_leaving_whole_batches(
        tmp_path: Path, engine: Engine, factory: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_batches, "BATCH_ROWS", 3)
    path = tmp_path / "m.csv"
    path.write_text("member_no,name\n" + "".join(f"C{i},名{i}\n" for i in range(10)),
                    encoding="utf-8")
    seen: list[int] = []

    def stop_after_two(done: int) -> bool:
        seen.append(done)
        return len(seen) < 2

    report = import_members(factory, path, auth.SYSTEM, today=TODAY, progress=stop_after_two)
    assert seen == [3, 6] and report.cancelled
    assert report.imported_count == 6
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM members")).scalar() == 6
    again = import_members(factory, path, auth.SYSTEM, today=TODAY)
    assert (again.unchanged, again.imported_count, again.cancelled) == (6, 4, False)

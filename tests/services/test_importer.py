"""Member CSV import: encodings, headers, validation, idempotency and hostile files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Member, MemberCard, MemberPhone, TierChange
from vipdesk.services import auth, import_batches, importer
from vipdesk.services.importer import ImportFileError, ImportReport, import_members
from vipdesk.services.members import NewMember, add_member

DATA = Path(__file__).resolve().parent.parent / "data"
TODAY = date(2026, 11, 25)
MEMBER_TABLES = ("members", "member_phones", "member_cards", "member_terms", "tier_changes")


def run(factory: sessionmaker[Session], path: Path, actor: auth.Actor = auth.SYSTEM
        ) -> ImportReport:
    return import_members(factory, path, actor, today=TODAY)


def write(tmp_path: Path, content: str | bytes, name: str = "in.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def member(factory: sessionmaker[Session], member_no: str) -> dict[str, Any] | None:
    with factory() as s:
        m = s.scalar(select(Member).where(Member.member_no == member_no))
        if m is None:
            return None
        return {"name_zh": m.name_zh, "name_latin": m.name_latin, "gender": m.gender,
                "birthday": m.birthday, "email": m.email, "spend": m.spend_12m_cents,
                "tier": m.tier_code,
                "phones": sorted(p.e164 for p in m.phones),
                "cards": sorted(c.card_no for c in m.cards)}


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of the member tables, to prove what an import did (and did not) write."""
    with engine.connect() as conn:
        return {t: sorted((dict(r) for r in conn.execute(text(f"SELECT * FROM {t}")).mappings()),
                          key=repr)
                for t in MEMBER_TABLES}


def rejected_lines(report: ImportReport) -> dict[int, str]:
    return {r.line: r.reason for r in report.rejected}


# -- encodings, headers, fields --------------------------------------------------------


def test_chinese_excel_gb18030_file(factory: sessionmaker[Session]) -> None:
    report = run(factory, DATA / "members_zh_gb18030.csv")
    assert report.encoding == "gb18030"
    assert report.imported == ["G0001", "G0002", "G0003"]
    assert report.ignored_columns == ["备注"]
    assert member(factory, "G0001") == {
        "name_zh": "王小红", "name_latin": "Wang Xiaohong", "gender": "F",
        "birthday": date(1985, 3, 8), "email": "xh@example.com", "spend": 21_500_000,
        "tier": "black", "phones": ["+8613800138001"], "cards": ["8800000101"]}
    two = member(factory, "G0002")
    assert two is not None
    assert two["phones"] == ["+8613700137002", "+8613900139002"]
    assert two["cards"] == ["8800000102", "8800000103"]
    assert two["tier"] == "senior"
    assert member(factory, "G0003")["tier"] is None  # type: ignore[index]
    [bad] = report.rejected
    assert (bad.line, bad.member_no) == (5, "G0004")
    for word in ("phone", "birthday: no such day", "gender", "spend_12m"):
        assert word in bad.reason


def test_utf8_bom_english_headers_in_any_case(factory: sessionmaker[Session]) -> None:
    report = run(factory, DATA / "members_en_bom.csv")
    assert report.encoding == "utf-8-sig"
    assert report.ok and report.imported == ["E0001", "E0002", "E0003"]
    assert report.columns["member_no"] == "Member No"
    zoe = member(factory, "E0001")
    assert zoe is not None
    assert (zoe["name_zh"], zoe["name_latin"], zoe["phones"]) == (
        None, "Zoë Laurent", ["+33612345678"])
    assert (zoe["spend"], zoe["tier"]) == (31_050_000, "black")
    assert member(factory, "E0003")["name_zh"] == "陈静"  # type: ignore[index]
    assert member(factory, "E0003")["spend"] == 120_050  # type: ignore[index]


def test_tier_from_spend_is_recorded_in_the_history(factory: sessionmaker[Session]) -> None:
    run(factory, DATA / "members_en_bom.csv")
    with factory() as s:
        changes = s.execute(select(Member.member_no, TierChange.to_tier, TierChange.reason)
                            .join(TierChange, TierChange.member_id == Member.id)).all()
    assert [(no, tier) for no, tier, _ in changes] == [("E0001", "black")]
    assert "¥310,500" in changes[0][2]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_delimiter_is_sniffed(tmp_path: Path, factory: sessionmaker[Session],
                              delimiter: str) -> None:
    content = (DATA / "members_semicolon.csv").read_text(encoding="utf-8")
    report = run(factory, write(tmp_path, content.replace(";", delimiter)))
    assert report.delimiter == delimiter
    assert report.ok and report.imported == ["S0001", "S0002"]
    assert member(factory, "S0001")["spend"] == 12_000_000  # type: ignore[index]


@pytest.mark.parametrize(("cell", "expected"), [
    ("¥1,234.50", 123_450), ("￥12,000", 1_200_000), ("12 000元", 1_200_000), ("0", 0)])
def test_spend_forms(cell: str, expected: int) -> None:
    assert importer.parse_spend(cell) == expected


@pytest.mark.parametrize("cell", ["-5", "1.234", "1e9", "abc", "99999999999999"])
def test_spend_refused(cell: str) -> None:
    with pytest.raises(importer.RowError, match="spend_12m"):
        importer.parse_spend(cell)


@pytest.mark.parametrize("cell", ["1978-05-03", "1978/5/3", "1978.05.03", "1978年5月3日",
                                  "19780503"])
def test_birthday_forms(cell: str) -> None:
    assert importer.parse_birthday(cell, TODAY) == date(1978, 5, 3)


def test_latin_name_with_a_different_english_name_is_refused(
        tmp_path: Path, factory: sessionmaker[Session]) -> None:
    path = write(tmp_path, "member_no,name,name_en\nL1,Anna,Hannah\nL2,,Bob Lee\n")
    report = run(factory, path)
    assert "not Chinese" in rejected_lines(report)[2]
    assert member(factory, "L2")["name_latin"] == "Bob Lee"  # type: ignore[index]


# -- rejected rows -----------------------------------------------------------------------


def test_hostile_rows_are_reported_by_line_and_good_rows_imported(
        engine: Engine, factory: sessionmaker[Session]) -> None:
    report = run(factory, DATA / "members_hostile.csv")
    lines = rejected_lines(report)
    assert sorted(lines) == [2, 5, 6, 7, 8, 12]
    assert "card_no" in lines[2]
    assert "control characters" in lines[5]
    assert "expected 4 columns, found 5" in lines[6]
    assert "expected 4 columns, found 2" in lines[7]
    assert "several lines" in lines[8]
    assert next(r for r in report.rejected if r.line == 8).last_line == 10
    assert "broken CSV" in lines[12]
    assert report.imported == ["H0002", "H0003", "H0008", "H0010"]
    assert member(factory, "H0002")["name_latin"] == "=cmd|' /C calc'!A0"  # type: ignore[index]
    assert member(factory, "H0003")["name_zh"] == "周芷若 🌸"  # type: ignore[index]
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM members")) == 4


def test_unbalanced_quote_at_the_end_is_reported(tmp_path: Path,
                                                 factory: sessionmaker[Session]) -> None:
    path = write(tmp_path, 'member_no,name\nU1,好人\nU2,"never closed\nU3,lost\n')
    report = run(factory, path)
    assert report.imported == ["U1"]
    [bad] = report.rejected
    assert (bad.line, bad.last_line) == (3, 4)


def test_huge_cells_are_rejected_and_the_next_row_still_imports(
        tmp_path: Path, factory: sessionmaker[Session]) -> None:
    big = "x" * 1_000_000
    bigger = "y" * (importer.FIELD_LIMIT + 10)
    path = write(tmp_path, f"member_no,name\nB1,{big}\nB2,\"{bigger}\"\nB3,正常\n")
    report = run(factory, path)
    lines = rejected_lines(report)
    assert "1,000,000 characters" in lines[2]
    assert "broken CSV" in lines[3] and "field limit" in lines[3]
    assert report.imported == ["B3"]


def test_overlong_line_is_skipped_to_its_end(tmp_path: Path, factory: sessionmaker[Session],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "MAX_LINE", 64)
    path = write(tmp_path, "member_no,name\nO1," + "z," * 100 + "\nO2,好\n")
    report = run(factory, path)
    assert "line longer than 64" in rejected_lines(report)[2]
    assert report.imported == ["O2"]


def test_card_owned_by_another_member_is_refused(factory: sessionmaker[Session],
                                                 tmp_path: Path) -> None:
    with unit_of_work(factory) as s:
        add_member(s, NewMember(member_no="OLD1", name_zh="旧会员", cards=["C777"]))
    report = run(factory, write(tmp_path, "member_no,name,card_no\nN1,新会员,c777\n"))
    assert rejected_lines(report) == {2: "card_no C777: already belongs to member OLD1"}
    assert member(factory, "N1") is None


def test_duplicates_within_the_file(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    path = write(tmp_path, "member_no,name,card_no\nD1,甲,K1\nd1,乙,K2\nD2,丙,K1\n")
    report = run(factory, path)
    assert rejected_lines(report) == {3: "member_no D1 already on line 2",
                                      4: "card_no K1: already on line 2 (member D1)"}
    assert member(factory, "D1")["cards"] == ["K1"]  # type: ignore[index]


# -- idempotency and conflicts -----------------------------------------------------------


def test_reimport_changes_nothing(engine: Engine, factory: sessionmaker[Session]) -> None:
    first = run(factory, DATA / "members_zh_gb18030.csv")
    before = snapshot(engine)
    again = run(factory, DATA / "members_zh_gb18030.csv")
    assert snapshot(engine) == before
    assert (again.imported, again.unchanged) == ([], len(first.imported))
    assert [r.line for r in again.rejected] == [r.line for r in first.rejected]


def test_changed_data_is_reported_not_overwritten(tmp_path: Path, engine: Engine,
                                                  factory: sessionmaker[Session]) -> None:
    run(factory, write(tmp_path, "member_no,name,phone,email\nC1,陈一,13800138040,a@x.cn\n"))
    before = snapshot(engine)
    changed = "member_no,name,phone,email\nC1,陈一,13800138041,\n"
    report = run(factory, write(tmp_path, changed, "changed.csv"))
    [row] = report.rejected
    assert "exists, differs in phone" in row.reason and "not overwritten" in row.reason
    assert "email" not in row.reason  # an empty cell says nothing
    assert snapshot(engine) == before


# -- whole-file refusals -----------------------------------------------------------------


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"), (b"\n\n", "empty"), (b"phone,email\n1,2\n", "no member_no or name"),
    (b"member_no,name,\xe4\xbc\x9a\xe5\x91\x98\xe5\x8f\xb7\n", "two columns mean member_no"),
    (b"\nmember_no,name\n", "first line must be the header"),
])
def test_unreadable_files(tmp_path: Path, factory: sessionmaker[Session], content: bytes,
                          message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        run(factory, write(tmp_path, content))


def test_header_only_imports_nothing(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    report = run(factory, write(tmp_path, "member_no,name\n"))
    assert (report.rows, report.ok) == (0, True)


def test_undecodable_bytes_refuse_the_file_with_the_line(
        tmp_path: Path, engine: Engine, factory: sessionmaker[Session]) -> None:
    good = "member_no,name\nX1,好人\n".encode()
    with pytest.raises(ImportFileError, match=r"line 3: not valid UTF-8 \(bytes ff"):
        run(factory, write(tmp_path, good + b"X2,\xff\xfe\n"))
    with pytest.raises(ImportFileError, match=r"line 2: bytes 81 0a .*not UTF-8, GB18030 or Big5"):
        run(factory, write(tmp_path, b"member_no,name\nX1,\x81\x0a\n"))
    assert snapshot(engine)["members"] == []


# -- transactions and permissions ------------------------------------------------------


def test_a_row_the_database_refuses_leaves_no_trace(
        tmp_path: Path, engine: Engine, factory: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the card pre-check: the UNIQUE index then fails after the member row went in,
    and the row's SAVEPOINT must take the member, phone and terms back out."""
    with unit_of_work(factory) as s:
        add_member(s, NewMember(member_no="OWN", name_zh="主人", cards=["C9"]))
    before = snapshot(engine)
    monkeypatch.setattr(import_batches.BatchImporter, "conflicts", lambda self, row, p: [])
    path = write(tmp_path, "member_no,name,phone,card_no\nR1,冲突,13800138050,C9\nR2,好,,\n")
    report = run(factory, path)
    assert "database refused" in rejected_lines(report)[2]
    assert report.imported == ["R2"]
    after = snapshot(engine)
    assert len(after["members"]) == len(before["members"]) + 1
    assert len(after["member_phones"]) == len(before["member_phones"])


def test_a_batch_is_one_transaction(tmp_path: Path, engine: Engine,
                                    factory: sessionmaker[Session],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash mid-batch takes the whole batch back: the earlier batches stay (the
    batched path; a first load is one transaction, see test_import_first_load)."""
    monkeypatch.setattr(import_batches, "BATCH_ROWS", 3)
    real_stage = import_batches.BatchImporter.stage

    def crash_on_fifth(self: Any, session: Session, rows: list[Any]) -> int:
        if any(p.data.member_no == "T5" for p in rows):
            raise RuntimeError("power cut")
        return real_stage(self, session, rows)

    monkeypatch.setattr(import_batches.BatchImporter, "stage", crash_on_fifth)
    rows = "".join(f"T{i},名{i}\n" for i in range(1, 8))
    with pytest.raises(RuntimeError):
        import_members(factory, write(tmp_path, "member_no,name\n" + rows), auth.SYSTEM,
                       today=TODAY, first_load=False)
    with factory() as s:
        assert sorted(s.scalars(select(Member.member_no))) == ["T1", "T2", "T3"]


def test_import_needs_a_manager_or_admin(factory: sessionmaker[Session]) -> None:
    desk = auth.Actor(None, "staff", "Lin")
    with pytest.raises(auth.PermissionDenied):
        run(factory, DATA / "members_en_bom.csv", desk)
    manager = auth.Actor(None, "manager", "Zhou")
    assert run(factory, DATA / "members_en_bom.csv", manager).ok


def test_many_rows_stream_in_batches(tmp_path: Path, factory: sessionmaker[Session],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Several batches, every row imported once (the 100k run is benchmarks/import_members)."""
    monkeypatch.setattr(import_batches, "BATCH_ROWS", 70)
    rows = "".join(f"M{i:06d},会员{i},1380000{i:04d},{i:08d}\n" for i in range(300))
    rows += "M000007,会员7,13800000007,00000007\n"  # a duplicate three batches later
    report = run(factory, write(tmp_path, "member_no,name,phone,card_no\n" + rows))
    assert report.imported_count == 300
    assert rejected_lines(report) == {302: "member_no M000007 already on line 9"}
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(MemberCard)) == 300
        assert s.scalar(select(func.count()).select_from(MemberPhone)) == 300


# -- fuzz ------------------------------------------------------------------------------

CELL = st.one_of(
    st.sampled_from(["", "王小明", "Zoë", "13800138000", "+44 7911 123456", "¥1,000",
                     "1980-01-01", "女", "M", "=1+1", "a@b.cn", "C1;C2", '"', "\n", ",", "🌸"]),
    st.text(max_size=12),
)
ROW = st.lists(CELL, min_size=0, max_size=6)
HEADER = "member_no,name,phone,card_no,gender,spend_12m\n"


def _csv_line(member_no: str, cells: list[str]) -> str:
    quoted = [f'"{c}"' if any(ch in c for ch in ',"\n') else c for c in cells]
    return ",".join([member_no, *quoted]) + "\n"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(["F1", "F2", "F3", "f4", ""]), ROW),
                     max_size=8))
def test_fuzzed_rows_never_half_write(tmp_path: Path, engine: Engine,
                                      factory: sessionmaker[Session],
                                      rows: list[tuple[str, list[str]]]) -> None:
    before = snapshot(engine)
    text_ = HEADER + "".join(_csv_line(no, cells) for no, cells in rows)
    report = run(factory, write(tmp_path, text_))
    after = snapshot(engine)
    with factory() as s:
        new_ids = {m.id.hex for m in s.scalars(select(Member).where(
            Member.member_no.in_(report.imported)))}
    # Only the imported members were added, each whole: nothing else in any table moved.
    for table in MEMBER_TABLES:
        added = [r for r in after[table] if r not in before[table]]
        removed = [r for r in before[table] if r not in after[table]]
        assert removed == []
        owner = "id" if table == "members" else "member_id"
        assert all(r[owner] in new_ids for r in added), table
    assert len(after["members"]) - len(before["members"]) == len(report.imported)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=400))
def test_random_bytes_never_crash(tmp_path: Path, factory: sessionmaker[Session],
                                  blob: bytes) -> None:
    path = write(tmp_path, b"member_no,name,phone\n" + blob)
    try:
        report = run(factory, path)
    except ImportFileError as exc:
        assert str(exc)
    else:
        assert report.rows == report.imported_count + report.unchanged + report.rejected_count


def test_each_batch_begins_immediate_before_its_savepoint(
        engine: Engine, factory: sessionmaker[Session]) -> None:
    """Without an explicit BEGIN, pysqlite would let the SAVEPOINT be the outer
    transaction and its RELEASE commit the batch piecemeal."""
    from sqlalchemy import event

    statements: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split()[0] + (" " + statement.split()[1]
                                                  if statement.startswith("BEGIN") else ""))

    event.listen(engine, "before_cursor_execute", spy)
    try:
        assert run(factory, DATA / "members_en_bom.csv").ok
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert statements.index("BEGIN IMMEDIATE") < statements.index("SAVEPOINT")

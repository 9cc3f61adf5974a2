"""Member files in the encodings Chinese chains really have: the encoding is judged by what
the name column then reads, and a file that reads as names in no encoding, or equally
well in two, is refused instead of imported as mojibake. Files are written here from
Python strings, one encoding each."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import Member
from vipdesk.services import auth
from vipdesk.services.import_encoding import looks_like_name
from vipdesk.services.importer import ImportFileError, ImportReport, import_members

TODAY = date(2026, 11, 25)
HK = ["陳大文", "李嘉誠", "黃小明", "張國榮", "劉德華", "梁朝偉", "鄭秀文", "何鴻燊"]
MAINLAND = ["王小红", "李强", "张伟", "刘芳", "陈静", "杨洋", "赵丽颖", "黄晓明"]


def csv_text(names: list[str], header: str = "會員號,姓名,手機") -> str:
    """Traditional headers, as Hong Kong files have them (simplified ones fold the same)."""
    rows = "".join(f"E{i:03d},{name},1390000{i:04d}\r\n" for i, name in enumerate(names))
    return f"{header}\r\n{rows}"


def run(factory: sessionmaker[Session], tmp_path: Path, data: bytes,
        encoding: str | None = None) -> ImportReport:
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    return import_members(factory, path, auth.SYSTEM, today=TODAY, encoding=encoding)


def stored_names(factory: sessionmaker[Session]) -> list[str]:
    with factory() as s:
        return [n or "" for n in s.scalars(select(Member.name_zh).order_by(Member.member_no))]


@pytest.mark.parametrize(("names", "encoding", "detected"), [
    (HK, "big5hkscs", "big5hkscs"),
    (HK, "big5", "big5hkscs"),  # plain Big5 is read by its Hong Kong superset
    (MAINLAND, "gb18030", "gb18030"),
    (MAINLAND, "gbk", "gb18030"),
    ([*MAINLAND, "䶮", "𠮷野"], "gb18030", "gb18030"),  # beyond GBK: four-byte GB18030
    (MAINLAND + HK, "utf-8", "utf-8"),
    (MAINLAND + HK, "utf-8-sig", "utf-8-sig"),
    (MAINLAND + HK, "utf-16", "utf-16"),
])
def test_each_encoding_is_detected_and_names_stored_right(
        factory: sessionmaker[Session], tmp_path: Path, names: list[str], encoding: str,
        detected: str) -> None:
    report = run(factory, tmp_path, csv_text(names).encode(encoding))
    assert report.encoding == detected, report.encoding_evidence
    assert report.ok, report.rejected
    assert stored_names(factory) == names


def test_short_gb18030_file_that_is_also_valid_utf8(
        factory: sessionmaker[Session], tmp_path: Path) -> None:
    """谢伟 and 毛平 in GB18030 are valid UTF-8 (`лΰ`, `ëƽ`): not names, so not UTF-8."""
    data = csv_text(["谢伟", "毛平"], "member_no,name,phone").encode("gb18030")
    data.decode("utf-8")  # the trap: it does decode
    report = run(factory, tmp_path, data)
    assert report.encoding == "gb18030"
    assert stored_names(factory) == ["谢伟", "毛平"]


def test_russian_names_in_utf8_stay_utf8(factory: sessionmaker[Session],
                                        tmp_path: Path) -> None:
    """Cyrillic is what GB18030 read as UTF-8 looks like, and also what a Russian guest's
    name looks like: without Chinese surnames in the other reading, UTF-8 stands."""
    names = ["Иван Петров", "Мария", "б"]
    report = run(factory, tmp_path, csv_text(names, "member_no,name,phone").encode())
    assert report.encoding == "utf-8"
    with factory() as s:
        stored = list(s.scalars(select(Member.name_latin).order_by(Member.member_no)))
    assert stored == names


def test_big5_is_not_read_as_gb18030(factory: sessionmaker[Session], tmp_path: Path) -> None:
    report = run(factory, tmp_path, csv_text(HK[:2]).encode("big5hkscs"))
    assert report.encoding == "big5hkscs"
    assert stored_names(factory) == HK[:2]
    assert "surname" in report.encoding_evidence or "only" in report.encoding_evidence


def test_a_big5_file_without_member_numbers_is_refused_in_its_own_words(
        factory: sessionmaker[Session], tmp_path: Path) -> None:
    """A Hong Kong shop's own list (no member numbers) is still read as Big5, so the
    refusal names what is missing and shows the header as written, not as GB18030
    mojibake."""
    data = csv_text(HK, header="姓名,手機,性別,會員卡號").encode("big5hkscs")
    with pytest.raises(ImportFileError) as refused:
        run(factory, tmp_path, data)
    said = str(refused.value)
    assert said.startswith("line 1: no member_no column;")
    assert "(found: 姓名, 手機, 性別, 會員卡號)" in said
    assert stored_names(factory) == []


def test_ambiguous_file_is_refused_naming_the_candidates(
        factory: sessionmaker[Session], tmp_path: Path) -> None:
    """These bytes read as CJK names in GB18030 (啊爸…) and in Big5 (陛啄…), and neither
    reading starts with a common surname: nothing tells them apart."""
    data = csv_text(["啊爸", "啊杯", "啊扁"], "member_no,name,phone").encode("gb18030")
    assert data.decode("big5hkscs") != data.decode("gb18030")
    with pytest.raises(ImportFileError, match="cannot tell the file's encoding") as exc:
        run(factory, tmp_path, data)
    assert "GB18030" in str(exc.value) and "Big5-HKSCS" in str(exc.value)
    assert stored_names(factory) == []
    report = run(factory, tmp_path, data, encoding="gb18030")  # the way out
    assert (report.encoding, stored_names(factory)) == ("gb18030", ["啊爸", "啊杯", "啊扁"])


def test_encoding_option_overrides_detection(
        factory: sessionmaker[Session], tmp_path: Path) -> None:
    report = run(factory, tmp_path, csv_text(HK[:3]).encode("big5hkscs"), encoding="big5")
    assert report.encoding == "big5"
    assert report.encoding_evidence == "given with --encoding"
    with pytest.raises(ImportFileError, match="unknown encoding 'klingon'"):
        run(factory, tmp_path, b"member_no,name\n", encoding="klingon")


def test_names_that_read_as_names_in_no_encoding_are_refused(
        factory: sessionmaker[Session], tmp_path: Path) -> None:
    """Bytes that GB18030 decodes into private-use characters and Big5 into punctuation
    are no member list."""
    data = b"member_no,name\r\nX1,\xa1\x41\xa1\x42\r\nX2,\xa1\x43\r\n"
    with pytest.raises(ImportFileError, match="does not read as names in any encoding"):
        run(factory, tmp_path, data)
    assert stored_names(factory) == []


def test_bom_that_lies_is_refused(factory: sessionmaker[Session], tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + csv_text(MAINLAND[:2]).encode("gb18030")
    with pytest.raises(ImportFileError, match="byte order mark"):
        run(factory, tmp_path, data)


@pytest.mark.parametrize(("text", "plausible"), [
    ("陈大文", True), ("Zoë Li", True), ("阿卜杜拉·买买提", True), ("Nguyễn Văn An", True),
    ("lǚ xiǎo", True), ("朝ゅ", False), ("лΰ", False), ("ëƽ", False), ("王\ue4c6", False),
    ("禱ⅸ", False), ("□□", False),
])
def test_what_looks_like_a_name(text: str, plausible: bool) -> None:
    assert looks_like_name(text) is plausible

"""Member CSV import (SPEC §12): whatever Excel or a legacy CRM wrote, row by row.

The file is streamed (never loaded whole) in three stages:

1. *bytes*: the encoding is UTF-8 (with or without BOM) or GB18030 (Chinese Excel's
   "CSV"); a first pass decodes every line strictly so an undecodable byte refuses the
   whole file with its line number before anything is written;
2. *text*: the delimiter is sniffed from the header (`,` `;` or tab), `csv` splits
   records, each record is checked and turned into a `NewMember` or a rejection;
3. *database*: batches of rows go through the ORM session (so the sync outbox sees
   them), one transaction per batch and a SAVEPOINT per row, so a row is written whole
   or not at all.

Re-importing is idempotent: a member whose number already exists is left alone; if the
file says something different about them, the row is rejected as "exists, differs" —
the import never overwrites what the desk has recorded since (edits go through the
audited paths in the app).
"""

from __future__ import annotations

import csv
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import IO, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import Member, MemberCard, MemberPhone
from vipdesk.services import auth, phones
from vipdesk.services.clock import Clock
from vipdesk.services.import_batches import (
    BatchImporter,
    ImportReport,
    ParsedRow,
    RejectedRow,
)
from vipdesk.services.import_batches import begin_write as _begin_write  # noqa: F401 (purchases)
from vipdesk.services.import_encoding import Choice, EncodingError, choose_encoding
from vipdesk.services.members import (
    NewMember,
    validate,
)
from vipdesk.services.names import has_cjk
from vipdesk.services.person_name import simplified
from vipdesk.services.tiers import TierTable, load_tier_table

MAX_CELL = 1000  # characters; every imported field is far shorter, so more is garbage
FIELD_LIMIT = 2 * 1024 * 1024  # csv's own cap: a 1 MB cell is read (then rejected), not fatal
MAX_LINE = 4 * 1024 * 1024  # one physical line; longer is skipped to its end and reported
MAX_SPEND_CENTS = 10**13
DELIMITERS = (",", ";", "\t")

# Normalised header (NFKC, lower case, no spaces/_/-/., no "(unit)") → field.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "member_no": ("memberno", "memberid", "membernumber", "会员号", "会员编号", "会员编码"),
    "name": ("name", "姓名", "名字", "中文名", "中文姓名"),
    "name_en": ("nameen", "englishname", "latinname", "英文名", "英文姓名"),
    "phone": ("phone", "phones", "mobile", "手机", "手机号", "手机号码", "电话"),
    "card_no": ("cardno", "card", "cards", "卡号", "会员卡号"),
    "birthday": ("birthday", "birthdate", "dateofbirth", "生日", "出生日期"),
    "gender": ("gender", "sex", "性别"),
    "email": ("email", "mail", "邮箱", "电子邮箱", "电子邮件", "电邮"),
    "spend_12m": ("spend12m", "spend", "近12个月消费", "近12月消费", "12个月消费", "年消费"),
    "shared_phone": ("sharedphone", "phoneshared", "familyphone", "共用电话", "共用手机",
                     "共享电话", "家庭共用电话"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
REQUIRED_COLUMNS = ("member_no", "name")

SHARED_YES = frozenset({"yes", "y", "1", "true", "是", "共用", "√", "✓"})
SHARED_NO = frozenset({"", "no", "n", "0", "false", "否"})
GENDERS = {"f": "F", "female": "F", "女": "F", "m": "M", "male": "M", "男": "M"}
_LIST_SEPARATORS = re.compile(r"[;/；、,，]")
_HEADER_NOISE = re.compile(r"\(.*?\)|[\s_\-.]")
_MONEY_NOISE = re.compile(r"[¥￥,\s]|元|rmb|cny", re.IGNORECASE)
_MONEY = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # exactly Unicode's Cc, by regex (per cell)


_T = TypeVar("_T")


class ImportFileError(ValueError):
    """The whole file is refused (nothing was imported); the message says why, for staff."""


# -- stage 1: bytes -------------------------------------------------------------------


def name_column(header: list[str]) -> int | None:
    """Where the header puts the name, if it names one (for judging an encoding by what
    its name column reads). A file without a member-number column is still read in its
    own encoding, so the refusal shows its header as written, not garbled."""
    fields = [_ALIAS_TO_FIELD.get(normalise_header(cell)) for cell in header]
    return fields.index("name") if "name" in fields else None


def detect_member_encoding(path: Path, forced: str | None = None) -> Choice:
    """The file's encoding and the evidence; refuses a file whose encoding is unclear or
    that does not decode, naming the line."""
    try:
        return choose_encoding(path, name_column, forced)
    except EncodingError as exc:
        raise ImportFileError(str(exc)) from None


def detect_encoding(path: Path) -> str:
    """For files without a name column (the POS purchases export): the first of UTF-8,
    GB18030, Big5 that decodes the file."""
    return detect_member_encoding(path).encoding


# -- stage 2: text --------------------------------------------------------------------


class LineTooLong(Exception):
    """A physical line longer than the import accepts (hostile or broken file)."""


class _Lines:
    """The physical lines csv reads, counted, none longer than MAX_LINE characters.

    A class, not a generator: raising LineTooLong through csv.reader must leave the
    source usable for the next record (a generator dies with its first exception).
    """

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.count = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.fh.readline(MAX_LINE)
        if not line:
            raise StopIteration
        self.count += 1
        if len(line) >= MAX_LINE and not line.endswith(("\n", "\r")):
            while (rest := self.fh.readline(MAX_LINE)) and not rest.endswith(("\n", "\r")):
                pass
            raise LineTooLong
        return line


@dataclass(frozen=True)
class Record:
    line: int
    last_line: int
    cells: list[str] | None  # None: unreadable, see `error`
    error: str = ""


def read_records(lines: _Lines, delimiter: str) -> Iterator[Record]:
    """CSV records with their line span; broken ones come out as errors, never raise."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        start = lines.count + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(start, lines.count, None, f"broken CSV ({exc}); check the quotes")
        except LineTooLong:
            yield Record(start, lines.count, None, f"line longer than {MAX_LINE:,} characters")
        else:
            if any(cell.strip() for cell in cells):  # Excel leaves rows of empty cells
                yield Record(start, lines.count, cells)
            continue
        if lines.count < start:  # an error that consumed nothing would loop for ever
            return


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns (`,` on a tie)."""
    return max(DELIMITERS, key=lambda d: (header_line.count(d), d == ","))


def normalise_header(cell: str) -> str:
    """Folded for matching: Hong Kong and Taiwan files write 會員號, 手機, 電郵."""
    text = simplified(unicodedata.normalize("NFKC", cell).strip().lstrip("\ufeff").lower())
    return _HEADER_NOISE.sub("", text)


def map_header(cells: list[str]) -> tuple[dict[str, int], list[str]]:
    """field → column index, and the headers ignored; refuses duplicates and gaps."""
    columns: dict[str, int] = {}
    ignored = []
    for index, cell in enumerate(cells):
        name = _ALIAS_TO_FIELD.get(normalise_header(cell))
        if name is None:
            if cell.strip():
                ignored.append(cell.strip()[:60])
            continue
        if name in columns:
            raise ImportFileError(f"line 1: two columns mean {name}: "
                                  f"{cells[columns[name]].strip()!r} and {cell.strip()!r}")
        columns[name] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFileError(
            f"line 1: no {' or '.join(missing)} column; the header must name at least "
            "member_no/会员号 and name/姓名 (found: "
            f"{', '.join(c.strip()[:30] for c in cells[:12])})")
    return columns, ignored


# -- rows → NewMember -----------------------------------------------------------------


class RowError(ValueError):
    """A CSV row that cannot become a member; the message is the report's reason."""


def _cell_problem(name: str, value: str) -> str | None:
    if len(value) > MAX_CELL:
        return f"{name}: {len(value):,} characters (at most {MAX_CELL:,})"
    if "\n" in value or "\r" in value:
        return f"{name}: the cell spans several lines (an unbalanced quote?)"
    if _CONTROL.search(value):
        return f"{name}: contains control characters"
    return None


def row_cells(cells: list[str], columns: dict[str, int], width: int) -> dict[str, str]:
    """The mapped cells, trimmed; refuses rows whose shape or content cannot be data."""
    extra = cells[width:]
    if len(cells) < width or any(c.strip() for c in extra):
        raise RowError(f"expected {width} columns, found {len(cells)}")
    values = {name: cells[index].strip() for name, index in columns.items()}
    together = "".join(values.values())
    if len(together) <= MAX_CELL and not _CONTROL.search(together):
        return values  # the common case, one check for the row (line breaks are Cc too)
    problems = [p for name, value in values.items() if (p := _cell_problem(name, value))]
    if problems:
        raise RowError("; ".join(problems))
    return values


def parse_spend(text: str) -> int:
    """`¥1,234.50` / `12 000元` → cents."""
    whole = text.replace("¥", "").replace(",", "")
    if whole.isascii() and whole.isdigit():  # `¥123,456`, `12000`: no Decimal needed
        cents = int(whole) * 100
        if cents >= MAX_SPEND_CENTS:
            raise RowError(f"spend_12m: implausibly large: {text[:40]!r}")
        return cents
    plain = _MONEY_NOISE.sub("", unicodedata.normalize("NFKC", text))
    if not _MONEY.match(plain):
        raise RowError(f"spend_12m: not an amount in yuan: {text[:40]!r}")
    try:
        cents = int(Decimal(plain) * 100)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise RowError(f"spend_12m: not an amount in yuan: {text[:40]!r}") from exc
    if cents >= MAX_SPEND_CENTS:
        raise RowError(f"spend_12m: implausibly large: {text[:40]!r}")
    return cents


def parse_birthday(text: str, today: date) -> date:
    """`1978-05-03`, `1978/5/3`, `1978.05.03`, `1978年5月3日`, `19780503`."""
    return _birthday(text, today)


@lru_cache(maxsize=1 << 16)  # a million members have some 30,000 birthdays between them
def _birthday(text: str, today: date) -> date:
    plain = unicodedata.normalize("NFKC", text)
    match = _DATE.match(plain) or _COMPACT_DATE.match(plain)
    if not match:
        raise RowError(f"birthday: not a date (YYYY-MM-DD): {text[:40]!r}")
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise RowError(f"birthday: no such day: {text[:40]!r}") from exc
    if not date(1900, 1, 1) <= day <= today:
        raise RowError(f"birthday: {day.isoformat()} is not a plausible birthday")
    return day


def parse_gender(text: str) -> str | None:
    if not text:
        return None
    gender = GENDERS.get(text.strip().lower())
    if gender is None:
        raise RowError(f"gender: F/M, 女/男 or female/male, not {text[:20]!r}")
    return gender


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def split_names(name: str, name_en: str) -> tuple[str | None, str | None]:
    """(name_zh, name_latin): a Chinese name goes to name_zh, anything else is Latin."""
    if has_cjk(name):
        return name, name_en or None
    if name_en and name and name_en != name:
        raise RowError(f"name: {name[:40]!r} is not Chinese, but an English name "
                       f"{name_en[:40]!r} is given too")
    return None, (name_en or name) or None


def to_new_member(values: dict[str, str], tiers: TierTable, today: date) -> NewMember:
    """The row as a NewMember with tier and spend, or RowError naming every problem."""
    problems: list[str] = []

    def attempt(parse: Callable[[str], _T], cell: str, empty: _T) -> _T:
        try:
            return parse(cell) if cell else empty
        except RowError as exc:
            problems.append(str(exc))
            return empty

    name_zh: str | None = None
    name_latin: str | None = None
    try:  # the name_en column alone may carry the name
        name_zh, name_latin = split_names(values["name"], values.get("name_en", ""))
    except RowError as exc:
        problems.append(str(exc))
    spend = attempt(parse_spend, values.get("spend_12m", ""), 0)
    tier = tiers.for_spend(spend)
    data = NewMember(
        member_no=values["member_no"].upper(), name_zh=name_zh, name_latin=name_latin,
        gender=attempt(parse_gender, values.get("gender", ""), None),
        birthday=attempt(lambda b: parse_birthday(b, today), values.get("birthday", ""), None),
        email=values.get("email") or None,
        phones=[phones.try_normalize(p) or p for p in split_list(values.get("phone", ""))],
        cards=[phones.code_number(c) for c in split_list(values.get("card_no", ""))],
        spend_12m_cents=spend, tier_code=tier.code if tier else None,
    )
    problems += validate(data)
    if problems:
        raise RowError("; ".join(dict.fromkeys(problems)))
    # Valid, so every phone is E.164 already (normalised once, above; invalid ones
    # stayed as typed for the report): later steps take them as they are.
    return data


# -- stage 3: database ----------------------------------------------------------------


def differences(session: Session, member: Member, data: NewMember,
                given: set[str]) -> list[str]:
    """The fields where the file disagrees with the stored member.

    An empty cell says nothing (the desk may have learnt it since), and phones/cards in
    the file need only be among the member's: neither counts as a difference.
    """
    diffs = [name for name, stored, new in (
        ("name", member.name_zh, data.name_zh), ("name_en", member.name_latin, data.name_latin),
        ("gender", member.gender, data.gender), ("birthday", member.birthday, data.birthday),
        ("email", member.email, data.email),
    ) if new is not None and stored != new]
    if "spend_12m" in given and member.spend_12m_cents != data.spend_12m_cents:
        diffs.append("spend_12m")
    stored_phones = set(session.scalars(
        select(MemberPhone.e164).where(MemberPhone.member_id == member.id)))
    if {phones.normalize(p) for p in data.phones} - stored_phones:
        diffs.append("phone")
    stored_cards = set(session.scalars(
        select(MemberCard.card_no).where(MemberCard.member_id == member.id)))
    if set(data.cards) - stored_cards:
        diffs.append("card_no")
    return diffs


def parse_shared(text: str) -> bool:
    """The shared_phone column: yes/1/是 lets the row's phone be another member's too."""
    if not text:
        return False
    value = unicodedata.normalize("NFKC", text).strip().lower()
    if value in SHARED_YES:
        return True
    if value in SHARED_NO:
        return False
    raise RowError(f"shared_phone: yes/no, 1/0 or 是/否, not {text[:20]!r}")


def parse_rows(records: Iterable[Record], columns: dict[str, int], width: int,
               tiers: TierTable, today: date) -> Iterator[ParsedRow]:
    for rec in records:
        if rec.cells is None:
            yield ParsedRow(rec.line, rec.last_line, None, rec.error)
            continue
        index = columns["member_no"]
        raw_no = rec.cells[index].strip() if index < len(rec.cells) else ""
        member_no = raw_no[:32].upper() or None
        try:
            values = row_cells(rec.cells, columns, width)
            shared = parse_shared(values.get("shared_phone", ""))
            yield ParsedRow(rec.line, rec.last_line, to_new_member(values, tiers, today),
                            shared_phone=shared)
        except RowError as exc:
            yield ParsedRow(rec.line, rec.last_line, None, str(exc), member_no)


def import_members(factory: sessionmaker[Session], path: Path | str, actor: auth.Actor,
                   tiers: TierTable | None = None, today: date | None = None,
                   encoding: str | None = None,
                   on_reject: Callable[[RejectedRow], None] | None = None,
                   bulk: bool = True,
                   progress: Callable[[int], bool] | None = None,
                   first_load: bool | None = None) -> ImportReport:
    """Import the file's good rows, report the others; raises ImportFileError (nothing
    imported) when the file as a whole cannot be read.

    Every rejected row goes to `on_reject` as its batch ends (the report keeps only the
    first ones and the count, so memory does not grow with them). `bulk=False` writes
    through the ORM session instead of executemany (the reference the bulk path is
    tested against). `progress(rows_done)` is called after each committed batch;
    returning False stops the import there (`report.cancelled`).

    A desk without members gets a first load (`import_first_load`: one transaction,
    indexes built after the rows) unless `first_load=False`; `True` forces it."""
    auth.require(actor, "member.import")
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    started = time.perf_counter()
    if tiers is None:
        with factory() as session:
            tiers = load_tier_table(session)
    choice = detect_member_encoding(path, encoding)
    report = ImportReport(str(path), encoding=choice.encoding, encoding_evidence=choice.why)
    importer = BatchImporter(factory, report, _differences(report),
                             on_reject or (lambda _row: None), bulk, first_load)
    old_limit = csv.field_size_limit(FIELD_LIMIT)  # process-wide, so restored below
    try:
        with path.open(encoding=report.encoding, newline="") as fh:
            rows = _read_rows(fh, tiers, report, today or Clock().today())
            report.cancelled = not importer.run(rows, progress)
    finally:
        csv.field_size_limit(old_limit)
    report.seconds = time.perf_counter() - started
    return report


def _differences(report: ImportReport) -> Callable[[Session, Member, NewMember], list[str]]:
    return lambda session, member, data: differences(session, member, data,
                                                     set(report.columns))


def _read_rows(fh: IO[str], tiers: TierTable, report: ImportReport,
               today: date) -> Iterator[ParsedRow]:
    """The header checked now (a bad one refuses the file), then the rows, lazily."""
    report.delimiter = sniff_delimiter(fh.readline(MAX_LINE))
    fh.seek(0)
    lines = _Lines(fh)
    records = read_records(lines, report.delimiter)
    header = next(records, None)
    if header is None:
        raise ImportFileError(f"{report.path}: the file is empty")
    if header.cells is None or header.line != 1:
        raise ImportFileError(f"line {header.line}: the first line must be the header "
                              f"({header.error or 'found a blank line'})")
    columns, report.ignored_columns = map_header(header.cells)
    report.columns = {name: header.cells[i].strip() for name, i in columns.items()}
    return parse_rows(records, columns, len(header.cells), tiers, today)


@dataclass(frozen=True)
class PreviewRow:
    line: int
    member: NewMember | None  # as it would be stored (phones in E.164, tier from spend)
    error: str = ""  # why the import would refuse the row (its own fault or a clash)
    member_no: str | None = None  # as the file gives it, also on a refused row


@dataclass(frozen=True)
class Preview:
    encoding: str
    encoding_evidence: str
    columns: dict[str, str]
    ignored_columns: list[str]
    rows: list[PreviewRow]


def _refusals(factory: sessionmaker[Session], report: ImportReport,
              rows: list[ParsedRow]) -> dict[int, str]:
    """Line → why the import would refuse it: the import's own checks run over the
    previewed rows, reading only — a phone or card already on file or on an earlier line,
    a member number that exists with other details."""
    refused: dict[int, str] = {}

    def note(rejected: RejectedRow) -> None:
        refused.setdefault(rejected.line, rejected.reason)

    scratch = ImportReport(report.path, columns=dict(report.columns))  # counts not kept
    checker = BatchImporter(factory, scratch, _differences(scratch), note)
    with factory() as session:
        checker.prefetch(session.connection(), [r.member for r in rows if r.member])
        for row in rows:
            checker.check(session, row)
        session.rollback()
    checker.flush_rejections()
    return refused


def preview_members(factory: sessionmaker[Session], path: Path | str, rows: int = 20,
                    encoding: str | None = None, today: date | None = None) -> Preview:
    """The first rows as the import would store them, writing nothing (for the import
    dialog); raises ImportFileError as the import would."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    with factory() as session:
        tiers = load_tier_table(session)
    choice = detect_member_encoding(path, encoding)
    report = ImportReport(str(path), encoding=choice.encoding, encoding_evidence=choice.why)
    old_limit = csv.field_size_limit(FIELD_LIMIT)
    try:
        with path.open(encoding=report.encoding, newline="") as fh:
            parsed = list(islice(_read_rows(fh, tiers, report, today or Clock().today()),
                                 rows))
    finally:
        csv.field_size_limit(old_limit)
    refused = _refusals(factory, report, parsed)
    shown = [PreviewRow(r.line, r.member, refused.get(r.line, r.error),
                        r.member_no or (r.member.member_no if r.member else None))
             for r in parsed]
    return Preview(report.encoding, report.encoding_evidence, report.columns,
                   report.ignored_columns, shown)

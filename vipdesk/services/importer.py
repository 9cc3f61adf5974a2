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
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import IO, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Member, MemberCard, MemberPhone, TierChange
from vipdesk.services import auth, phones
from vipdesk.services.clock import Clock
from vipdesk.services.import_encoding import Choice, EncodingError, choose_encoding
from vipdesk.services.members import (
    MemberDataError,
    NewMember,
    add_terms,
    find_by_member_no,
    stage_member,
    validate,
)
from vipdesk.services.names import has_cjk
from vipdesk.services.person_name import simplified
from vipdesk.services.tiers import TierTable, load_tier_table

BATCH_ROWS = 500  # rows per transaction: long enough to be fast, short enough to keep RAM flat
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
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
REQUIRED_COLUMNS = ("member_no", "name")

GENDERS = {"f": "F", "female": "F", "女": "F", "m": "M", "male": "M", "男": "M"}
_LIST_SEPARATORS = re.compile(r"[;/；、,，]")
_HEADER_NOISE = re.compile(r"\(.*?\)|[\s_\-.]")
_MONEY_NOISE = re.compile(r"[¥￥,\s]|元|rmb|cny", re.IGNORECASE)
_MONEY = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


_T = TypeVar("_T")


class ImportFileError(ValueError):
    """The whole file is refused (nothing was imported); the message says why, for staff."""


@dataclass(frozen=True)
class RejectedRow:
    line: int  # physical line in the file where the record starts (header = line 1)
    reason: str
    member_no: str | None = None
    last_line: int | None = None  # when the record spans several lines


@dataclass
class ImportReport:
    path: str
    encoding: str = ""
    encoding_evidence: str = ""  # why that encoding was assumed
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)  # field → header as written
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    imported: list[str] = field(default_factory=list)  # member numbers
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.rejected


# -- stage 1: bytes -------------------------------------------------------------------


def name_column(header: list[str]) -> int | None:
    """Where the header puts the name, if it names member_no and name at all (for
    judging an encoding by what its name column reads)."""
    fields = [_ALIAS_TO_FIELD.get(normalise_header(cell)) for cell in header]
    if "member_no" not in fields or "name" not in fields:
        return None
    return fields.index("name")


def detect_encoding(path: Path, forced: str | None = None) -> Choice:
    """The file's encoding and the evidence; refuses a file whose encoding is unclear or
    that does not decode, naming the line."""
    try:
        return choose_encoding(path, name_column, forced)
    except EncodingError as exc:
        raise ImportFileError(str(exc)) from None


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
    if any(unicodedata.category(c) == "Cc" for c in value):
        return f"{name}: contains control characters"
    return None


def row_cells(cells: list[str], columns: dict[str, int], width: int) -> dict[str, str]:
    """The mapped cells, trimmed; refuses rows whose shape or content cannot be data."""
    extra = cells[width:]
    if len(cells) < width or any(c.strip() for c in extra):
        raise RowError(f"expected {width} columns, found {len(cells)}")
    values = {name: cells[index].strip() for name, index in columns.items()}
    problems = [p for name, value in values.items() if (p := _cell_problem(name, value))]
    if problems:
        raise RowError("; ".join(problems))
    return values


def parse_spend(text: str) -> int:
    """`¥1,234.50` / `12 000元` → cents."""
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
        phones=split_list(values.get("phone", "")),
        cards=[phones.code_number(c) for c in split_list(values.get("card_no", ""))],
        spend_12m_cents=spend, tier_code=tier.code if tier else None,
    )
    problems += validate(data)
    if problems:
        raise RowError("; ".join(dict.fromkeys(problems)))
    return data


# -- stage 3: database ----------------------------------------------------------------


@dataclass(frozen=True)
class ParsedRow:
    line: int
    last_line: int
    member: NewMember | None
    error: str = ""
    member_no: str | None = None


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


class _Importer:
    def __init__(self, factory: sessionmaker[Session], tiers: TierTable,
                 report: ImportReport) -> None:
        self.factory = factory
        self.tiers = tiers
        self.report = report
        self.given = set(report.columns)
        self.seen: dict[str, int] = {}  # member_no → line, for duplicates within the file
        # Looked up once per batch (two queries instead of two per row), then kept current
        # as rows go in: which numbers exist, and who owns each card the batch mentions.
        self.existing: set[str] = set()
        self.owners: dict[str, str] = {}

    def run(self, rows: Iterator[ParsedRow]) -> None:
        while batch := list(islice(rows, BATCH_ROWS)):
            with unit_of_work(self.factory) as session:
                _begin_write(session)
                self.prefetch(session, [r.member for r in batch if r.member])
                staged = [(row, data) for row in batch if (data := self.check(session, row))]
                self.write(session, staged)
        self.report.rejected.sort(key=lambda r: r.line)

    def prefetch(self, session: Session, members: list[NewMember]) -> None:
        numbers = [m.member_no for m in members]
        cards = [card for m in members for card in m.cards]
        self.existing = {no for part in _chunks(numbers) for no in session.scalars(
            select(Member.member_no).where(Member.member_no.in_(part)))}
        self.owners = {card: no for part in _chunks(cards) for card, no in session.execute(
            select(MemberCard.card_no, Member.member_no).join(Member)
            .where(MemberCard.card_no.in_(part)))}

    def card_conflicts(self, data: NewMember) -> list[str]:
        return [f"card_no {card}: already belongs to member {owner}" for card in data.cards
                if (owner := self.owners.get(card)) and owner != data.member_no]

    def check(self, session: Session, row: ParsedRow) -> NewMember | None:
        """The row's data if it is to be written; otherwise counts or rejects it."""
        self.report.rows += 1
        member_no = row.member.member_no if row.member else row.member_no
        first = self.seen.setdefault(member_no, row.line) if member_no else row.line
        if first != row.line:
            self.reject(row, f"member_no {member_no} already on line {first}")
            return None
        if row.member is None:
            self.reject(row, row.error)
            return None
        problem = self.problem(session, row.member)
        if problem == "unchanged":
            self.report.unchanged += 1
        elif problem:
            self.reject(row, problem)
        else:  # claimed now, so a later row of the same batch sees its cards taken
            self.owners.update(dict.fromkeys(row.member.cards, row.member.member_no))
            return row.member
        return None

    def problem(self, session: Session, data: NewMember) -> str | None:
        """None when the row may be written; "unchanged"; otherwise why it is refused."""
        existing = (find_by_member_no(session, data.member_no)
                    if data.member_no in self.existing else None)
        if existing is not None:
            diffs = differences(session, existing, data, self.given)
            if not diffs:
                return "unchanged"
            return (f"member {data.member_no} exists, differs in {', '.join(diffs)}; "
                    "not overwritten (edit the member in the app)")
        conflicts = self.card_conflicts(data)
        return "; ".join(conflicts) if conflicts else None

    def write(self, session: Session, staged: list[tuple[ParsedRow, NewMember]]) -> None:
        """The batch's rows in one flush inside a SAVEPOINT; if the database refuses it,
        the SAVEPOINT is rolled back and each row is retried in its own, so every row is
        written whole or not at all and one bad row cannot sink the others."""
        try:
            with session.begin_nested():
                self.stage(session, [data for _, data in staged])
        except (IntegrityError, MemberDataError):
            for row, data in staged:
                self.write_one(session, row, data)
        else:
            self.report.imported += [data.member_no for _, data in staged]

    def write_one(self, session: Session, row: ParsedRow, data: NewMember) -> None:
        try:
            with session.begin_nested():
                self.stage(session, [data])
        except (IntegrityError, MemberDataError) as exc:
            self.reject(row, f"the database refused the row: {str(exc).splitlines()[0][:200]}")
        else:
            self.report.imported.append(data.member_no)

    def stage(self, session: Session, rows: list[NewMember]) -> None:
        """Write members: two flushes however many rows (rows referring to a member by id
        only, like its search terms, must follow its own INSERT)."""
        members = [stage_member(session, data) for data in rows]
        session.flush()
        for member, data in zip(members, rows, strict=True):
            add_terms(session, member)
            if data.tier_code:
                spend = f"¥{data.spend_12m_cents // 100:,}"
                session.add(TierChange(member_id=member.id, from_tier=None,
                                       to_tier=data.tier_code, kind="auto",
                                       reason=f"imported, 12m spend {spend}"))
        session.flush()

    def reject(self, row: ParsedRow, reason: str) -> None:
        last = row.last_line if row.last_line > row.line else None
        member_no = row.member.member_no if row.member else row.member_no
        self.report.rejected.append(RejectedRow(row.line, reason, member_no, last))


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for SQL's bound-parameter limits."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _begin_write(session: Session) -> None:
    """Open the batch's transaction now, and take SQLite's write lock up front.

    pysqlite only begins a transaction at the first INSERT; a SAVEPOINT issued before that
    would *be* the outer transaction and its RELEASE would commit. BEGIN IMMEDIATE also
    avoids a busy error halfway through the batch when the UI is reading.
    """
    conn = session.connection()
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and not getattr(dbapi, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


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
            yield ParsedRow(rec.line, rec.last_line, to_new_member(values, tiers, today))
        except RowError as exc:
            yield ParsedRow(rec.line, rec.last_line, None, str(exc), member_no)


def import_members(factory: sessionmaker[Session], path: Path | str, actor: auth.Actor,
                   tiers: TierTable | None = None, today: date | None = None,
                   encoding: str | None = None) -> ImportReport:
    """Import the file's good rows, report the others; raises ImportFileError (nothing
    imported) when the file as a whole cannot be read."""
    auth.require(actor, "member.import")
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    started = time.perf_counter()
    if tiers is None:
        with factory() as session:
            tiers = load_tier_table(session)
    choice = detect_encoding(path, encoding)
    report = ImportReport(str(path), encoding=choice.encoding, encoding_evidence=choice.why)
    old_limit = csv.field_size_limit(FIELD_LIMIT)  # process-wide, so restored below
    try:
        with path.open(encoding=report.encoding, newline="") as fh:
            _import_stream(fh, factory, tiers, report, today or Clock().today())
    finally:
        csv.field_size_limit(old_limit)
    report.seconds = time.perf_counter() - started
    return report


def _import_stream(fh: IO[str], factory: sessionmaker[Session], tiers: TierTable,
                   report: ImportReport, today: date) -> None:
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
    rows = parse_rows(records, columns, len(header.cells), tiers, today)
    _Importer(factory, tiers, report).run(rows)

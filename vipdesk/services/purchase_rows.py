"""Reading a POS export's purchases (stage 1 of `purchases`): the header mapped from
English or Chinese names, each row's member, time, amount, store and receipt checked and
parsed, broken rows reported by line. Nothing here touches the database.

The file is read as the member import reads its CSV (`importer`: encodings checked
first, streamed, a delimiter sniffed from the header, broken records reported by line).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO
from zoneinfo import ZoneInfo

from vipdesk.services import phones
from vipdesk.services.importer import (
    MAX_LINE,
    ImportFileError,
    Record,
    RejectedRow,
    RowError,
    _Lines,
    normalise_header,
    read_records,
    row_cells,
    sniff_delimiter,
)

MAX_AMOUNT_CENTS = 10**11  # ¥1,000,000,000 on one receipt is a typo, not a sale
FUTURE_SLACK = timedelta(minutes=10)  # a POS clock a little ahead of the desk's

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "member_no": ("memberno", "memberid", "membernumber", "会员号", "会员编号", "会员编码"),
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话", "会员手机"),
    "card_no": ("cardno", "card", "卡号", "会员卡号"),
    "occurred_at": ("time", "datetime", "date", "purchasedat", "occurredat", "saletime",
                    "消费时间", "购买时间", "交易时间", "销售时间", "时间", "日期"),
    "amount": ("amount", "total", "paid", "金额", "消费金额", "实付金额", "实收金额", "销售额"),
    "items": ("items", "item", "description", "products", "商品", "商品明细", "明细", "品名"),
    "store": ("store", "storecode", "shop", "门店", "门店编号", "门店代码", "店铺"),
    "receipt_no": ("receiptno", "receipt", "ticket", "ticketno", "orderno", "小票号",
                   "小票", "单号", "订单号", "流水号", "销售单号"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
MEMBER_COLUMNS = ("phone", "card_no", "member_no")
REQUIRED_COLUMNS = ("occurred_at", "amount", "receipt_no")

_MONEY_NOISE = re.compile(r"[¥￥,\s]|元|rmb|cny", re.IGNORECASE)
_MONEY = re.compile(r"^-?[0-9]+(\.[0-9]{1,2})?$")
_TIME = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass
class PurchaseImportReport:
    path: str
    encoding: str = ""
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    points: int = 0
    members: int = 0  # members with new purchases, re-tiered once each
    tier_moves: dict[str, int] = field(default_factory=dict)  # "old → new" → members
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.rejected


@dataclass(frozen=True)
class PurchaseRow:
    line: int
    last_line: int
    phone: str | None
    card_no: str | None
    member_no: str | None
    occurred_at: datetime
    amount_cents: int
    items: str | None
    store: str
    receipt_no: str


# -- reading rows ---------------------------------------------------------------------


def map_header(cells: list[str]) -> tuple[dict[str, int], list[str]]:
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
    if not any(c in columns for c in MEMBER_COLUMNS):
        missing.append("phone/card_no/member_no")
    if missing:
        raise ImportFileError(
            f"line 1: no {' or '.join(missing)} column; a POS export needs the time/消费时间, "
            "amount/金额, receipt_no/小票号 and the member's phone/手机, card_no/卡号 or "
            f"member_no/会员号 (found: {', '.join(c.strip()[:30] for c in cells[:12])})")
    return columns, ignored


def parse_amount(text: str) -> int:
    """`¥1,234.50` / `12 000元` → cents; a purchase is more than nothing."""
    plain = _MONEY_NOISE.sub("", unicodedata.normalize("NFKC", text))
    if not _MONEY.match(plain):
        raise RowError(f"amount: not an amount in yuan: {text[:40]!r}")
    cents = int(Decimal(plain) * 100)
    if cents <= 0:
        raise RowError(f"amount: {text[:40]!r} is not more than zero "
                       "(returns are not imported; the POS keeps them)")
    if cents >= MAX_AMOUNT_CENTS:
        raise RowError(f"amount: implausibly large: {text[:40]!r}")
    return cents


def parse_time(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """`2026-12-01 14:30[:05]`, `2026/12/1 14:30`, ISO 8601 with an offset; a time
    without an offset is the store's local time; a date alone is the start of that day."""
    plain = unicodedata.normalize("NFKC", text).strip()
    match = _TIME.match(plain)
    try:
        if match:
            y, mo, d, h, mi, sec = (int(p) if p else 0 for p in match.groups())
            at = datetime(y, mo, d, h, mi, sec, tzinfo=tz)
        else:
            at = datetime.fromisoformat(plain)
            at = at if at.tzinfo else at.replace(tzinfo=tz)
    except ValueError as exc:
        raise RowError(f"time: not a date and time (YYYY-MM-DD HH:MM): {text[:40]!r}") from exc
    if at > now + FUTURE_SLACK:
        raise RowError(f"time: {plain[:40]} is in the future")
    if at.year < 2000:
        raise RowError(f"time: {plain[:40]} is not a plausible purchase time")
    return at.astimezone(ZoneInfo("UTC"))


def to_row(rec: Record, columns: dict[str, int], width: int, default_store: str,
           tz: ZoneInfo, now: datetime) -> PurchaseRow:
    values = row_cells(rec.cells or [], columns, width)
    problems: list[str] = []
    at, cents = now, 0
    try:
        at = parse_time(values["occurred_at"], tz, now) if values["occurred_at"] else now
        if not values["occurred_at"]:
            problems.append("time: empty")
    except RowError as exc:
        problems.append(str(exc))
    try:
        cents = parse_amount(values["amount"]) if values["amount"] else 0
        if not values["amount"]:
            problems.append("amount: empty")
    except RowError as exc:
        problems.append(str(exc))
    if not values["receipt_no"]:
        problems.append("receipt_no: empty")
    who = {c: values.get(c) or None for c in MEMBER_COLUMNS}
    if not any(who.values()):
        problems.append("no phone, card_no or member_no: whose purchase is it?")
    if problems:
        raise RowError("; ".join(problems))
    return PurchaseRow(
        rec.line, rec.last_line, who["phone"],
        phones.code_number(who["card_no"]) if who["card_no"] else None,
        who["member_no"].upper() if who["member_no"] else None,
        at, cents, values.get("items") or None,
        (values.get("store") or default_store).upper(), values["receipt_no"])


def read_rows(fh: IO[str], report: PurchaseImportReport, store: str, tz: ZoneInfo,
          now: datetime) -> Iterator[PurchaseRow | RejectedRow]:
    report.delimiter = sniff_delimiter(fh.readline(MAX_LINE))
    fh.seek(0)
    records = read_records(_Lines(fh), report.delimiter)
    header = next(records, None)
    if header is None:
        raise ImportFileError(f"{report.path}: the file is empty")
    if header.cells is None or header.line != 1:
        raise ImportFileError(f"line {header.line}: the first line must be the header "
                              f"({header.error or 'found a blank line'})")
    columns, report.ignored_columns = map_header(header.cells)
    report.columns = {name: header.cells[i].strip() for name, i in columns.items()}
    return _parse(records, columns, len(header.cells), store, tz, now)


def _parse(records: Iterator[Record], columns: dict[str, int], width: int, store: str,
           tz: ZoneInfo, now: datetime) -> Iterator[PurchaseRow | RejectedRow]:
    for rec in records:
        last = rec.last_line if rec.last_line > rec.line else None
        if rec.cells is None:
            yield RejectedRow(rec.line, rec.error, None, last)
            continue
        try:
            yield to_row(rec, columns, width, store, tz, now)
        except RowError as exc:
            yield RejectedRow(rec.line, str(exc), None, last)

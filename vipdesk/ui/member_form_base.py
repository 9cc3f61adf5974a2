"""What the member forms share: the service's field problems in the desk's words, the
parsing of what is typed (lists of numbers, birthdays, preference lines), a search's
words carried into the register form, and the forms' common base."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QBoxLayout, QComboBox, QFormLayout, QHBoxLayout, QWidget

from vipdesk.services import phones
from vipdesk.services.clock import DEFAULT_TZ
from vipdesk.services.member_edit import MemberDesk
from vipdesk.services.validation import FieldError
from vipdesk.ui.forms import FormDialog
from vipdesk.ui.i18n import t, table
from vipdesk.ui.member_card import PREFERENCE_TAGS
from vipdesk.ui.ops import Ops

LIST_SPLIT = re.compile(r"[,，;；、\n]+")
PREF_SPLIT = re.compile(r"\s*[:：]\s*")
CJK = re.compile(r"[\u3400-\u9fff]")
ISO_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")  # written right, yet maybe no such day
GENDERS = (("", "— not given —"), ("F", "Female"), ("M", "Male"))
# The services' field problems in the desk's language (the generic ones — required,
# too long, in the future — are worded by ui/messages.py).
FIELD_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), w) for p, w in (
        (r"not a valid number: (.*)", "Not a phone number: %1"),
        (r"letters and digits only, at most 40", "Letters and digits only, at most 40"),
        (r"not an e-mail address", "Not an e-mail address"),
        (r"not a plausible birthday", "Not a plausible birthday"),
        (r"not a date \(YYYY-MM-DD\)", "Not a date (YYYY-MM-DD)"),
        (r"no such day: (.*)", "There is no such day: %1"),
        (r"already on file: (.*)", "Already on file: %1"),
        (r"no such member", "No such member"),
        (r"that is this member", "That is this member"),
    ))


def worded(error: FieldError) -> FieldError:
    if error.field == "consent":
        return FieldError("consent", t("Ask the customer's consent first"))
    if error.field == "name_zh" and error.message == "required":
        return FieldError("name_zh", t("A Chinese or Latin name is required"))
    for pattern, words in FIELD_WORDS:
        found = pattern.fullmatch(error.message)
        if found is not None:
            text = t(words)
            for i, group in enumerate(found.groups(), 1):
                text = text.replace(f"%{i}", group)
            return FieldError(error.field, text)
    return error


def split_list(text: str) -> list[str]:
    """"138 0013 8000，139…" → each number as typed (spaces inside a number stay)."""
    return [part.strip() for part in LIST_SPLIT.split(text) if part.strip()]


def _normalised_date(text: str) -> str:
    return text.strip().replace("/", "-").replace(".", "-")


def parse_birthday(text: str) -> date | None:
    """YYYY-MM-DD (or with / or .); raises ValueError for anything else."""
    text = _normalised_date(text)
    return date.fromisoformat(text) if text else None


def pref_label(tag: str) -> str:
    return t(PREFERENCE_TAGS.get(tag, tag))


def pref_line(tag: str, value: str) -> str:
    return f"{pref_label(tag)}：{value}"


def recorded(by: str | None, at: datetime | None, tz: str = DEFAULT_TZ) -> str:
    """" · 张敏 · 11-25 15:20": who recorded a preference and when (store time)."""
    parts = [by] if by else []
    if at is not None:
        parts.append(f"{at.astimezone(ZoneInfo(tz)):%m-%d %H:%M}")
    return "".join(f" · {part}" for part in parts)


@cache
def _chinese() -> dict[str, str]:
    return table("zh")  # read once: the draft is parsed at every key


def parse_preferences(text: str) -> list[tuple[str, str]]:
    """One per line, "饮品：龙井" or "drink: 龙井"; a known label becomes its tag, a line
    without a label is a note."""
    zh = _chinese()  # Chinese labels are understood on an English desk too
    codes = {}
    for code, label in PREFERENCE_TAGS.items():
        codes.update({code: code, label.lower(): code, t(label).lower(): code,
                      zh.get(label, label).lower(): code})
    prefs = []
    for line in text.splitlines():
        parts = PREF_SPLIT.split(line.strip(), maxsplit=1)
        if not parts[0]:
            continue
        tag, value = (parts[0], parts[1]) if len(parts) == 2 else ("note", parts[0])
        prefs.append((codes.get(tag.lower(), tag), value))
    return prefs


def prefill(query: str) -> dict[str, str]:
    """What a search that found nobody says about the new member: a phone, a card or
    a name (four digits or fewer say nothing: a phone's tail)."""
    query = query.strip()
    if not query or (query.isdigit() and len(query) <= 4):
        return {}
    if phones.try_normalize(query) is not None:
        return {"phones": query}
    if query.isascii() and query.isalnum() and any(c.isdigit() for c in query):
        return {"cards": query}
    return {"name_zh" if CJK.search(query) else "name_latin": query}


def combo(items: list[tuple[Any, str]]) -> QComboBox:
    box = QComboBox()
    for data, text in items:
        box.addItem(text, data)
    return box


def gender_box() -> QComboBox:
    return combo([(code, t(text)) for code, text in GENDERS])


class MemberFormBase(FormDialog):
    """What both forms share: wording the service's problems, the birthday field."""

    def __init__(self, service: MemberDesk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.service = service
        self.setMinimumWidth(620)

    def show_errors(self, errors: list[FieldError]) -> None:
        super().show_errors([worded(e) for e in errors])

    def birthday_errors(self, text: str) -> list[FieldError]:
        try:
            parse_birthday(text)
        except ValueError:
            if ISO_SHAPE.fullmatch(shaped := _normalised_date(text)):
                return [FieldError("birthday", f"no such day: {shaped}")]  # 1990-02-30
            return [FieldError("birthday", "not a date (YYYY-MM-DD)")]
        return []

    def second_column(self) -> None:
        """Rows added from now on go into a column to the right (the edit form is
        taller than a 768-pixel screen in one column)."""
        outer = self.layout()
        assert isinstance(outer, QBoxLayout)
        columns = QHBoxLayout()
        outer.removeItem(self.form)
        self.form.setParent(None)  # free to join the row of columns
        columns.addLayout(self.form, 1)
        self.form = QFormLayout()
        columns.addLayout(self.form, 1)
        outer.insertLayout(0, columns)

    @staticmethod
    def birthday_of(text: str) -> date | None:
        try:
            return parse_birthday(text)
        except ValueError:
            return None


def chosen_staff(box: QComboBox) -> uuid.UUID | None:
    data = box.currentData()
    return uuid.UUID(data) if data else None



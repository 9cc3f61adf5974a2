"""The care list's message wording: templates filled for one member on one day.

A birthday greeting depends on the day the list is read, not only on the birthday: the
task falls due three days ahead ("提前祝您生日快乐"), but an undone task carries over, so
the same task may be read on the day itself ("祝您生日快乐") or after it, when only a
belated wish is right ("补祝您生日快乐"). Each moment has its own template kind
(`birthday`, `birthday_today`, `birthday_late`, and the same with `_festival`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

Templates = dict[tuple[str, str], str]
# Two-character surnames: 欧阳娜 is 欧阳女士, not 欧女士.
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "慕容", "司徒", "东方", "皇甫", "令狐",
                     "夏侯", "公孙", "长孙", "端木", "尉迟", "独孤", "南宫", "宇文", "轩辕")


class Person(Protocol):
    """What a message reads of a member (the ORM row and the listing's columns both)."""

    @property
    def name_zh(self) -> str | None: ...

    @property
    def name_latin(self) -> str | None: ...

    @property
    def gender(self) -> str | None: ...

    @property
    def language(self) -> str: ...

    @property
    def display_name(self) -> str: ...


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # a template naming an unknown field shows it, never crashes


def message_kind(kind: str, context: dict[str, Any], day: date | None) -> str:
    """The template kind for a task read on `day`: birthdays by festival and timing."""
    if kind != "birthday":
        return kind
    if context.get("festival"):
        kind = "birthday_festival"
    return kind + _birthday_timing(context.get("birthday"), day)


def _birthday_timing(birthday: str | None, day: date | None) -> str:
    if day is None or not birthday:
        return ""
    on = date.fromisoformat(birthday)
    return "" if on > day else "_today" if on == day else "_late"


def message_language(member: Person) -> str:
    return "en" if member.language == "en" else "zh"


def render(templates: Templates, kind: str, member: Person, context: dict[str, Any],
           day: date | None = None) -> str:
    """The message for `member`'s task of `kind` as read on `day` (None: ahead of time)."""
    language = message_language(member)
    text = template(templates, message_kind(kind, context, day), language)
    return fill(text, member, language, context)


def template(templates: Templates, kind: str, language: str) -> str:
    return templates.get((kind, language)) or templates.get((kind, "zh"), "")


def fill(text: str, member: Person, language: str, context: dict[str, Any]) -> str:
    values = _Blank(context)
    values.update(honorific=honorific(member, language), name=member.display_name)
    if language == "en" and context.get("festival_en"):
        values["festival"] = context["festival_en"]
    return text.format_map(values)


def honorific(member: Person, language: str) -> str:
    if language == "en":
        title = {"F": "Ms", "M": "Mr"}.get(member.gender or "", "")
        surname = (member.name_latin or "").split()[-1:] or [member.display_name]
        return f"{title} {surname[0]}".strip()
    title = {"F": "女士", "M": "先生"}.get(member.gender or "", "")
    return surname_zh(member.name_zh) + title if member.name_zh and title else member.display_name


def surname_zh(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]

"""The care list's rows as the desk shows them: `CareItem`s made from the listing's
columns, with their status and message as read on the day."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import String, select, type_coerce

from vipdesk.models import CareTask, Member, Preference
from vipdesk.services.care_messages import (
    Templates,
    TierWords,
    fill,
    honorific,
    message_kind,
    message_language,
    reading,
    template,
)
from vipdesk.services.care_status import task_status


@dataclass(frozen=True)
class CareItem:
    task_key: str
    kind: str
    member_id: uuid.UUID
    member_no: str
    name: str
    tier_code: str | None
    advisor_id: uuid.UUID | None
    due_on: date
    due_at: datetime | None
    status: str  # overdue / due / upcoming / done
    days_overdue: int
    message: str
    context: dict[str, Any] = field(default_factory=dict)
    spend_12m_cents: int = 0  # with the tier, who comes first in the list (`care_filters`)


# The member columns an item shows or its message needs (in `_Who`'s order). The
# advisor comes as its stored text: a store has a handful of advisors, so `ItemMaker`
# converts each once instead of once per row (150k UUID parses were a second).
MEMBER_COLUMNS = (Member.id, Member.member_no, Member.name_zh, Member.name_latin,
                  Member.gender, Member.language, Member.tier_code,
                  Member.tier_override_code, Member.spend_12m_cents,
                  type_coerce(Member.advisor_id, String).label("advisor"))
# The form of address the member asked for (their latest `address_as`), one index seek
# per listed row.
ADDRESS_AS = (select(Preference.value)
              .where(Preference.member_id == Member.id, Preference.tag == "address_as")
              .order_by(Preference.created_at.desc(), Preference.id.desc()).limit(1)
              .correlate(Member).scalar_subquery().label("address_as"))
# What `ItemMaker` reads per row: the task's columns, then the member's.
ITEM_COLUMNS = (CareTask.task_key, CareTask.kind, CareTask.due_on, CareTask.due_at,
                CareTask.closed_at, CareTask.context, *MEMBER_COLUMNS, ADDRESS_AS)


class _Who(NamedTuple):
    """The few member fields the listing reads; quacks like `Member` for `render`
    (with the member's `address_as` wishes as `preferences`, as the card reads them)."""
    id: uuid.UUID
    member_no: str
    name_zh: str | None
    name_latin: str | None
    gender: str | None
    language: str
    tier_code: str | None
    tier_override_code: str | None
    spend_12m_cents: int
    advisor_id: uuid.UUID | None
    preferences: tuple[Any, ...] = ()

    @property
    def display_name(self) -> str:
        return self.name_zh or self.name_latin or self.member_no


class ItemMaker:
    """Turns listing rows into `CareItem`s; the message template for each (kind,
    language) is looked up once per build, not once per row."""

    def __init__(self, day: date, day_end: datetime, now: datetime,
                 templates: Templates, tiers: TierWords, staff_language: str = "zh") -> None:
        self.day, self.day_end, self.now = day, day_end, now
        self.staff_language = staff_language  # the desk's: instructions to staff
        self.templates, self.tiers = templates, tiers
        self.chosen: dict[tuple[str, str], str] = {}
        self.advisors: dict[str, uuid.UUID] = {}
        self.addressed_as: dict[tuple[str | None, ...], str] = {}

    def __call__(self, row: Any) -> CareItem:
        task_key, kind, due_on, due_at, closed_at, raw_context = row[:6]
        address_as = row[-1]
        who = _Who._make((*row[6:-2], self.advisor(row[-2]),
                          (_Wish("address_as", address_as, None),) if address_as else ()))
        context = json.loads(raw_context) if raw_context else {}
        return CareItem(
            task_key=task_key, kind=kind, member_id=who.id, member_no=who.member_no,
            name=who.display_name, tier_code=who.tier_override_code or who.tier_code,
            advisor_id=who.advisor_id, due_on=due_on, due_at=due_at,
            status=self.status(due_on, due_at, closed_at),
            days_overdue=max((self.day - due_on).days, 0),
            message=self.message(kind, who, context), context=context,
            spend_12m_cents=who.spend_12m_cents or 0)

    def advisor(self, stored: str | uuid.UUID | None) -> uuid.UUID | None:
        if stored is None or isinstance(stored, uuid.UUID):  # PostgreSQL's driver parses
            return stored
        found = self.advisors.get(stored)
        if found is None:
            found = self.advisors[stored] = uuid.UUID(stored)
        return found

    def status(self, due_on: date, due_at: datetime | None, closed_at: datetime | None) -> str:
        return task_status(self.day, self.now, due_on, due_at, closed_at, self.day_end)

    def message(self, kind: str, who: _Who, context: dict[str, Any]) -> str:
        language = message_language(who, kind, self.staff_language)
        gift = self.tiers.gives_gift(who.tier_override_code or who.tier_code)
        chosen = message_kind(kind, context, self.day, gift)
        text = self.chosen.get((chosen, language))
        if text is None:
            text = self.chosen[chosen, language] = template(self.templates, chosen, language)
        return fill(text, who, language, reading(kind, who, context, language, self.tiers),
                    self.honorific(who, language))

    def honorific(self, who: _Who, language: str) -> str:
        """The card's honorific, worked out once per name (names repeat in a long list;
        reading one is tens of microseconds)."""
        key = (who.name_zh, who.name_latin, who.gender, who.member_no if who.preferences
               else None, language)
        found = self.addressed_as.get(key)
        if found is None:
            found = self.addressed_as[key] = honorific(who, language)
        return found


class _Wish(NamedTuple):
    """An `address_as` preference as `profile.honorifics` reads it."""
    tag: str
    value: str
    created_at: datetime | None

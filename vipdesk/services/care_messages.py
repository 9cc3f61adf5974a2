"""The care list's message wording: templates filled for one member on one day.

A birthday greeting depends on the day the list is read, not only on the birthday: the
task falls due three days ahead ("提前祝您生日快乐"), but an undone task carries over, so
the same task may be read on the day itself ("祝您生日快乐") or after it, when only a
belated wish is right ("补祝您生日快乐"). Each moment has its own template kind
(`birthday`, `birthday_today`, `birthday_late`, and the same with `_festival`); members
whose tier has no birthday gift read the `birthday_plain…` wording (a greeting, no gift).

Other words come from the member as the list is read (`TierWords`): the anniversary
letter's 12-month spend and tier; tier names in the message's language (a context
value `x_en` stands for `x` in English). The form of address is the card's (`profile.
honorifics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from vipdesk.services.complaints import CONTACT_WITHIN
from vipdesk.services.person_name import PersonName
from vipdesk.services.profile import honorifics

if TYPE_CHECKING:
    from vipdesk.services.tiers import TierTable

Templates = dict[tuple[str, str], str]


class Person(Protocol):
    """What a message reads of a member (the ORM row and the listing's columns both;
    the tier and 12-month spend too when it has them)."""

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


@dataclass(frozen=True)
class TierWords:
    """What messages need of the tier table: names by language, and which tiers give a
    birthday gift. `ANY_GIFT` (no table) words every birthday with the gift."""

    names: dict[tuple[str, str], str]
    gift: frozenset[str] | None

    @classmethod
    def of(cls, tiers: TierTable) -> TierWords:
        from vipdesk.services.care_plan import gift_tier_codes

        names = {(t.code, "zh"): t.name_zh for t in tiers.tiers}
        names |= {(t.code, "en"): t.name_en for t in tiers.tiers}
        return cls(names, gift_tier_codes(tiers))

    def name(self, code: str | None, language: str) -> str:
        fallback = "member" if language == "en" else "会员"
        return self.names.get((code or "", language), fallback)

    def gives_gift(self, code: str | None) -> bool:
        return self.gift is None or code in self.gift


ANY_GIFT = TierWords({}, None)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # a template naming an unknown field shows it, never crashes


def message_kind(kind: str, context: dict[str, Any], day: date | None,
                 gift: bool = True) -> str:
    """The template kind for a task read on `day`: birthdays by gift, festival and timing."""
    if kind != "birthday":
        return kind
    if not gift:
        kind = "birthday_plain"
    if context.get("festival"):
        kind += "_festival"
    return kind + _birthday_timing(context.get("birthday"), day)


def _birthday_timing(birthday: str | None, day: date | None) -> str:
    if day is None or not birthday:
        return ""
    on = date.fromisoformat(birthday)
    return "" if on > day else "_today" if on == day else "_late"


# What the desk's staff are told to do about the guest, not words for the guest: read in
# the desk's language (an English desk reads "Call Mr Wang within 30 minutes…" whatever
# the guest speaks); every other message is the guest's, in the guest's language.
STAFF_KINDS = frozenset({"complaint_contact", "complaint_followup", "churn_silence",
                         "churn_spend", "tier_risk", "follow_up"})


def message_language(member: Person, kind: str = "", staff_language: str = "zh") -> str:
    """The language `kind`'s message is read in: the desk's for a staff instruction, the
    member's own for words meant for them."""
    if kind in STAFF_KINDS:
        return "en" if staff_language == "en" else "zh"
    return "en" if member.language == "en" else "zh"


def tier_of(member: Person) -> str | None:
    """The member's tier, when the row has one (a bare person reads as no tier)."""
    return getattr(member, "tier_override_code", None) or getattr(member, "tier_code", None)


def render(templates: Templates, kind: str, member: Person, context: dict[str, Any],
           day: date | None = None, tiers: TierWords = ANY_GIFT,
           staff_language: str = "zh") -> str:
    """The message for `member`'s task of `kind` as read on `day` (None: ahead of time)."""
    language = message_language(member, kind, staff_language)
    gift = tiers.gives_gift(tier_of(member))
    text = template(templates, message_kind(kind, context, day, gift), language)
    return fill(text, member, language, reading(kind, member, context, language, tiers))


def reading(kind: str, member: Person, context: dict[str, Any], language: str,
            tiers: TierWords) -> dict[str, Any]:
    """The context as read now: the anniversary letter's spend and tier (seed 000
    二(一)1(2): 消费总额、会员等级) are the member's today, not when the task was found."""
    if kind != "anniversary":
        return context
    spend = getattr(member, "spend_12m_cents", 0) or 0
    return {**context, "spend_12m": f"{spend // 100:,}",
            "tier": tiers.name(tier_of(member), language)}


def template(templates: Templates, kind: str, language: str) -> str:
    return templates.get((kind, language)) or templates.get((kind, "zh"), "")


def fill(text: str, member: Person, language: str, context: dict[str, Any],
         addressed_as: str | None = None) -> str:
    """The template filled for `member` (`addressed_as`: their honorific, when the
    caller has it already)."""
    values = _Blank(context)
    values.update(honorific=addressed_as or honorific(member, language),
                  name=member.display_name,
                  contact_minutes=int(CONTACT_WITHIN.total_seconds() // 60))
    if language == "en":  # "festival_en" stands for "festival", "tier_en" for "tier"…
        values.update({key[:-3]: value for key, value in context.items()
                       if key.endswith("_en") and value})
    return text.format_map(values)


def honorific(member: Person, language: str) -> str:
    """The member card's form of address (王先生 / Mr Wang), in the message's language."""
    zh, en = honorifics(member)
    return en if language == "en" else zh


def surname_zh(name: str) -> str:
    """The part a title goes with: 欧阳 of 欧阳娜娜, 阿卜杜拉 of 阿卜杜拉·买买提."""
    return PersonName.of(name, None).surname or name[:1]

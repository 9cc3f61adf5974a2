"""What goes on a card, as plain strings, from the member profile and today's date.

Wording comes from resources/cards/wording.toml (a template may override any phrase),
in the member's language; Chinese is the fallback for a language we have no words for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from vipdesk.printing.templates import CardTemplate, load_wording
from vipdesk.services.profile import MemberProfile
from vipdesk.services.tiers import Benefit

FALLBACK_LANGUAGE = "zh"
# Benefits that are a standing service, not something to offer today.
NOT_AN_OFFER = frozenset({"advisor", "discount"})


@dataclass(frozen=True)
class CardData:
    language: str
    name: str  # how to address the guest in their language: 王先生 / Mr Smith
    name_alt: str  # the same in the other script, or ""
    tier: str
    greeting: str
    birthday: str  # "" unless the birthday alert is due
    offer: str
    advisor: str
    store: str
    date: str
    member_no: str = ""
    member_id: str = ""  # not printed: ties a previewed card to the member it was for

    def fields(self) -> dict[str, str]:
        return {"store": self.store, "tier": self.tier, "greeting": self.greeting,
                "name": self.name, "name_alt": self.name_alt, "birthday": self.birthday,
                "offer": self.offer, "advisor": self.advisor, "date": self.date,
                "member_no": self.member_no}


def words_for(language: str, template: CardTemplate | None = None) -> dict[str, str]:
    wording = load_wording()
    lang = language if language in wording else FALLBACK_LANGUAGE
    words = dict(wording[lang])
    if template is not None:
        words.update(template.wording.get(lang, {}))
    words["_lang"] = lang
    return words


def todays_offer(benefits: tuple[Benefit, ...], today: date, birthday_due: bool) -> Benefit | None:
    """The birthday gift on a birthday; otherwise one offer a day, rotating through the
    tier's benefits so a regular guest does not read the same line every visit."""
    if birthday_due:
        gift = next((b for b in benefits if b.code == "birthday_gift"), None)
        if gift is not None:
            return gift
    offers = [b for b in benefits if b.code not in NOT_AN_OFFER | {"birthday_gift"}]
    return offers[today.toordinal() % len(offers)] if offers else None


def _birthday_line(profile: MemberProfile, words: dict[str, str]) -> str:
    alert = next((a for a in profile.alerts if a.code == "birthday"), None)
    if alert is None:
        return ""
    days = alert.params.get("days", 0)
    return words["birthday_today"] if days == 0 else words["birthday_soon"]


def _names(profile: MemberProfile, lang: str) -> tuple[str, str]:
    zh, en = profile.honorific_zh, profile.honorific_en
    primary, other = (en, zh) if lang == "en" else (zh, en)
    return primary, ("" if other == primary else other)


def card_data(profile: MemberProfile, store: str, today: date,
              template: CardTemplate | None = None) -> CardData:
    words = words_for(profile.language, template)
    lang = words["_lang"]
    birthday = _birthday_line(profile, words)
    offer = todays_offer(profile.benefits, today, bool(birthday))
    name, name_alt = _names(profile, lang)
    tier = profile.tier_name_en if lang == "en" else profile.tier_name_zh
    return CardData(
        language=lang, name=name, name_alt=name_alt, tier=tier,
        greeting=words["greeting"],
        birthday=birthday,
        offer=(words["offer"].format(offer=offer.name_en if lang == "en" else offer.name_zh)
               if offer else ""),
        advisor=words["advisor"].format(advisor=profile.advisor) if profile.advisor else "",
        store=store, date=today.strftime(words["date_format"]),
        member_no=profile.member_no)

"""The member card as plain data: everything the lounge needs at a glance (SPEC §2–4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vipdesk.models import Complaint, Member, PointsEntry, Purchase, Staff, Visit, utcnow
from vipdesk.services import phones
from vipdesk.services.clock import DEFAULT_TZ, local_date
from vipdesk.services.complaints import OPEN_STATES
from vipdesk.services.person_name import Addressee, PersonName, has_cjk, preferred_address
from vipdesk.services.tiers import Benefit, TierTable, effective_tier_code, outlook
from vipdesk.services.timeline import TimelineEntry, timeline

BIRTHDAY_WINDOW_DAYS = 7
NO_TIER_ZH, NO_TIER_EN = "普通会员", "Member"  # a member below every tier, as staff say it


@dataclass(frozen=True)
class Alert:
    """Something nobody at the desk should miss. `code` picks the wording in the UI."""

    code: str  # birthday / open_complaint / first_visit / tier_at_risk / tier_near_upgrade
    level: str  # info / warn / danger
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberProfile:
    member_id: uuid.UUID
    member_no: str
    name: str
    name_latin: str | None
    honorific_zh: str
    honorific_en: str
    gender: str | None
    birthday: date | None
    language: str
    phones_masked: list[str]
    cards: list[str]
    email: str | None
    tier_code: str | None
    tier_name_zh: str
    tier_name_en: str
    tier_color: str
    tier_overridden: bool
    tier_override_reason: str | None
    benefits: tuple[Benefit, ...]
    spend_12m_cents: int
    points: int
    advisor: str | None
    preferences: list[tuple[str, str]]
    file: dict[str, str]
    alerts: list[Alert]
    timeline: list[TimelineEntry]
    photo: bytes | None = None  # a checked JPEG/PNG (services/photos.py), when there is one


def honorifics(member: Addressee) -> tuple[str, str]:
    """`王先生` / `Mr Smith`: how to address the guest, surname + title (`欧阳女士`,
    `阿卜杜拉先生`, `Ms García`). The form the member asked for (preference `address_as`,
    `请称呼王总`) wins in the script it is written in."""
    name = PersonName.of(member.name_zh, member.name_latin)
    title_zh = {"F": "女士", "M": "先生"}.get(member.gender or "", "")
    title_en = {"F": "Ms", "M": "Mr"}.get(member.gender or "", "")
    zh = name.surname + title_zh if name.is_chinese and title_zh else member.display_name
    en = f"{title_en} {name.latin_surname}".strip() if name.latin_surname else zh
    wish = _address_as(member, name)
    if wish is None:
        return zh, en
    if has_cjk(wish):
        return wish, (wish if en == zh else en)
    return (wish if zh == member.display_name else zh), wish


def _address_as(member: Addressee, name: PersonName) -> str | None:
    """The latest `address_as` preference, as a form of address."""
    asked = [p for p in getattr(member, "preferences", ()) if p.tag == "address_as" and p.value]
    if not asked:
        return None
    # Newest by time, then by list order; one not yet flushed has no time and is newest.
    _, latest = max(enumerate(asked), key=lambda ip: (ip[1].created_at or utcnow(), ip[0]))
    return preferred_address(latest.value, name)


def days_to_birthday(birthday: date, today: date) -> int:
    """Days until the next birthday (0 = today); 29 February counts as 28 February."""
    def on(year: int) -> date:
        try:
            return birthday.replace(year=year)
        except ValueError:
            return date(year, 2, 28)

    upcoming = on(today.year)
    if upcoming < today:
        upcoming = on(today.year + 1)
    return (upcoming - today).days


def points_balance(session: Session, member_id: uuid.UUID) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
            PointsEntry.member_id == member_id
        )
    )
    return int(total or 0)


def load_profile(
    session: Session, member_id: uuid.UUID, tiers: TierTable, now: datetime | None = None,
    timeline_limit: int = 50, tz: str = DEFAULT_TZ,
) -> MemberProfile | None:
    now = now or utcnow()
    member = session.get(Member, member_id)
    if member is None or member.erased_at is not None:
        return None
    code = effective_tier_code(member)
    tier = tiers.get(code)
    zh, en = honorifics(member)
    advisor = session.get(Staff, member.advisor_id) if member.advisor_id else None
    return MemberProfile(
        member_id=member.id, member_no=member.member_no, name=member.display_name,
        name_latin=member.name_latin, honorific_zh=zh, honorific_en=en, gender=member.gender,
        birthday=member.birthday, language=member.language,
        phones_masked=[phones.mask(p.e164) for p in member.phones],
        cards=[c.card_no for c in member.cards if c.status == "active"], email=member.email,
        tier_code=code, tier_name_zh=tier.name_zh if tier else NO_TIER_ZH,
        tier_name_en=tier.name_en if tier else NO_TIER_EN,
        tier_color=tier.color if tier else "#777777",
        tier_overridden=bool(member.tier_override_code),
        tier_override_reason=member.tier_override_reason,
        benefits=tier.benefits if tier else (), spend_12m_cents=member.spend_12m_cents,
        points=points_balance(session, member.id), advisor=advisor.name if advisor else None,
        preferences=[(p.tag, p.value) for p in member.preferences],
        file=_file(member), alerts=_alerts(session, member, tiers, now, tz),
        timeline=timeline(session, member.id, limit=timeline_limit), photo=member.photo,
    )


def _file(member: Member) -> dict[str, str]:
    fields = ("occupation", "family", "hobbies", "career", "lifestyle", "referral",
              "purchase_intent")
    return {f: v for f in fields if (v := getattr(member, f))}


def _alerts(session: Session, member: Member, tiers: TierTable, now: datetime,
            tz: str) -> list[Alert]:
    alerts = []
    open_complaints = session.scalar(
        select(func.count()).select_from(Complaint).where(
            Complaint.member_id == member.id, Complaint.state.in_(OPEN_STATES)
        )
    )
    if open_complaints:
        alerts.append(Alert("open_complaint", "danger", {"count": int(open_complaints)}))
    if member.birthday:
        days = days_to_birthday(member.birthday, local_date(now, tz))
        if days <= BIRTHDAY_WINDOW_DAYS:
            alerts.append(Alert("birthday", "info", {"days": days,
                                                      "date": member.birthday.isoformat()}))
    if _first_time(session, member.id):
        alerts.append(Alert("first_visit", "info"))
    view = outlook(session, member, tiers, now)
    if view.at_risk is not None:
        alerts.append(Alert("tier_at_risk", "warn", {"to": view.at_risk.code,
                                                     "to_zh": view.at_risk.name_zh,
                                                     "to_en": view.at_risk.name_en}))
    elif view.next_tier and view.to_next_cents is not None and (
        view.to_next_cents <= view.next_tier.min_spend_cents // 10
    ):
        alerts.append(Alert("tier_near_upgrade", "info", {
            "to": view.next_tier.code, "to_zh": view.next_tier.name_zh,
            "to_en": view.next_tier.name_en, "missing_yuan": view.to_next_cents // 100}))
    return alerts


def _first_time(session: Session, member_id: uuid.UUID) -> bool:
    """Never seen in a store: no visit logged and nothing bought. A member whose
    purchases came from the POS before the lounge logged visits is no newcomer."""
    seen = select(Visit.id).where(Visit.member_id == member_id).union_all(
        select(Purchase.id).where(Purchase.member_id == member_id)).limit(1)
    return session.execute(seen).first() is None

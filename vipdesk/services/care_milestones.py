"""Becoming a VIP and moving up (seed 004: 新入网VIP 3天内完成首次回访; 成为会员/升级).

- welcome call: a member who became a VIP in the last `welcome_call_days` — who joined
  in a tier, or was raised into a tier from none (a `TierChange`) — once per member;
- congratulation: a tier change to a higher-ranked tier from a lower one.

A member the CSV import created was not new: the file carries members who joined long
ago, with their 12-month spend. The import files their tier as a `TierChange` from no
tier with a reason starting `IMPORTED` (and they join no tier otherwise), so neither
their creation nor that change counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from vipdesk.models import Member, TierChange
from vipdesk.services.care_common import Candidate, CareSettings
from vipdesk.services.care_dates import utc_range
from vipdesk.services.care_plan import plan_tier_codes

# The reason the member import (services/importer.py) gives the tier it files.
IMPORTED = "imported"


def _imported(member_id: Any) -> Any:
    return exists().where(TierChange.member_id == member_id, TierChange.from_tier.is_(None),
                          TierChange.reason.startswith(IMPORTED))


def welcome_calls(svc: CareSettings, session: Session, day: date,
                  first: date | None = None) -> Iterator[Candidate]:
    """A new VIP's first call, due within `welcome_call_days` of becoming one; listed
    from that day."""
    days = svc.rules.welcome_call_days
    start, end = utc_range((first or day - timedelta(days=svc.rules.catch_up_days - 1))
                           - timedelta(days=days), day, svc.tz)
    became: dict[uuid.UUID, date] = {}
    for member_id, at in [*_joined(svc, session, start, end),
                          *_raised(svc, session, start, end)]:
        on = at.astimezone(svc.tz).date()
        became[member_id] = min(on, became.get(member_id, on))
    for member_id, on in became.items():
        yield Candidate(f"welcome_call:{member_id}", "welcome_call", member_id,
                        on + timedelta(days=days), context={"joined": on.isoformat()})


def _joined(svc: CareSettings, session: Session, start: Any, end: Any) -> list[Any]:
    """Members created in the window in a care-plan tier, not by the import."""
    codes = plan_tier_codes(svc.tiers)
    tier = func.coalesce(Member.tier_override_code, Member.tier_code)
    return list(session.execute(select(Member.id, Member.created_at).where(
        Member.created_at >= start, Member.created_at < end, Member.erased_at.is_(None),
        tier.in_(codes), ~_imported(Member.id))))


def _raised(svc: CareSettings, session: Session, start: Any, end: Any) -> list[Any]:
    """Tier changes in the window from no plan tier into one, not by the import."""
    codes = plan_tier_codes(svc.tiers)
    return list(session.execute(
        select(TierChange.member_id, TierChange.created_at)
        .join(Member, Member.id == TierChange.member_id)
        .where(TierChange.created_at >= start, TierChange.created_at < end,
               TierChange.to_tier.in_(codes),
               or_(TierChange.from_tier.is_(None), TierChange.from_tier.not_in(codes)),
               ~and_(TierChange.from_tier.is_(None), TierChange.reason.startswith(IMPORTED)),
               Member.erased_at.is_(None))))


def tier_upgrades(svc: CareSettings, session: Session, day: date,
                  first: date | None = None) -> Iterator[Candidate]:
    """A congratulation call the day a member moves up from one tier to a higher one."""
    first = first or day - timedelta(days=svc.rules.catch_up_days - 1)
    start, end = utc_range(first, day, svc.tz)
    rows = session.execute(
        select(TierChange.id, TierChange.member_id, TierChange.from_tier, TierChange.to_tier,
               TierChange.created_at)
        .join(Member, Member.id == TierChange.member_id)
        .where(TierChange.created_at >= start, TierChange.created_at < end,
               TierChange.from_tier.is_not(None), TierChange.to_tier.is_not(None),
               Member.erased_at.is_(None)))
    for change_id, member_id, from_code, to_code, at in rows:
        old, new = svc.tiers.get(from_code), svc.tiers.get(to_code)
        if old is None or new is None or new.rank <= old.rank:
            continue
        yield Candidate(f"tier_upgrade:{change_id}", "tier_upgrade", member_id,
                        at.astimezone(svc.tz).date(), context={
                            "tier": new.name_zh, "tier_en": new.name_en,
                            "tier_from": old.name_zh, "tier_from_en": old.name_en})

"""The reference rules in Python: each is called (settings, session, day, first) and
yields `Candidate`s for the due dates in the build's window (`care_common.window`).
The centre (PostgreSQL) runs these; the desk (SQLite) runs their set-based versions
(`sql_rules`) and the churn watches (`care_watch`), which tests hold equal to these."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from vipdesk.models import Member, Purchase, Visit
from vipdesk.services.care_common import Candidate, CareSettings, spend_suspects, window
from vipdesk.services.care_dates import add_months, add_years, utc_range
from vipdesk.services.festivals import festival_on


def birthdays(svc: CareSettings, session: Session, day: date,
              first: date | None = None) -> Iterator[Candidate]:
    ahead = svc.rules.birthday_days_ahead
    on_key = birthday_keys(svc, day, first)
    rows = session.execute(select(Member.id, Member.birthday_md).where(
        Member.birthday_md.in_(sorted(on_key)), Member.erased_at.is_(None)))
    for member_id, md in rows:
        birthday = on_key[md or 0]
        festival = festival_on(birthday)
        yield Candidate(f"birthday:{member_id}:{birthday.year}", "birthday", member_id,
                        birthday - timedelta(days=ahead), context={
                            "birthday": birthday.isoformat(),
                            "festival": festival.name_zh if festival else None,
                            "festival_en": festival.name_en if festival else None})


def birthday_keys(svc: CareSettings, day: date, first: date | None) -> dict[int, date]:
    """The month-day keys (`birthday_md`) to greet, with their birthday: those falling
    due in the window, and every birthday from today to `birthday_days_ahead` days on.
    The latter is for a birthday written since the last build (registered, corrected or
    pulled from another desk) already inside the days ahead: its due day is before the
    window, and no later window reaches it. Anyone else's task exists already (the key
    is per member and year), so it is not made twice; the few more keys cost a few
    index seeks, so every member is checked, not only those written since."""
    ahead = svc.rules.birthday_days_ahead
    first, last = window(svc, day, first)
    first = min(first, day - timedelta(days=ahead))
    on_key: dict[int, date] = {}
    for n in range((last - first).days + 1):
        birthday = first + timedelta(days=n + ahead)
        on_key[birthday.month * 100 + birthday.day] = birthday
        if birthday.month == 2 and birthday.day == 28 and not _leap(birthday.year):
            on_key[229] = birthday  # 29 February birthdays are kept on the 28th
    return on_key


def anniversaries(svc: CareSettings, session: Session, day: date,
                  first: date | None = None) -> Iterator[Candidate]:
    years = svc.rules.anniversary_years
    first, last = window(svc, day, first)
    start, end = utc_range(add_years(first, -years) - timedelta(days=1),
                           add_years(last, -years) + timedelta(days=1), svc.tz)
    before = aliased(Purchase)
    earlier = select(before.id).where(before.member_id == Purchase.member_id,
                                      before.occurred_at < start)
    rows = session.execute(
        select(Purchase.member_id, func.min(Purchase.occurred_at))
        .join(Member, Member.id == Purchase.member_id)
        .where(Purchase.occurred_at >= start, Purchase.occurred_at < end,
               Member.erased_at.is_(None), ~earlier.exists())
        .group_by(Purchase.member_id))
    for member_id, first_at in rows:
        bought = first_at.astimezone(svc.tz).date()
        due = add_years(bought, years)
        if first <= due <= last:
            yield Candidate(f"anniversary:{member_id}:{due.year}", "anniversary", member_id,
                            due, context={"purchase_date": bought.isoformat()})


def callbacks(svc: CareSettings, session: Session, day: date,
              first: date | None = None) -> Iterator[Candidate]:
    """3 days, 3 months and 6 months after a purchase, counted from its delivery when
    it was delivered; one call per member, kind and day however many items."""
    first, last = window(svc, day, first)
    for kind, days, months in callback_offsets(svc):
        start, end = callback_range(svc, first, last, days, months)
        rows = session.execute(
            select(Purchase.member_id, Purchase.occurred_at, Purchase.delivered_at,
                   Purchase.description)
            .where(or_(and_(Purchase.occurred_at >= start, Purchase.occurred_at < end),
                       and_(Purchase.delivered_at >= start, Purchase.delivered_at < end))))
        for member_id, occurred, delivered, what in rows:
            ref = (delivered or occurred).astimezone(svc.tz).date()
            due = shift(ref, days, months)
            if first <= due <= last:
                yield Candidate(f"{kind}:{member_id}:{ref.isoformat()}", kind, member_id,
                                due, context={"purchase": what or "",
                                              "purchase_date": ref.isoformat()})


def callback_offsets(svc: CareSettings) -> list[tuple[str, int, int]]:
    offsets = [("callback_3d", svc.rules.callback_days, 0)]
    return offsets + [(f"callback_{m}m", 0, m) for m in svc.rules.callback_months]


def callback_range(svc: CareSettings, first: date, last: date, days: int,
                   months: int) -> tuple[datetime, datetime]:
    """The purchase (or delivery) times whose callback may fall due in [first, last].
    Month ends clamp (29, 30, 31 Nov + 3 months = 28 Feb): padded, then filtered exactly."""
    pad = timedelta(days=3 if months else 0)
    return utc_range(shift(first, -days, -months) - pad, shift(last, -days, -months) + pad,
                     svc.tz)


def churn_silence(svc: CareSettings, session: Session, day: date,
                  first: date | None = None) -> Iterator[Candidate]:
    """Silent much longer than their usual gap between visits (two-year cadence)."""
    r = svc.rules
    start, today_end = utc_range(day - timedelta(days=730), day, svc.tz)
    quiet_since = today_end - timedelta(days=r.churn_min_silence_days)
    last_visit = func.max(Visit.checked_in_at)
    rows = session.execute(
        select(Visit.member_id, func.count(), func.min(Visit.checked_in_at), last_visit)
        .where(Visit.checked_in_at >= start, Visit.checked_in_at < today_end)
        .group_by(Visit.member_id)
        .having(func.count() >= r.churn_min_visits, last_visit < quiet_since))
    for member_id, count, first_at, last_at in rows:
        first_at, last_at = aware(first_at), aware(last_at)
        cadence = (last_at - first_at).days / (count - 1)
        silent = (day - last_at.astimezone(svc.tz).date()).days
        if silent > max(r.churn_cadence_factor * cadence, r.churn_min_silence_days):
            last = last_at.astimezone(svc.tz).date()
            yield Candidate(f"churn_silence:{member_id}:{last.isoformat()}",
                            "churn_silence", member_id, day,
                            context={"days_silent": silent, "cadence_days": round(cadence)})


def silence_candidate(day: date, alarm: Any) -> Candidate:
    """`churn_silence`'s task for a member whose watched alarm is due (`care_watch`)."""
    last = alarm.last_visit_on
    return Candidate(f"churn_silence:{alarm.member_id}:{last.isoformat()}",
                     "churn_silence", alarm.member_id, day,
                     context={"days_silent": (day - last).days,
                              "cadence_days": alarm.cadence_days})


def churn_spend(svc: CareSettings, session: Session, day: date,
                first: date | None = None) -> Iterator[Candidate]:
    """Spend falling sharply (12 months vs the 12 before) and tiers lapsing within the
    horizon, summed only for the members who can match (`spend_suspects`)."""
    r = svc.rules
    _, now = utc_range(day, day, svc.tz)
    year_ago, two_years = now - timedelta(days=365), now - timedelta(days=730)
    horizon = min(year_ago + timedelta(days=r.tier_risk_horizon_days), now)
    amount = Purchase.amount_cents
    s12 = func.sum(case((Purchase.occurred_at >= year_ago, amount), else_=0))
    prev = func.sum(case((Purchase.occurred_at < year_ago, amount), else_=0))
    keep = func.sum(case((Purchase.occurred_at >= horizon, amount), else_=0))
    dropping = and_(prev >= r.spend_drop_min_previous_yuan * 100,
                    s12 < prev * r.spend_drop_ratio)
    lapsing = [and_(s12 >= t.min_spend_cents, keep < t.min_spend_cents)
               for t in svc.tiers.tiers]
    suspects = spend_suspects(svc, now).subquery()
    rows = session.execute(
        select(Purchase.member_id, s12, prev, keep)
        .where(Purchase.member_id.in_(select(suspects.c.member_id)),
               Purchase.occurred_at >= two_years, Purchase.occurred_at < now)
        .group_by(Purchase.member_id).having(or_(dropping, *lapsing)))
    yield from spend_candidates(svc, session, day, list(rows))


def spend_candidates(svc: CareSettings, session: Session, day: date,
                      rows: list[Any]) -> Iterator[Candidate]:
    r = svc.rules
    overridden = _overridden(session, [row[0] for row in rows])
    quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
    for member_id, s12, prev, keep in rows:
        if prev >= r.spend_drop_min_previous_yuan * 100 and s12 < prev * r.spend_drop_ratio:
            yield Candidate(f"churn_spend:{member_id}:{quarter}", "churn_spend", member_id,
                            day, context={"spend_12m": f"{s12 // 100:,}",
                                          "spend_prev": f"{prev // 100:,}"})
        now_tier, later = svc.tiers.for_spend(s12), svc.tiers.for_spend(keep)
        if now_tier and now_tier != later and member_id not in overridden:
            key = f"tier_risk:{member_id}:{now_tier.code}:{day:%Y-%m}"
            yield Candidate(key, "tier_risk", member_id, day, context={
                "tier": now_tier.name_zh, "tier_after": later.name_zh if later else "普通会员"})


def _overridden(session: Session, member_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for i in range(0, len(member_ids), 500):
        found.update(session.scalars(select(Member.id).where(
            Member.id.in_(member_ids[i:i + 500]), Member.tier_override_code.is_not(None))))
    return found


def shift(day: date, days: int, months: int) -> date:
    return add_months(day, months) + timedelta(days=days)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def aware(at: datetime | str) -> datetime:
    # Aggregates (min/max) bypass the column type on SQLite and come back naive UTC.
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)

"""Festival greetings (节日关怀, seed 001 二2, seed 004: 元旦、春节、五一、端午、中秋、国庆;
圣诞): one task per member of a care-plan tier per festival per year, due
`festival_days_ahead` before the festival. The key ("festival:<member>:<code>:<year>")
is the same on every desk, so one greeting logged anywhere in the chain closes it.

On SQLite (the desk) the tasks go in by one `INSERT … SELECT` per festival
(`carelist.sql_rules.insert_festivals`): a festival greets every VIP at once, far too
many rows to become Python objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from vipdesk.models import Member
from vipdesk.services.care_common import Candidate, CareSettings
from vipdesk.services.care_plan import plan_tier_codes
from vipdesk.services.festivals import Festival, festival, festival_date

KIND = "festival"


def greetings_due(svc: CareSettings, day: date,
                  first: date | None = None) -> list[tuple[Festival, date, date]]:
    """(festival, its date, the greeting's due day) for greetings due in the window."""
    first = first or day - timedelta(days=svc.rules.catch_up_days - 1)
    return _greetings(svc, first, day)


def still_ahead(svc: CareSettings, day: date,
                first: date | None = None) -> list[tuple[Festival, date, date]]:
    """Greetings due before the window whose festival is still to come (today at the
    latest): a member who entered a care-plan tier, or the desk, since their build is
    greeted now (overdue); the others were greeted then, by the same key."""
    first = first or day - timedelta(days=svc.rules.catch_up_days - 1)
    earliest = day - timedelta(days=svc.rules.festival_days_ahead)
    return _greetings(svc, earliest, first - timedelta(days=1)) if earliest < first else []


def _greetings(svc: CareSettings, first: date, last: date) -> list[tuple[Festival, date, date]]:
    ahead = timedelta(days=svc.rules.festival_days_ahead)
    found = []
    for code in svc.rules.festivals:
        named = festival(code)
        for year in sorted({first.year, (last + ahead).year}):
            on = festival_date(code, year)
            if named and on and first <= on - ahead <= last:
                found.append((named, on, on - ahead))
    return found


def passed(kind: Any, due_on: Any, svc: CareSettings, day: date) -> Any:
    """SQL: a festival greeting whose festival is over lapses (no belated festival
    wishes): its due day is more than the days ahead before `day`."""
    return and_(kind == KIND, due_on < day - timedelta(days=svc.rules.festival_days_ahead))


def _key(member_id: Any, named: Festival, on: date) -> str:
    return f"{KIND}:{member_id}:{named.code}:{on.year}"


def context(named: Festival, on: date) -> dict[str, str]:
    return {"festival": named.name_zh, "festival_en": named.name_en,
            "festival_date": on.isoformat()}


def greeted(svc: CareSettings) -> Any:
    """Members of the care plan's tiers, not erased."""
    tier = func.coalesce(Member.tier_override_code, Member.tier_code)
    return (Member.erased_at.is_(None), tier.in_(plan_tier_codes(svc.tiers)))


def festivals(svc: CareSettings, session: Session, day: date,
              first: date | None = None) -> Iterator[Candidate]:
    """Every care-plan member's greeting for the festivals due in the window, and for
    those still ahead (`still_ahead`)."""
    for named, on, due in [*greetings_due(svc, day, first), *still_ahead(svc, day, first)]:
        for member_id in session.scalars(select(Member.id).where(*greeted(svc))):
            yield Candidate(_key(member_id, named, on), KIND, member_id, due,
                            context=context(named, on))

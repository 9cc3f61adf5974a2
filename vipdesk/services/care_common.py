"""What the care rules share, below the care list and the churn watches: the task a rule
proposes (`Candidate`), the settings every rule reads (`CareSettings`), the days a build
may create due dates in (`window`), and the members the spend rules must sum
(`spend_suspects`). Kept apart from `carelist` so the rule modules and `care_watch` need
nothing from the list that calls them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, union

from vipdesk.models import Purchase

if TYPE_CHECKING:
    from vipdesk.services.care_config import CareRules
    from vipdesk.services.tiers import TierTable


@dataclass(frozen=True)
class Candidate:
    task_key: str
    kind: str
    member_id: uuid.UUID
    due_on: date
    due_at: datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)


class CareSettings(Protocol):
    """The rules, tiers and time zone a build follows (`CareListService` is one)."""

    @property
    def rules(self) -> CareRules: ...

    @property
    def tiers(self) -> TierTable: ...

    @property
    def tz(self) -> ZoneInfo: ...


def window(settings: CareSettings, day: date, first: date | None = None) -> tuple[date, date]:
    """Due dates a build of `day` may create: from `first` (the catch-up start, by
    default the full catch-up days) up to today."""
    return first or day - timedelta(days=settings.rules.catch_up_days - 1), day


def spend_suspects(settings: CareSettings, now: datetime) -> Any:
    """Members who may match the spend rules, each found by a range scan of the purchase
    time index:
    - a drop needs the previous year to reach the floor: its sum over that year alone;
    - a lapse needs spend now (s12 ≥ the tier) that is gone at the horizon (keep <
      the tier), so s12 − keep, the spend in [a year ago, the horizon), is positive:
      someone bought in that window (30 days), nobody else can lapse."""
    r = settings.rules
    year_ago, two_years = now - timedelta(days=365), now - timedelta(days=730)
    horizon = min(year_ago + timedelta(days=r.tier_risk_horizon_days), now)
    floor = r.spend_drop_min_previous_yuan * 100
    in_previous_year = and_(Purchase.occurred_at >= two_years, Purchase.occurred_at < year_ago)
    dropping = (select(Purchase.member_id).where(in_previous_year)
                .group_by(Purchase.member_id)
                .having(func.sum(Purchase.amount_cents) >= floor))
    if floor <= 0:  # no floor: anyone who bought in two years (refunds can drop too)
        dropping = select(Purchase.member_id).where(Purchase.occurred_at >= two_years,
                                                    Purchase.occurred_at < now)
    lapsing = select(Purchase.member_id).where(Purchase.occurred_at >= year_ago,
                                               Purchase.occurred_at < horizon)
    return union(dropping, lapsing)

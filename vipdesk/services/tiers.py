"""Tiers from trailing-12-month spend, manager overrides, and cumulative benefits."""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import (
    Member,
    Purchase,
    SyncState,
    Tier,
    TierBenefit,
    TierChange,
    utcnow,
)
from vipdesk.outbox.bulk import captures
from vipdesk.resources import resource
from vipdesk.services.clock import DEFAULT_TZ, Clock
from vipdesk.services.tier_moves import DEFAULTS_NAMESPACE, Retier, lapse_change_id, retier_in_sql

WINDOW = timedelta(days=365)
AT_RISK_HORIZON = timedelta(days=30)
DEFAULT_POINTS_PER_100_YUAN = 100  # SPEC §3: points are earned by purchases, 1 per ¥1

# Why an automatic change happened, written at the start of its reason (the kind stays
# "auto": reports count it as an up- or downgrade, the card names it "by spend").
WHY_SPEND = "purchase"  # new purchases moved the trailing spend
WHY_LAPSE = "lapse"  # old purchases left the 12-month window
WHY_TABLE = "tier table"  # the brand adopted a new tier table
PASS_KEY = "tiers.daily_pass"  # the desk's local date of its last daily pass (sync_state)


@dataclass(frozen=True)
class Benefit:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class TierInfo:
    code: str
    name_zh: str
    name_en: str
    rank: int
    min_spend_cents: int
    target_wait_minutes: int
    color: str
    benefits: tuple[Benefit, ...]  # cumulative: this tier's and every lower tier's
    in_care_plan: bool = True
    card_template: str | None = None  # None: the default welcome-card layout
    points_per_100_yuan: int = 100


class TierTable:
    """The tiers of this brand, ordered by rank; a small immutable snapshot."""

    def __init__(self, tiers: list[TierInfo]) -> None:
        self.tiers = sorted(tiers, key=lambda t: t.rank)
        self.by_code = {t.code: t for t in self.tiers}

    def for_spend(self, spend_cents: int) -> TierInfo | None:
        best = None
        for tier in self.tiers:
            if spend_cents >= tier.min_spend_cents:
                best = tier
        return best

    def get(self, code: str | None) -> TierInfo | None:
        return self.by_code.get(code) if code else None

    def rank(self, code: str | None) -> int:
        tier = self.get(code)
        return tier.rank if tier else 0

    def next_above(self, code: str | None) -> TierInfo | None:
        current = self.rank(code)
        return next((t for t in self.tiers if t.rank > current), None)

    def points_for(self, amount_cents: int, code: str | None) -> int:
        """Points a purchase earns at the member's tier; below the first tier, at the
        first tier's rate (the brand's base rate). Whole points, rounded down."""
        tier = self.get(code) or (self.tiers[0] if self.tiers else None)
        rate = tier.points_per_100_yuan if tier else DEFAULT_POINTS_PER_100_YUAN
        return max(0, amount_cents * rate // 10_000)


def load_tier_table(session: Session) -> TierTable:
    rows = session.scalars(select(Tier).order_by(Tier.rank)).all()
    benefits = session.execute(
        select(TierBenefit, Tier.rank).join(Tier).order_by(Tier.rank, TierBenefit.sort)
    ).all()
    infos = []
    for tier in rows:
        own = tuple(
            Benefit(b.code, b.name_zh, b.name_en) for b, rank in benefits if rank <= tier.rank
        )
        infos.append(
            TierInfo(
                tier.code, tier.name_zh, tier.name_en, tier.rank, tier.min_spend_12m_cents,
                tier.target_wait_minutes, tier.color, own, tier.in_care_plan,
                tier.card_template, tier.points_per_100_yuan,
            )
        )
    return TierTable(infos)


def seed_default_tiers(session: Session) -> None:
    """Install the default tier table if the database has none (idempotent)."""
    if session.scalar(select(func.count()).select_from(Tier)):
        return
    with resource("defaults", "tiers.toml").open("rb") as fh:
        data = tomllib.load(fh)
    base_rate = data.get("points_per_yuan", 1)
    for spec in data["tier"]:
        tier = Tier(
            # The same id on every desk that seeds the defaults, so the sync sees one
            # tier table, not one per desk (duplicates are recognised by content).
            id=uuid.uuid5(DEFAULTS_NAMESPACE, spec["code"]),
            code=spec["code"], name_zh=spec["name_zh"], name_en=spec["name_en"],
            rank=spec["rank"], min_spend_12m_cents=int(spec["min_spend_yuan"]) * 100,
            target_wait_minutes=spec["target_wait_minutes"], color=spec["color"],
            in_care_plan=spec.get("in_care_plan", True), card_template=spec.get("card_template"),
            points_per_100_yuan=round(spec.get("points_per_yuan", base_rate) * 100),
        )
        session.add(tier)
        session.flush()
        for i, b in enumerate(spec.get("benefits", [])):
            benefit_id = uuid.uuid5(DEFAULTS_NAMESPACE, f"{spec['code']}/{b['code']}")
            session.add(TierBenefit(id=benefit_id, tier_id=tier.id, code=b["code"],
                                    name_zh=b["name_zh"], name_en=b["name_en"], sort=i))


def effective_tier_code(member: Member) -> str | None:
    return member.tier_override_code or member.tier_code


def spend_between(session: Session, member_id: uuid.UUID, start: datetime, end: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Purchase.amount_cents), 0)).where(
            Purchase.member_id == member_id,
            Purchase.occurred_at > start,
            Purchase.occurred_at <= end,
        )
    )
    return int(total or 0)


def _spend_text(cents: int) -> str:
    return f"12m spend ¥{cents // 100:,}"


def record_change(session: Session, member: Member, new_code: str | None, why: str,
                  lapse_day: datetime | None = None) -> None:
    """Move the computed tier and write the history row (old → new, when, why) that the
    timeline shows and the care list reads for congratulations.

    Every desk runs the daily pass, offline ones too, so a lapse is found by each desk
    that opens before the first one's move reaches it. Dated at the start of the day
    (`lapse_day`) with an id derived from what moved, the same lapse found on two desks
    is the same row: the centre sees a duplicate, not a second history entry."""
    reason = f"{why}: {_spend_text(member.spend_12m_cents)}"
    change = TierChange(member_id=member.id, from_tier=member.tier_code, to_tier=new_code,
                        kind="auto", reason=reason)
    if lapse_day is not None:
        change.id = lapse_change_id(str(member.id), member.tier_code, new_code, lapse_day,
                                    reason)
        change.created_at = lapse_day
        change.created_by = None
    session.add(change)
    member.tier_code = new_code


def recompute_member(
    session: Session, member: Member, table: TierTable, as_of: datetime | None = None,
    why: str = WHY_SPEND,
) -> TierInfo | None:
    """Refresh the cached spend and computed tier; record a change in the history.

    A manager's override stands: the spend is refreshed, the tier is not moved (it would
    record a change the member's card does not show)."""
    as_of = as_of or utcnow()
    spend = spend_between(session, member.id, as_of - WINDOW, as_of)
    tier = table.for_spend(spend)
    new_code = tier.code if tier else None
    member.spend_12m_cents = spend
    if new_code != member.tier_code and not member.tier_override_code:
        record_change(session, member, new_code, why)
    return tier


@dataclass
class PassReport:
    """What a re-tiering pass did: members looked at, and moves per (old → new) tier."""

    members: int = 0
    moves: dict[tuple[str | None, str | None], int] = field(default_factory=dict)

    @property
    def moved(self) -> int:
        return sum(self.moves.values())


def retier(session: Session, table: TierTable, why: str, as_of: datetime | None = None,
           only: Iterable[str] | None = None) -> PassReport:
    """Re-tier every member (or those `only` names, by stored id) from the trailing 12
    months' spend, set-based (`tier_moves`): one pass refreshes the spend, only the
    members whose tier moves get a tier change, and each change and move reaches the
    sync outbox as `record_change` would write it. Overridden and erased members stay."""
    as_of = as_of or utcnow()
    session.flush()  # the SQL below reads what the caller changed through the ORM
    ladder = sorted(table.tiers, key=lambda t: t.min_spend_cents, reverse=True)
    plan = Retier(ladder=[(t.min_spend_cents, t.code) for t in ladder],
                  window=(as_of - WINDOW, as_of),
                  reason=lambda spend: f"{why}: {_spend_text(spend)}",
                  lapse_day=_day_start(as_of) if why == WHY_LAPSE else None)
    retier_in_sql(session.connection(), plan, captures(session), only)
    session.expire_all()  # members loaded before hold their old tier and spend
    return PassReport(plan.members, plan.moves)


def _day_start(at: datetime) -> datetime:
    """The start of `at`'s local day (the store's), in UTC."""
    zone = ZoneInfo(DEFAULT_TZ)
    day = at.astimezone(zone).date()
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def recompute_all(session: Session, table: TierTable, as_of: datetime | None = None) -> int:
    """Every member re-tiered (see `retier`); returns how many moved."""
    return retier(session, table, WHY_LAPSE, as_of).moved


def daily_pass(session: Session, table: TierTable, now: datetime) -> PassReport:
    """The morning pass: members whose old purchases left the 12-month window move down
    (and any the last import missed move up). Idempotent: a second run moves nobody."""
    return retier(session, table, WHY_LAPSE, now)


class TierOverrideError(ValueError):
    """An override the tier table or the rules refuse; the message says why."""


def set_override(
    session: Session, member: Member, tier_code: str | None, reason: str,
    approver_id: uuid.UUID | None, table: TierTable,
) -> None:
    """A manager's override (or its removal with `tier_code=None`), audited in the history."""
    if tier_code is not None and table.get(tier_code) is None:
        raise TierOverrideError(f"unknown tier {tier_code!r}")
    if not reason.strip():
        raise TierOverrideError("an override needs a reason")
    before = effective_tier_code(member)
    member.tier_override_code = tier_code
    member.tier_override_reason = reason.strip() if tier_code else None
    member.tier_override_by = approver_id if tier_code else None
    member.tier_override_at = utcnow() if tier_code else None
    session.add(TierChange(member_id=member.id, from_tier=before,
                           to_tier=effective_tier_code(member),
                           kind="override" if tier_code else "override_cleared",
                           reason=reason.strip(), created_by=approver_id))


@dataclass(frozen=True)
class TierOutlook:
    """Where the member stands: spend, what drops out soon, distance to the next tier."""

    spend_cents: int
    spend_in_horizon_cents: int  # what remains once the next 30 days' old purchases expire
    at_risk: TierInfo | None  # the lower tier they fall to within 30 days, if any
    next_tier: TierInfo | None
    to_next_cents: int | None


def outlook(
    session: Session, member: Member, table: TierTable, as_of: datetime | None = None
) -> TierOutlook:
    as_of = as_of or utcnow()
    spend = spend_between(session, member.id, as_of - WINDOW, as_of)
    remaining = spend_between(session, member.id, as_of - WINDOW + AT_RISK_HORIZON, as_of)
    current = table.for_spend(spend)
    later = table.for_spend(remaining)
    at_risk = None
    if current and (later is None or later.rank < current.rank) and not member.tier_override_code:
        at_risk = later or TierInfo("", "普通会员", "Member", 0, 0, 0, "#777777", ())
    nxt = table.next_above(current.code if current else None)
    return TierOutlook(spend, remaining, at_risk, nxt,
                       nxt.min_spend_cents - spend if nxt else None)


class DailyTierPass:
    """Runs `daily_pass` once per local day of the desk: at start-up (before the care
    list's morning build reads tiers) and again when a desk left open passes midnight.
    The day it last ran is kept in the database, so restarting the window the same day
    does not run it again."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self.factory = factory
        self.clock = clock
        self.done_for: date | None = None

    def run_if_new_day(self) -> PassReport | None:
        today = self.clock.today()
        if self.done_for == today:
            return None
        with unit_of_work(self.factory) as session:
            stored = session.scalar(select(SyncState.value).where(SyncState.key == PASS_KEY))
            report = None
            if stored != today.isoformat():
                # The table as stored now: one the sync brought since start-up counts.
                report = daily_pass(session, load_tier_table(session), self.clock.now())
                session.merge(SyncState(key=PASS_KEY, value=today.isoformat()))
        self.done_for = today
        return report

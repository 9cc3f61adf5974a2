"""Tiers from trailing-12-month spend, manager overrides, and cumulative benefits."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vipdesk.models import Member, Purchase, Tier, TierBenefit, TierChange, utcnow
from vipdesk.resources import resource

WINDOW = timedelta(days=365)
DEFAULTS_NAMESPACE = uuid.UUID("6f1c2a9e-5b7d-4c3e-9a41-2d8e7f0b3c55")
AT_RISK_HORIZON = timedelta(days=30)


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
                tier.target_wait_minutes, tier.color, own,
            )
        )
    return TierTable(infos)


def seed_default_tiers(session: Session) -> None:
    """Install the default tier table if the database has none (idempotent)."""
    if session.scalar(select(func.count()).select_from(Tier)):
        return
    with resource("defaults", "tiers.toml").open("rb") as fh:
        data = tomllib.load(fh)
    for spec in data["tier"]:
        tier = Tier(
            # The same id on every desk that seeds the defaults, so the sync sees one
            # tier table, not one per desk (duplicates are recognised by content).
            id=uuid.uuid5(DEFAULTS_NAMESPACE, spec["code"]),
            code=spec["code"], name_zh=spec["name_zh"], name_en=spec["name_en"],
            rank=spec["rank"], min_spend_12m_cents=int(spec["min_spend_yuan"]) * 100,
            target_wait_minutes=spec["target_wait_minutes"], color=spec["color"],
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


def recompute_member(
    session: Session, member: Member, table: TierTable, as_of: datetime | None = None
) -> TierInfo | None:
    """Refresh the cached spend and computed tier; record a change in the history."""
    as_of = as_of or utcnow()
    spend = spend_between(session, member.id, as_of - WINDOW, as_of)
    tier = table.for_spend(spend)
    new_code = tier.code if tier else None
    member.spend_12m_cents = spend
    if new_code != member.tier_code:
        session.add(TierChange(member_id=member.id, from_tier=member.tier_code, to_tier=new_code,
                               kind="auto", reason=f"12m spend ¥{spend // 100:,}"))
        member.tier_code = new_code
    return tier


def recompute_all(session: Session, table: TierTable, as_of: datetime | None = None) -> int:
    """Nightly job: set-based refresh of every member's spend and tier; returns changes."""
    as_of = as_of or utcnow()
    spend = (
        select(func.coalesce(func.sum(Purchase.amount_cents), 0))
        .where(Purchase.member_id == Member.id, Purchase.occurred_at > as_of - WINDOW,
               Purchase.occurred_at <= as_of)
        .scalar_subquery()
    )
    session.execute(update(Member).values(spend_12m_cents=spend))
    changed = 0
    for member in session.scalars(select(Member).where(Member.erased_at.is_(None))):
        tier = table.for_spend(member.spend_12m_cents)
        code = tier.code if tier else None
        if code != member.tier_code:
            session.add(TierChange(member_id=member.id, from_tier=member.tier_code, to_tier=code,
                                   kind="auto", reason="nightly recompute"))
            member.tier_code = code
            changed += 1
    return changed


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

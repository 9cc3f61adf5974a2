"""Tiers and their benefits are data, not code: each brand has its own table."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from vipdesk.models.base import Base, IdMixin


class Tier(IdMixin, Base):
    __tablename__ = "tiers"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    # Higher rank = better tier; benefits accumulate upwards by rank.
    rank: Mapped[int] = mapped_column(unique=True)
    min_spend_12m_cents: Mapped[int] = mapped_column(BigInteger)
    target_wait_minutes: Mapped[int] = mapped_column(default=15)
    color: Mapped[str] = mapped_column(String(16), default="#8a6d3b")
    # Whether the daily care list plans calls for this tier (seed 002: VIP and D not yet).
    in_care_plan: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The welcome-card layout for this tier; None: the default template.
    card_template: Mapped[str | None] = mapped_column(String(64))
    # Points a purchase earns per ¥100 at this tier (an integer, so 1.5 per yuan is 150).
    points_per_100_yuan: Mapped[int] = mapped_column(default=100, server_default="100")


class TierBenefit(IdMixin, Base):
    """A benefit introduced at a tier; every higher-ranked tier inherits it."""

    __tablename__ = "tier_benefits"

    tier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tiers.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    sort: Mapped[int] = mapped_column(default=0)

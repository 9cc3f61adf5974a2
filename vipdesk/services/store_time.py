"""The store's own time zone: what "today", a day's report and every time a desk shows
mean at that store.

A chain's lounges mostly share one zone (mainland China, Hong Kong, Macau and Taiwan are
all UTC+8), but a store abroad keeps its own: its lounge opens, closes and counts
birthdays by its own clock. The zone is the store's `timezone` column, read when the
desk opens. Tier years are not counted here: a member's tier is the chain's, and must
not depend on which store's desk ran the pass (`tiers` keeps the chain's home zone).
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.models import Store
from vipdesk.services.clock import DEFAULT_TZ

log = logging.getLogger(__name__)


def zone_name(session: Session, store_code: str) -> str:
    """The store's IANA zone; the chain's home zone while the store is not on this desk
    yet (a desk before its first sync) or when it names a zone this machine lacks."""
    stored = session.scalar(select(Store.timezone).where(Store.code == store_code))
    if not stored:
        return DEFAULT_TZ
    if not is_zone(stored):
        log.warning("store %s names an unknown time zone %r; using %s",
                    store_code, stored, DEFAULT_TZ)
        return DEFAULT_TZ
    return stored


def is_zone(name: str) -> bool:
    """Whether `name` is a time zone this machine's zone database knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True

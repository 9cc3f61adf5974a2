"""The desk's application service: the one object the window talks to.

It owns the engine, the tier snapshot, the lookup index and the clock, and exposes
plain-data methods (no ORM objects escape). Every method is safe to call from a worker
thread: each opens its own session for one unit of work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vipdesk.db import session_factory
from vipdesk.models import Member, Store
from vipdesk.services.auth import SYSTEM, Actor
from vipdesk.services.clock import Clock
from vipdesk.services.lookup import LookupOutcome, LookupService
from vipdesk.services.profile import MemberProfile, load_profile
from vipdesk.services.tiers import TierTable, load_tier_table
from vipdesk.services.timeline import TimelineEntry, timeline


@dataclass(frozen=True)
class DeskInfo:
    store_code: str
    store_name: str | None
    members: int


class Desk:
    def __init__(self, engine: Engine, store_code: str = "SH01", clock: Clock | None = None,
                 actor: Actor = SYSTEM) -> None:
        self.engine = engine
        self.factory = session_factory(engine)
        self.clock = clock or Clock()
        self.store_code = store_code
        self.actor = actor
        with Session(engine) as session:
            self.tiers: TierTable = load_tier_table(session)
        self.lookup = LookupService(engine, self.tiers)

    def info(self) -> DeskInfo:
        with self.factory() as s:
            store = s.scalar(select(Store).where(Store.code == self.store_code))
            count = s.scalar(select(func.count()).select_from(Member)) or 0
        return DeskInfo(self.store_code, store.name if store else None, int(count))

    def search(self, query: str, limit: int = 50) -> LookupOutcome:
        return self.lookup.search(query, limit)

    def profile(self, member_id: uuid.UUID) -> MemberProfile | None:
        with self.factory() as s:
            return load_profile(s, member_id, self.tiers, self.clock.now())

    def timeline_page(
        self, member_id: uuid.UUID, before: tuple[datetime, uuid.UUID] | None = None,
        kinds: tuple[str, ...] | None = None, limit: int = 50,
    ) -> list[TimelineEntry]:
        with self.factory() as s:
            return timeline(s, member_id, limit=limit, before=before, kinds=kinds)

"""`Desk`: what the window and the command line share — the engine, the clock, the tier
snapshot and the signed-in person — and one facade per noun bound to that person.

Every facade method is safe to call from a worker thread: each opens its own session
for one unit of work, and no ORM object leaves it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vipdesk.db import session_factory
from vipdesk.desk.lounge import CareDesk, QueueDesk, ReportsDesk, ReviewDesk
from vipdesk.desk.members import MembersDesk
from vipdesk.desk.records import (
    ComplaintsDesk,
    HomeVisitsDesk,
    PointsDesk,
    SurveysDesk,
    VisitsDesk,
)
from vipdesk.models import Member, Staff, Store
from vipdesk.services import auth, store_time
from vipdesk.services import staff as staff_accounts
from vipdesk.services.auth import SYSTEM, Actor
from vipdesk.services.clock import Clock, local_date
from vipdesk.services.tiers import TierTable, load_tier_table

if TYPE_CHECKING:
    from vipdesk.desk.cards import CardService


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
        self.actor = actor  # who acts: every facade reads it at each call
        self._store_id: uuid.UUID | None = None
        with Session(engine) as session:
            self.tiers: TierTable = load_tier_table(session)
            self.tz = store_time.zone_name(session, store_code)  # what "today" means here
        self.visits = VisitsDesk(self)
        self.members = MembersDesk(self, self.visits)
        self.complaints = ComplaintsDesk(self)
        self.home_visits = HomeVisitsDesk(self)
        self.points = PointsDesk(self)
        self.surveys = SurveysDesk(self)
        self.queue = QueueDesk(self)
        self.care = CareDesk(self)
        self.reports = ReportsDesk(self)
        self.review = ReviewDesk(self)

    @cached_property
    def cards(self) -> CardService:
        """Welcome cards (reportlab loads on first use, not at start-up)."""
        from vipdesk.desk.cards import CardService

        return CardService(self.engine, tiers=self.tiers, clock=self.clock,
                           store_code=self.store_code, tz=self.tz)

    @property
    def store_id(self) -> uuid.UUID | None:
        """This desk's store (where a visit, a complaint or a queue entry happens,
        whoever is signed in); None while the desk has not received its store yet."""
        if self._store_id is None:
            with self.factory() as s:
                self._store_id = s.scalar(select(Store.id).where(Store.code == self.store_code))
        return self._store_id

    def info(self) -> DeskInfo:
        with self.factory() as s:
            store = s.scalar(select(Store).where(Store.code == self.store_code))
            count = s.scalar(select(func.count()).select_from(Member)) or 0
        return DeskInfo(self.store_code, store.name if store else None, int(count))

    def sign_in(self, staff_no: str, secret: str) -> Actor:
        """Whoever signs in (also over a locked desk) is who the desk acts as from now."""
        self.actor = staff_accounts.sign_in(self.factory, staff_no, secret, self.clock,
                                            desk=self.store_code)
        return self.actor

    def change_own_pin(self, current: str, new: str) -> None:
        """The signed-in person's new PIN, given their current one (counted like a
        sign-in attempt when wrong)."""
        staff_accounts.change_own_secret(self.factory, self.actor, current, new, self.clock)

    def can(self, action: str) -> bool:
        """Whether the signed-in person may do `action` (to offer only what is allowed)."""
        return auth.allowed(self.actor, action)

    def may(self, action: str, member_id: uuid.UUID) -> bool:
        """Whether the person may do `action` to this member (advisors: their own VIPs),
        so the card offers only what the service will accept."""
        with self.factory() as s:
            advisor_id = s.scalar(select(Member.advisor_id).where(Member.id == member_id))
        return auth.allowed(self.actor, action, advisor_id)

    def today(self) -> date:
        return local_date(self.clock.now(), self.tz)

    def advisors(self) -> list[tuple[uuid.UUID, str]]:
        """Active advisors and managers: whom a guest or a home visit can be given to."""
        with self.factory() as s:
            rows = s.execute(select(Staff.id, Staff.staff_no, Staff.name)
                             .where(Staff.active, Staff.role.in_(("advisor", "manager")))
                             .order_by(Staff.staff_no)).all()
        return [(row.id, f"{row.staff_no} {row.name}") for row in rows]

"""What a facade uses of its desk: the shared parts, typed as a Protocol so the facades
never import the `Desk` that builds them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.tiers import TierTable


class DeskParts(Protocol):
    engine: Engine
    factory: sessionmaker[Session]
    clock: Clock
    store_code: str
    actor: Actor  # the signed-in person, read at each call
    tiers: TierTable
    tz: str  # the store's time zone (IANA name): what "today" and shown times mean

    @property
    def store_id(self) -> uuid.UUID | None: ...

    def today(self) -> date: ...

    def may(self, action: str, member_id: uuid.UUID) -> bool: ...

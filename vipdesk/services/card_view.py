"""The member card as the window opens it: the file and what the card offers, fetched in
one trip to the worker, so the card never shows one guest's file with another's buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vipdesk.services.profile import MemberProfile
from vipdesk.services.visits import VisitRecord


@dataclass(frozen=True)
class CardView:
    profile: MemberProfile
    in_lounge_since: datetime | None  # checked in today and not checked out yet
    may_log_care: bool  # the person may record a care contact for this member
    voidable: tuple[VisitRecord, ...]  # visits the person may take back, newest first

    @property
    def checked_in(self) -> bool:
        return self.in_lounge_since is not None

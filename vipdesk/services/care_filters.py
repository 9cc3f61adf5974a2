"""What the care list shows a manager: today's work first, the most valuable guests on
top, narrowed by task type, advisor, tier and due date, with counts that follow.

The service lists every task the desk knows (overdue, due, upcoming, done today); a
store's list of a few hundred lines is only workable once narrowed to what is due now
(today and the overdue carry-over, the default) and ordered by who matters most
(tier rank, then 12-month spend). Plain functions over `CareItem`s: no database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from vipdesk.services.care_items import CareItem
from vipdesk.services.tiers import TierTable

# Due filters: "today" is what a manager acts on today (overdue and due, and what was
# done today, shown crossed out); the others narrow to one status, or show everything.
DUE_FILTERS = ("today", "overdue", "upcoming", "all")
_DUE_STATUSES = {"today": frozenset({"overdue", "due", "done"}),
                 "overdue": frozenset({"overdue"}),
                 "upcoming": frozenset({"upcoming"})}
NO_TIER = ""  # the tier filter's value for members without a tier


@dataclass(frozen=True)
class CareFilter:
    due: str = "today"
    kind: str | None = None
    advisor_id: uuid.UUID | None = None
    tier_code: str | None = None  # None: any tier; NO_TIER: members without one

    def matches(self, item: CareItem) -> bool:
        return (self.due == "all" or item.status in _DUE_STATUSES[self.due]) \
            and self.kind in (None, item.kind) \
            and self.advisor_id in (None, item.advisor_id) \
            and self.tier_code in (None, item.tier_code or NO_TIER)


@dataclass(frozen=True)
class CareCounts:
    """The numbers over the items shown (they follow the filters)."""

    open: int
    overdue: int
    due: int
    done: int


def value_order(items: Iterable[CareItem], tiers: TierTable) -> list[CareItem]:
    """Open tasks before done ones; then the most valuable members first (tier rank,
    then 12-month spend); a member's own tasks by due date."""
    return sorted(items, key=lambda i: (i.status == "done", -tiers.rank(i.tier_code),
                                        -i.spend_12m_cents, i.member_no, i.due_on, i.kind))


def shown(items: Iterable[CareItem], chosen: CareFilter, tiers: TierTable) -> list[CareItem]:
    return value_order((i for i in items if chosen.matches(i)), tiers)


def count(items: Iterable[CareItem]) -> CareCounts:
    statuses = [i.status for i in items]
    return CareCounts(open=sum(1 for s in statuses if s != "done"),
                      overdue=statuses.count("overdue"), due=statuses.count("due"),
                      done=statuses.count("done"))

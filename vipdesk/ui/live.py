"""What each view shows, as the tables it reads: a view refreshes when `Ops.sig_changed`
announces a write to one of them (by this desk's staff or pulled from another desk).

A view never lists a table its own refresh writes (the care list builds `care_tasks`;
opening a card writes `audit_log`), or it would refresh for ever.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Slot

from vipdesk.change_stream import Changes
from vipdesk.ui.ops import Ops

# The member card: the file, its history and what the card offers.
MEMBER_CARD = frozenset({
    "members", "member_phones", "member_cards", "preferences", "visits", "complaints",
    "complaint_events", "home_visits", "points_entries", "purchases", "care_contacts",
    "follow_up_tasks", "surveys", "survey_answers", "tier_changes", "tiers", "tier_benefits",
    "queue_entries",
})
# The complaint clocks (30-minute contact, overdue steps, emergencies).
COMPLAINT_CLOCKS = frozenset({"complaints", "complaint_events"})
# Who is in the lounge now.
LOUNGE = frozenset({"visits", "members", "queue_entries"})
# What tells the listed hits apart: in the lounge since, last visit, age.
HIT_FACTS = frozenset({"visits", "members"})
QUEUE_BOARD = frozenset({"queue_entries", "visits", "members", "staff"})
# The care list's sources (not care_tasks: building the list writes those).
CARE_LIST = frozenset({
    "members", "visits", "complaints", "complaint_events", "home_visits", "purchases",
    "care_contacts", "follow_up_tasks", "tier_changes", "preferences", "staff",
})
REPORTS = frozenset({
    "visits", "complaints", "complaint_events", "points_entries", "surveys", "survey_answers",
    "care_contacts", "home_visits", "members", "purchases",
})
# Concurrent edits and refused changes, which managers review.
SYNC_REVIEW = frozenset({"sync_conflicts", "sync_dead_letters"})


class _Watch(QObject):
    """A child of the view: when the view is deleted, its subscription goes with it."""

    def __init__(self, owner: QObject, tables: frozenset[str],
                 refresh: Callable[[Changes], None]) -> None:
        super().__init__(owner)
        self.tables, self.refresh = tables, refresh

    @Slot(object)
    def changed(self, changes: Changes) -> None:
        if changes.touches(*self.tables):
            self.refresh(changes)


def on_change(ops: Ops, owner: QObject, tables: frozenset[str],
              refresh: Callable[[Changes], None]) -> None:
    """Call `refresh(changes)` whenever a write touches one of `tables`, while `owner`
    lives."""
    ops.sig_changed.connect(_Watch(owner, tables, refresh).changed)

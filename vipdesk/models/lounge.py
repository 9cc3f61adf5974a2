"""The manager's desk: the peak-hour queue, the daily care list's task state, and the
care message templates (data, editable per brand).

Also the indexes the care list and the reports need on shared tables (purchases,
members, visits, care contacts): each rule of the care list is a range scan on one of
them, so a million-member list builds in well under two seconds.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column

from vipdesk.models.base import Base, CreatedMixin, IdMixin
from vipdesk.models.history import CareContact, Purchase, TierChange, Visit
from vipdesk.models.members import Member, Preference

QUEUE_PURPOSES = ("advisor", "fitting_room", "pickup", "repair", "other")
QUEUE_STATES = ("waiting", "called", "served", "left")


class QueueEntry(IdMixin, CreatedMixin, Base):
    """One VIP waiting in the lounge. Each moment (arrived, called, served, left) is set
    once and never rewritten, so the row is also the history the wait report reads."""

    __tablename__ = "queue_entries"
    __table_args__ = (
        Index("ix_queue_entries_state_store", "state", "store_id"),
        Index("ix_queue_entries_arrived", "arrived_at"),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                                 index=True)
    store_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stores.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    # The tier at arrival: a guest keeps their place even if a nightly recompute runs.
    tier_code: Mapped[str | None] = mapped_column(String(32))
    tier_rank: Mapped[int] = mapped_column(default=0)
    priority_booking: Mapped[bool] = mapped_column(default=False)
    appointment_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    called_at: Mapped[datetime | None]
    advisor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    finished_at: Mapped[datetime | None]  # served or left
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(String(200))


class CareTask(CreatedMixin, Base):
    """A task of the daily care list, remembered so that an undone task carries over.

    A task is known by its stable `task_key` ("birthday:<member>:2026"): every desk derives
    the same key from the same synced facts. Tasks never sync, so the row id is a plain
    integer (the SQLite row id: the cheapest insert, which counts when a million-member
    lounge stores its first list). A task is done when a care contact with its key is
    logged (or, for complaint deadlines, when the complaint moves on); `closed_at` caches
    that so the open list stays an index scan.
    """

    __tablename__ = "care_tasks"
    # Desk-local: every desk rebuilds the list from synced facts; only the done state
    # (a care contact with the task's key) travels.
    __table_args__ = (Index("ix_care_tasks_open", "closed_at", "due_on"),
                      {"info": {"sync": False}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_key: Mapped[str] = mapped_column(String(100), unique=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                                 index=True)
    kind: Mapped[str] = mapped_column(String(32))
    generated_on: Mapped[date]
    due_on: Mapped[date]
    due_at: Mapped[datetime | None]  # a deadline within the day (complaint contact: 30 min)
    context: Mapped[str | None] = mapped_column(Text)  # JSON: what the message needs
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(16))  # contact / complaint


class CareDirtyMember(Base):
    """A member whose purchases, visits or tier override changed since the last care-list
    build: the desk's triggers (migration `d81f3b6c2a47`) note them, so the next build
    re-evaluates only them for the churn and tier rules (`services/care_watch.py`)."""

    __tablename__ = "care_dirty_members"
    __table_args__ = {"info": {"sync": False}}

    member_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class CareSpendWatch(Base):
    """A member whose spend matched a churn rule at the last build (falling sharply, or a
    tier about to lapse), with the three sums the rules compare. Kept current from the
    day's changes instead of summing two years of purchases every morning."""

    __tablename__ = "care_spend_watch"
    __table_args__ = {"info": {"sync": False}}

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    s12: Mapped[int] = mapped_column(BigInteger)  # the last 12 months, in cents
    prev: Mapped[int] = mapped_column(BigInteger)  # the 12 months before
    keep: Mapped[int] = mapped_column(BigInteger)  # what still counts at the horizon


class CareSilenceWatch(Base):
    """A member with enough visits to have a usual cadence, and the day their silence
    will first count as a churn warning if they do not come back (`alarm_on`)."""

    __tablename__ = "care_silence_watch"
    __table_args__ = {"info": {"sync": False}}

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    last_visit_on: Mapped[date]
    cadence_days: Mapped[int]
    alarm_on: Mapped[date] = mapped_column(index=True)


class CareTemplate(IdMixin, Base):
    """A care message per kind and language; `{placeholders}` are filled from the task."""

    __tablename__ = "care_templates"
    __table_args__ = (Index("uq_care_templates_kind_lang", "kind", "language", unique=True),)

    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)


# -- indexes on shared tables that the care list and reports scan by date ---------------
# Member and amount too: the spend rules sum a year of purchases by member from it.
Index("ix_purchases_occurred_at", Purchase.occurred_at, Purchase.member_id,
      Purchase.amount_cents)
Index("ix_purchases_delivered_at", Purchase.delivered_at)
Index("ix_members_created_at", Member.created_at)
Index("ix_members_birthday_md", Member.birthday_md)
Index("ix_visits_checked_in_at", Visit.checked_in_at)
Index("ix_care_contacts_task_key", CareContact.task_key)
Index("ix_tier_changes_created_at", TierChange.created_at)
# Only the members who asked for no care contacts (the care list leaves their tasks out).
_OPTED_OUT = text("tag = 'care_opt_out'")
Index("ix_preferences_care_opt_out", Preference.member_id, sqlite_where=_OPTED_OUT,
      postgresql_where=_OPTED_OUT)
# Covers the care list's join to members (erased, store scope, sort by member number):
# its page and its counts over 150k tasks read the index, not the member rows.
Index("ix_members_care_listing", Member.id, Member.erased_at, Member.home_store_id,
      Member.advisor_id, Member.member_no)


def birthday_md(birthday: date | None) -> int | None:
    """Month and day as one indexable number: 3 July → 703."""
    return birthday.month * 100 + birthday.day if birthday else None


@event.listens_for(Member.birthday, "set")
def _keep_birthday_md(target: Member, value: date | None, _old: Any, _initiator: Any) -> None:
    # Every ORM write of a birthday keeps the derived key in step; bulk Core inserts
    # (the demo builder) fill it themselves.
    target.birthday_md = birthday_md(value)


def fill_birthday_md(conn: Connection) -> None:
    """Set the key for rows written by Core bulk inserts (the demo builder), in one
    statement; the migration backfills existing databases the same way."""
    if conn.dialect.name == "sqlite":
        expr = "CAST(strftime('%m%d', birthday) AS INTEGER)"
    else:
        expr = "CAST(EXTRACT(MONTH FROM birthday) * 100 + EXTRACT(DAY FROM birthday) AS INTEGER)"
    conn.execute(text(f"UPDATE members SET birthday_md = {expr} "
                      "WHERE birthday IS NOT NULL AND birthday_md IS NULL"))

"""Everything that happens to a member, as append-only records (SPEC §4).

Records are never edited in place to change what happened; corrections are new rows
(a complaint moves through `ComplaintEvent`s, points through `PointsEntry`s).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vipdesk.models.base import Base, CreatedMixin, IdMixin


def _member_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("members.id", ondelete="CASCADE"))


class Purchase(IdMixin, CreatedMixin, Base):
    __tablename__ = "purchases"
    # With the amount, so spend sums per member (tiers, the care list's spend watch) read
    # the index alone.
    __table_args__ = (Index("ix_purchases_member_time", "member_id", "occurred_at",
                            "amount_cents"),
                      # A POS receipt is one purchase: what makes re-importing an export
                      # change nothing.
                      Index("ux_purchases_store_receipt", "store_id", "receipt_no",
                            unique=True))

    member_id: Mapped[uuid.UUID] = _member_fk()
    store_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stores.id"))
    occurred_at: Mapped[datetime]
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    receipt_no: Mapped[str | None] = mapped_column(String(64))  # the POS's, per store


class Visit(IdMixin, CreatedMixin, Base):
    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_member_time", "member_id", "checked_in_at"),)

    member_id: Mapped[uuid.UUID] = _member_fk()
    store_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stores.id"))
    checked_in_at: Mapped[datetime]
    checked_out_at: Mapped[datetime | None]
    received_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    purpose: Mapped[str | None] = mapped_column(String(200))
    offered: Mapped[str | None] = mapped_column(String(200))
    purchase_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("purchases.id"))


class PointsEntry(IdMixin, CreatedMixin, Base):
    """One change of a points balance; the balance is the sum, never stored."""

    __tablename__ = "points_entries"
    __table_args__ = (Index("ix_points_member_time", "member_id", "created_at"),)

    member_id: Mapped[uuid.UUID] = _member_fk()
    delta: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # earn/redeem/compensation/adjust/referral/event
    reason: Mapped[str | None] = mapped_column(String(500))
    ref_id: Mapped[uuid.UUID | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))


class TierChange(IdMixin, CreatedMixin, Base):
    __tablename__ = "tier_changes"
    __table_args__ = (Index("ix_tier_changes_member_time", "member_id", "created_at"),)

    member_id: Mapped[uuid.UUID] = _member_fk()
    from_tier: Mapped[str | None] = mapped_column(String(32))
    to_tier: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # auto / override / override_cleared
    reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))


class Complaint(IdMixin, CreatedMixin, Base):
    """A complaint; its state is the latest `ComplaintEvent` (cached here for queries)."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_member_time", "member_id", "received_at"),
        Index("ix_complaints_state", "state"),
        Index("ix_complaints_category_time", "category", "received_at"),
    )

    member_id: Mapped[uuid.UUID] = _member_fk()
    store_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stores.id"))
    received_at: Mapped[datetime]
    occurred_at: Mapped[datetime | None]  # when it happened, as the guest tells it
    received_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    place: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    impact: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))  # minor / severe
    state: Mapped[str] = mapped_column(String(16), default="received")


class ComplaintEvent(IdMixin, CreatedMixin, Base):
    __tablename__ = "complaint_events"

    complaint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(Text)
    compensation_points: Mapped[int | None]
    compensation_item: Mapped[str | None] = mapped_column(String(200))


class HomeVisit(IdMixin, CreatedMixin, Base):
    __tablename__ = "home_visits"
    __table_args__ = (Index("ix_home_visits_member_time", "member_id", "visited_on"),)

    member_id: Mapped[uuid.UUID] = _member_fk()
    advisor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    visited_on: Mapped[date]
    present: Mapped[str | None] = mapped_column(String(500))
    gift: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    learned: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(16))


class FollowUpTask(IdMixin, CreatedMixin, Base):
    __tablename__ = "follow_up_tasks"
    __table_args__ = (Index("ix_follow_up_member_due", "member_id", "due_on"),)

    member_id: Mapped[uuid.UUID] = _member_fk()
    source_id: Mapped[uuid.UUID | None]  # the home visit / complaint that asked for it
    due_on: Mapped[date]
    description: Mapped[str] = mapped_column(String(500))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    done_at: Mapped[datetime | None]


class CareContact(IdMixin, CreatedMixin, Base):
    __tablename__ = "care_contacts"
    __table_args__ = (Index("ix_care_contacts_member_time", "member_id", "at"),)

    member_id: Mapped[uuid.UUID] = _member_fk()
    kind: Mapped[str] = mapped_column(String(32))  # birthday/holiday/callback/welcome_card/…
    channel: Mapped[str] = mapped_column(String(16))  # phone/sms/wechat/in_person/email/print
    outcome: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime]
    by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    task_key: Mapped[str | None] = mapped_column(String(100))


class Survey(IdMixin, CreatedMixin, Base):
    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_member_time", "member_id", "taken_at"),)

    member_id: Mapped[uuid.UUID] = _member_fk()
    questionnaire: Mapped[str] = mapped_column(String(32))
    taken_at: Mapped[datetime]
    by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))


class SurveyAnswer(IdMixin, Base):
    __tablename__ = "survey_answers"

    survey_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(16))  # very_satisfied … no_rating

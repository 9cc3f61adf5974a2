"""The member and the parts of their file that lookup needs: phones, cards, search terms."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vipdesk.models.base import Base, CreatedMixin, IdMixin, utcnow


class Member(IdMixin, CreatedMixin, Base):
    __tablename__ = "members"

    member_no: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(100))
    name_latin: Mapped[str | None] = mapped_column(String(200))
    gender: Mapped[str | None] = mapped_column(String(1))  # "F", "M" or None
    birthday: Mapped[date | None]
    birthday_md: Mapped[int | None]  # month*100+day, indexed: the care list's birthday scan
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(500))
    occupation: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    home_store_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stores.id"))
    advisor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    # The file (客户档案): free text a store builds up over years.
    family: Mapped[str | None] = mapped_column(Text)
    hobbies: Mapped[str | None] = mapped_column(Text)
    career: Mapped[str | None] = mapped_column(Text)
    lifestyle: Mapped[str | None] = mapped_column(Text)
    referral: Mapped[str | None] = mapped_column(Text)
    purchase_intent: Mapped[str | None] = mapped_column(Text)
    # A small JPEG or PNG for the card (services/photos.py checks and caps it); deferred:
    # searches and lists never read it, only the card does.
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Cached from purchases by the tier service (the ledger of truth is `purchases`);
    # kept on the row so a lookup can rank and badge without aggregating.
    spend_12m_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tier_code: Mapped[str | None] = mapped_column(String(32))
    tier_override_code: Mapped[str | None] = mapped_column(String(32))
    tier_override_reason: Mapped[str | None] = mapped_column(String(500))
    tier_override_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    tier_override_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None]
    # The member agreed to their personal data being recorded (客户同意登记个人信息), and
    # who at the desk recorded that consent (a staff id; no foreign key: a plain stamp).
    consent_at: Mapped[datetime | None]
    consent_by: Mapped[uuid.UUID | None]

    phones: Mapped[list[MemberPhone]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )
    cards: Mapped[list[MemberCard]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )
    # Newest first: the card lists what was learned last at the top.
    preferences: Mapped[list[Preference]] = relationship(
        back_populates="member", cascade="all, delete-orphan",
        order_by="(Preference.created_at.desc(), Preference.id.desc())",
    )

    @property
    def display_name(self) -> str:
        return self.name_zh or self.name_latin or self.member_no


class MemberPhone(IdMixin, Base):
    __tablename__ = "member_phones"
    __table_args__ = (Index("ix_member_phones_suffix4", "suffix4"),)

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    e164: Mapped[str] = mapped_column(String(20), index=True)
    # Last four digits of the national number: "尾号 8000", the lounge's favourite question.
    suffix4: Mapped[str] = mapped_column(String(4))
    label: Mapped[str | None] = mapped_column(String(32))
    is_primary: Mapped[bool] = mapped_column(default=True)

    member: Mapped[Member] = relationship(back_populates="phones")


class MemberCard(IdMixin, CreatedMixin, Base):
    __tablename__ = "member_cards"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    card_no: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / lost / replaced

    member: Mapped[Member] = relationship(back_populates="cards")


class Preference(IdMixin, CreatedMixin, Base):
    """A tagged preference: ("drink", "龙井, no ice"), ("size", "42"), ("avoid", …)."""

    __tablename__ = "preferences"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    tag: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))

    member: Mapped[Member] = relationship(back_populates="preferences")


class MemberTerm(Base):
    """Inverted index for name search: one row per searchable term of a member.

    Terms are every suffix of the Chinese name (so a substring query is a prefix range
    scan), the pinyin initials and full pinyin, and the lowercased Latin name words.
    """

    __tablename__ = "member_terms"
    __table_args__ = {"sqlite_with_rowid": False}

    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # 0 = the whole name, 1 = pinyin/latin word, 2 = a later suffix (substring match).
    weight: Mapped[int] = mapped_column(default=0)

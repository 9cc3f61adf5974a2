"""One timeline per member, newest first, mixing every kind of record (SPEC §4).

A single UNION ALL over the history tables, each leg using its (member_id, time) index,
paged by a (time, id) cursor so members with thousands of records open instantly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, literal, select, union_all
from sqlalchemy.orm import Session

from vipdesk.models import (
    CareContact,
    Complaint,
    HomeVisit,
    PointsEntry,
    Purchase,
    Survey,
    TierChange,
    Visit,
)

KINDS = ("visit", "purchase", "complaint", "home_visit", "care", "survey", "tier", "points")


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    record_id: uuid.UUID
    at: datetime
    summary: str  # short text from the record itself, in the language it was written
    detail: str | None


def _legs(member_id: uuid.UUID) -> dict[str, object]:
    def leg(kind: str, model: type, at: object, summary: object, detail: object) -> object:
        return select(
            literal(kind).label("kind"), model.id.label("record_id"),  # type: ignore[attr-defined]
            at.label("at"),  # type: ignore[attr-defined]
            cast(summary, String).label("summary"), cast(detail, String).label("detail"),
        ).where(model.member_id == member_id)  # type: ignore[attr-defined]

    return {
        "visit": leg("visit", Visit, Visit.checked_in_at, Visit.purpose, Visit.offered),
        "purchase": leg("purchase", Purchase, Purchase.occurred_at, Purchase.amount_cents,
                        Purchase.description),
        "complaint": leg("complaint", Complaint, Complaint.received_at,
                         Complaint.category + literal(" · ") + Complaint.state,
                         Complaint.description),
        "home_visit": leg("home_visit", HomeVisit, HomeVisit.created_at, HomeVisit.gift,
                          HomeVisit.notes),
        "care": leg("care", CareContact, CareContact.at,
                    CareContact.kind + literal(" · ") + CareContact.channel, CareContact.outcome),
        "survey": leg("survey", Survey, Survey.taken_at, Survey.questionnaire, literal(None)),
        "tier": leg("tier", TierChange, TierChange.created_at,
                    TierChange.kind + literal(": ") + TierChange.to_tier, TierChange.reason),
        "points": leg("points", PointsEntry, PointsEntry.created_at, PointsEntry.delta,
                      PointsEntry.reason),
    }


def timeline(
    session: Session, member_id: uuid.UUID, *, limit: int = 50,
    before: tuple[datetime, uuid.UUID] | None = None, kinds: tuple[str, ...] | None = None,
) -> list[TimelineEntry]:
    legs = [q for k, q in _legs(member_id).items() if kinds is None or k in kinds]
    if not legs:
        return []
    union = union_all(*legs).subquery()  # type: ignore[call-overload]
    stmt = select(union).order_by(union.c.at.desc(), union.c.record_id.desc()).limit(limit)
    if before is not None:
        at, record_id = before
        stmt = stmt.where(
            (union.c.at < at) | ((union.c.at == at) & (union.c.record_id < record_id))
        )
    return [TimelineEntry(*row) for row in session.execute(stmt)]

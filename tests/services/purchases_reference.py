"""The purchase import's and the re-tiering's previous writes, through the ORM and the
outbox capture, kept as the reference the bulk paths are compared with
(`test_purchase_bulk.py`): a row written, a tier moved and an op queued by the ORM are
what the product did before the bulk paths, and what the sync was built for."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from vipdesk.models import Member, PointsEntry, Purchase
from vipdesk.services import tiers
from vipdesk.services.purchase_writes import PurchaseToWrite
from vipdesk.services.tiers import WINDOW, PassReport, TierTable, record_change


def write_purchases(session: Session, batch: list[PurchaseToWrite]) -> None:
    """What `_Importer.add` wrote per row, one flush for the batch."""
    for item in batch:
        purchase_id = uuid.uuid4()
        session.add(Purchase(id=purchase_id, member_id=uuid.UUID(item.member_id),
                             store_id=uuid.UUID(item.store_id), occurred_at=item.occurred_at,
                             amount_cents=item.amount_cents, description=item.description,
                             receipt_no=item.receipt_no, delivered_at=None))
        if item.points:
            session.add(PointsEntry(member_id=uuid.UUID(item.member_id), delta=item.points,
                                    kind="earn",
                                    reason=f"purchase {item.store_code}/{item.receipt_no}",
                                    ref_id=purchase_id, created_by=None))
    session.flush()


def recompute_members(session: Session, member_ids: list[uuid.UUID], table: TierTable,
                      as_of: datetime, why: str) -> PassReport:
    """The import's re-tier of the members it touched, through the ORM."""
    members = list(session.scalars(select(Member).where(Member.id.in_(member_ids))))
    spend = {member_id: int(total or 0) for member_id, total in session.execute(
        select(Purchase.member_id, func.sum(Purchase.amount_cents))
        .where(Purchase.member_id.in_(member_ids), Purchase.occurred_at > as_of - WINDOW,
               Purchase.occurred_at <= as_of).group_by(Purchase.member_id))}
    report = PassReport(members=len(members))
    with session.no_autoflush:
        for member in members:
            member.spend_12m_cents = spend.get(member.id, 0)
            tier = table.for_spend(member.spend_12m_cents)
            code = tier.code if tier else None
            if code != member.tier_code and not member.tier_override_code:
                key = (member.tier_code, code)
                report.moves[key] = report.moves.get(key, 0) + 1
                record_change(session, member, code, why)
    session.flush()
    return report


def retier(session: Session, table: TierTable, why: str, as_of: datetime) -> PassReport:
    """The daily pass: spend refreshed in one statement, movers loaded and moved through
    the ORM in rounds of 500."""
    session.flush()
    spend = (select(func.coalesce(func.sum(Purchase.amount_cents), 0))
             .where(Purchase.member_id == Member.id, Purchase.occurred_at > as_of - WINDOW,
                    Purchase.occurred_at <= as_of).scalar_subquery())
    session.execute(update(Member).where(Member.spend_12m_cents != spend)
                    .values(spend_12m_cents=spend)
                    .execution_options(synchronize_session=False))
    session.expire_all()
    ladder = sorted(table.tiers, key=lambda t: t.min_spend_cents, reverse=True)
    computed = case(*((Member.spend_12m_cents >= t.min_spend_cents, t.code) for t in ladder),
                    else_=None)
    report = PassReport(members=int(session.scalar(
        select(func.count()).select_from(Member).where(Member.erased_at.is_(None))) or 0))
    ids = list(session.scalars(select(Member.id).where(
        Member.erased_at.is_(None), Member.tier_override_code.is_(None),
        or_(and_(Member.tier_code.is_(None), computed.is_not(None)),
            and_(Member.tier_code.is_not(None),
                 or_(computed.is_(None), computed != Member.tier_code))))))
    for chunk in range(0, len(ids), 500):
        for member in session.scalars(select(Member).where(Member.id.in_(ids[chunk:chunk + 500]))):
            tier = table.for_spend(member.spend_12m_cents)
            code = tier.code if tier else None
            key = (member.tier_code, code)
            report.moves[key] = report.moves.get(key, 0) + 1
            record_change(session, member, code, why,
                          tiers._day_start(as_of) if why == tiers.WHY_LAPSE else None)
        session.flush()
    return report

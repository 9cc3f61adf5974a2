"""Merging two records of one person: history, points, numbers and preferences move to
the kept member; the removed one is deleted (and so tombstoned by the sync); audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import AuditEntry, Member, MemberTerm, PointsEntry, SyncOutbox
from vipdesk.services import member_edit as me
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.lookup import LookupService
from vipdesk.services.member_merge import MergeError, merge_members
from vipdesk.services.points import PointsService
from vipdesk.services.tiers import load_tier_table
from vipdesk.services.visits import VisitDraft, VisitService

from .conftest import Lounge


def _twin(factory: sessionmaker[Session], lounge: Lounge) -> me.Registered:
    """王小明 registered a second time: another phone, a card, a birthday."""
    with unit_of_work(factory) as s:
        return me.register(s, lounge.staff, me.Registration(
            name_zh="王小明", phones=["13712345678", "13700000000"], cards=["880099990001"],
            birthday=date(1980, 3, 1), preferences=[("size", "42")], consent=True),
            lounge.clock, lounge.store_id)


def _merge(factory: sessionmaker[Session], lounge: Lounge, actor, keep, gone):  # type: ignore[no-untyped-def]
    with unit_of_work(factory) as s:
        return merge_members(s, actor, keep, gone, load_tier_table(s), lounge.clock)


def test_merge_moves_everything_to_the_kept_member(factory: sessionmaker[Session],
                                                   lounge: Lounge) -> None:
    twin = _twin(factory, lounge)
    VisitService(factory, lounge.clock).check_in(lounge.staff, twin.member_id,
                                                 VisitDraft("取货", None))
    PointsService(factory, lounge.clock).earn(lounge.staff, twin.member_id, 300, "活动")
    done = _merge(factory, lounge, lounge.manager, lounge.wang, twin.member_id)
    assert done.filled == ("birthday", "consent_at", "consent_by")  # never overwritten
    with factory() as s:
        assert s.get(Member, twin.member_id) is None
        keep = s.get(Member, lounge.wang)
        assert keep is not None and keep.birthday == date(1980, 3, 1)
        assert {p.e164 for p in keep.phones} == {"+8613800138000", "+8613712345678",
                                                 "+8613700000000"}
        assert [c.card_no for c in keep.cards] == ["880099990001"]
        assert {p.tag for p in keep.preferences} == {"drink", "size"}
        assert s.scalar(select(PointsEntry.member_id)) == lounge.wang
        assert s.scalars(select(MemberTerm).where(
            MemberTerm.member_id == twin.member_id)).all() == []
        deletes = s.scalars(select(SyncOutbox.record_id).where(
            SyncOutbox.kind == "delete", SyncOutbox.table_name == "members")).all()
        assert deletes == [twin.member_id]
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.member_id.in_([twin.member_id, lounge.wang]))).all()
        assert "member.merge" in actions
    hits = LookupService(factory.kw["bind"]).search("880099990001", 5).hits
    assert [h.member_id for h in hits] == [lounge.wang]


def test_only_managers_merge_and_never_a_member_with_itself(
        factory: sessionmaker[Session], lounge: Lounge) -> None:
    twin = _twin(factory, lounge)
    for actor in (lounge.staff, lounge.advisor):
        with pytest.raises(PermissionDenied):
            _merge(factory, lounge, actor, lounge.wang, twin.member_id)
    with pytest.raises(MergeError):
        _merge(factory, lounge, lounge.manager, lounge.wang, lounge.wang)
    with factory() as s:
        assert s.get(Member, twin.member_id) is not None

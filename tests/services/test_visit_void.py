"""Voiding a wrong check-in (撤销来访登记): who may, which visits, what is left behind
(an audit entry and a delete op in the outbox), and that a refusal changes nothing."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Uuid,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import (
    AuditEntry,
    CareDirtyMember,
    Purchase,
    Store,
    SyncOutbox,
    SyncState,
    Visit,
)
from vipdesk.services import visits as visit_rules
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.care_watch import WATCH_KEY
from vipdesk.services.validation import FormError
from vipdesk.services.visits import (
    VOID_PURCHASE,
    VOID_TOO_OLD,
    VisitDraft,
    VisitError,
    VisitNotFound,
    VisitService,
    validate_void,
    visit_references,
)

if TYPE_CHECKING:
    from tests.services.conftest import Lounge


@pytest.fixture
def svc(factory: sessionmaker[Session], lounge: Lounge) -> VisitService:
    return VisitService(factory, lounge.clock)


def _visit_ids(factory: sessionmaker[Session]) -> set[uuid.UUID]:
    with factory() as s:
        return set(s.scalars(select(Visit.id)))


def _audit(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "visit.void")))


def _outbox(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(SyncOutbox)) or 0)


def _checked_in(svc: VisitService, lounge: Lounge, days_ago: float = 0,
                **kwargs: object) -> uuid.UUID:
    """A visit of Wang's, checked in `days_ago` days before the test's 10:00."""
    lounge.clock.advance(days=-days_ago)
    visit = svc.check_in(lounge.staff, lounge.wang, VisitDraft(purpose="取表"), **kwargs)  # type: ignore[arg-type]
    svc.check_out(lounge.staff, lounge.wang)  # so the next check-in is not blocked
    lounge.clock.advance(days=days_ago)
    return visit.visit_id


def test_a_manager_voids_todays_check_in_leaving_an_audit_entry_and_a_delete_op(
        svc: VisitService, lounge: Lounge, factory: sessionmaker[Session]) -> None:
    visit_id = _checked_in(svc, lounge)
    with unit_of_work(factory) as s:  # as a care-list build leaves it: watching, no marks
        s.add(SyncState(key=WATCH_KEY, value="{}"))
        s.execute(delete(CareDirtyMember))
    lounge.clock.advance(minutes=3)
    voided = svc.void_check_in(lounge.manager, visit_id, "  选错了会员, 应为李华 ")
    assert (voided.member_no, voided.purpose, voided.reason) == ("M0000001", "取表",
                                                                 "选错了会员, 应为李华")
    assert _visit_ids(factory) == set()
    [entry] = _audit(factory)
    assert (entry.staff_id, entry.member_id) == (lounge.manager.staff_id, lounge.wang)
    assert entry.at == lounge.clock.now()
    assert entry.detail == (f"visit {visit_id}: M0000001 checked in 2026-11-25 10:00 at SH01, "
                            "purpose 取表; reason: 选错了会员, 应为李华")
    assert "王小明" not in entry.detail and "13800138000" not in entry.detail
    with factory() as s:
        last = s.scalars(select(SyncOutbox).where(SyncOutbox.table_name == "visits")
                         .order_by(SyncOutbox.seq.desc())).first()
        assert last is not None and (last.kind, last.record_id) == ("delete", visit_id)
        # the care list re-reads Wang's visits at its next build (silence rule)
        assert s.get(CareDirtyMember, lounge.wang) is not None


def test_lounge_staff_may_not_void_even_todays_check_in(
        svc: VisitService, lounge: Lounge, factory: sessionmaker[Session]) -> None:
    """Lounge staff delete nothing (SPEC §1): they ask the manager on the floor."""
    visit_id = _checked_in(svc, lounge)
    with pytest.raises(PermissionDenied):
        svc.void_check_in(lounge.staff, visit_id, "点错了")
    assert svc.voidable(lounge.staff, lounge.wang) == []
    assert visit_id in _visit_ids(factory) and _audit(factory) == []


def test_another_stores_visit_of_the_week_is_voided_by_a_manager(
        svc: VisitService, lounge: Lounge, factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        other = Store(code="BJ01", name="北京国贸")
        s.add(other)
        s.flush()
        other_id = other.id
    visit_id = _checked_in(svc, lounge, days_ago=2, store_id=other_id)
    svc.void_check_in(lounge.manager, visit_id, "点错了")
    assert _visit_ids(factory) == set()


def test_managers_reach_back_seven_days_and_no_further(
        svc: VisitService, lounge: Lounge, factory: sessionmaker[Session]) -> None:
    recent = _checked_in(svc, lounge, days_ago=6.9)
    old = _checked_in(svc, lounge, days_ago=7.1)
    assert [v.visit_id for v in svc.voidable(lounge.manager, lounge.wang)] == [recent]
    with pytest.raises(VisitError) as refused:
        svc.void_check_in(lounge.manager, old, "点错了")
    assert str(refused.value) == VOID_TOO_OLD
    svc.void_check_in(lounge.manager, recent, "点错了")
    assert _visit_ids(factory) == {old}


def test_a_visit_linked_to_a_purchase_is_never_voided(
        svc: VisitService, lounge: Lounge, factory: sessionmaker[Session]) -> None:
    visit_id = _checked_in(svc, lounge)
    with unit_of_work(factory) as s:
        purchase = Purchase(member_id=lounge.wang, occurred_at=lounge.clock.now(),
                            amount_cents=880_000)
        s.add(purchase)
    svc.link_purchase(lounge.staff, visit_id, purchase.id)
    before = _outbox(factory)
    with pytest.raises(VisitError) as refused:
        svc.void_check_in(lounge.manager, visit_id, "点错了")
    assert str(refused.value) == VOID_PURCHASE
    assert svc.voidable(lounge.manager, lounge.wang) == []
    assert visit_id in _visit_ids(factory)
    assert _audit(factory) == [] and _outbox(factory) == before


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 201, "点错\x00了"])
def test_the_reason_is_required_and_checked_like_any_text(
        svc: VisitService, lounge: Lounge, factory: sessionmaker[Session],
        reason: str | None) -> None:
    visit_id = _checked_in(svc, lounge)
    before = _outbox(factory)
    with pytest.raises(FormError, match="reason"):
        svc.void_check_in(lounge.manager, visit_id, reason)  # type: ignore[arg-type]
    assert [e.field for e in validate_void(reason)] == ["reason"]
    assert visit_id in _visit_ids(factory)
    assert _audit(factory) == [] and _outbox(factory) == before


def test_a_reason_of_200_characters_is_fine(svc: VisitService, lounge: Lounge) -> None:
    visit_id = _checked_in(svc, lounge)
    assert svc.void_check_in(lounge.manager, visit_id, "错" * 200).reason == "错" * 200


def test_advisors_and_administrators_may_not_void(svc: VisitService, lounge: Lounge,
                                                  factory: sessionmaker[Session]) -> None:
    visit_id = _checked_in(svc, lounge)
    for who in (lounge.advisor, lounge.admin):  # the advisor is Wang's own
        with pytest.raises(PermissionDenied):
            svc.void_check_in(who, visit_id, "点错了")
        assert svc.voidable(who, lounge.wang) == []
    assert visit_id in _visit_ids(factory) and _audit(factory) == []


def test_an_unknown_or_already_voided_visit(svc: VisitService, lounge: Lounge) -> None:
    visit_id = _checked_in(svc, lounge)
    svc.void_check_in(lounge.manager, visit_id, "点错了")
    with pytest.raises(VisitNotFound, match="already voided"):
        svc.void_check_in(lounge.manager, visit_id, "点错了")
    with pytest.raises(VisitNotFound):
        svc.void_check_in(lounge.manager, uuid.uuid4(), "点错了")


def test_voidable_lists_only_what_void_accepts(svc: VisitService, lounge: Lounge) -> None:
    yesterday = _checked_in(svc, lounge, days_ago=1)
    today = _checked_in(svc, lounge)
    assert [v.visit_id for v in svc.voidable(lounge.manager, lounge.wang)] == [today, yesterday]
    assert svc.voidable(lounge.manager, lounge.li) == []


def test_a_visit_something_points_at_is_refused_not_broken(
        svc: VisitService, lounge: Lounge, factory: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No table references visits today; one that gains a foreign key is found in the
    schema, and a referenced visit is refused before anything is written."""
    visit_id = _checked_in(svc, lounge)
    meta = MetaData()
    Table("visits", meta, Column("id", Uuid, primary_key=True))
    notes = Table("visit_notes", meta, Column("id", Integer, primary_key=True),
                  Column("visit_id", Uuid, ForeignKey("visits.id")))
    with unit_of_work(factory) as s:
        assert visit_references(s, visit_id) == []  # the real schema: nothing
        notes.create(s.connection())
        s.execute(insert(notes).values(visit_id=visit_id))
        s.execute(insert(notes).values(visit_id=visit_id))
        assert visit_references(s, visit_id, meta) == ["visit_notes ×2"]
        assert visit_references(s, uuid.uuid4(), meta) == []
    monkeypatch.setattr(visit_rules, "visit_references",
                        lambda s, v: visit_references(s, v, meta))
    before = _outbox(factory)
    with pytest.raises(VisitError, match=r"still referenced \(visit_notes ×2\)"):
        svc.void_check_in(lounge.manager, visit_id, "点错了")
    assert svc.voidable(lounge.manager, lounge.wang) == []
    assert visit_id in _visit_ids(factory)
    assert _audit(factory) == [] and _outbox(factory) == before

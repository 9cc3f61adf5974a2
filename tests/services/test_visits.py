from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Purchase
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.validation import FormError
from vipdesk.services.visits import (
    VisitDraft,
    VisitError,
    VisitService,
    day_start,
    validate_visit,
)

if TYPE_CHECKING:
    from tests.services.conftest import Lounge


@pytest.fixture
def svc(factory: sessionmaker[Session], lounge: Lounge) -> VisitService:
    return VisitService(factory, lounge.clock)


def test_check_in_offers_the_usual_drink_and_shows_who_is_here(svc: VisitService,
                                                              lounge: Lounge) -> None:
    visit = svc.check_in(lounge.staff, lounge.wang, VisitDraft(purpose="取表"))
    assert visit.offered == "龙井, 不加冰"
    assert visit.received_by == lounge.staff.staff_id and visit.store_id == lounge.store_id
    assert visit.checked_in_at == lounge.clock.now()
    here = svc.who_is_here(lounge.store_id)
    assert [(g.member_no, g.name, g.offered, g.received_by) for g in here] == [
        ("M0000001", "王小明", "龙井, 不加冰", "张敏")]


def test_offered_can_be_overridden_or_left_empty(svc: VisitService, lounge: Lounge) -> None:
    assert svc.check_in(lounge.staff, lounge.wang, VisitDraft(offered="香槟")).offered == "香槟"
    assert svc.check_in(lounge.staff, lounge.li, VisitDraft()).offered is None


def test_one_open_visit_per_member(svc: VisitService, lounge: Lounge) -> None:
    svc.check_in(lounge.staff, lounge.wang)
    lounge.clock.advance(minutes=5)
    with pytest.raises(VisitError, match="already checked in"):
        svc.check_in(lounge.manager, lounge.wang)
    lounge.clock.advance(minutes=40)
    out = svc.check_out(lounge.staff, lounge.wang)
    assert out.checked_out_at == lounge.clock.now()
    assert svc.who_is_here(lounge.store_id) == []
    with pytest.raises(VisitError, match="not checked in"):
        svc.check_out(lounge.staff, lounge.wang)
    svc.check_in(lounge.staff, lounge.wang)  # a second visit the same day is fine


def test_yesterdays_forgotten_visit_is_stale(svc: VisitService, lounge: Lounge) -> None:
    svc.check_in(lounge.staff, lounge.wang)
    lounge.clock.advance(days=1)
    assert svc.who_is_here(lounge.store_id) == []
    svc.check_in(lounge.staff, lounge.wang)  # not blocked by yesterday's open visit
    assert len(svc.who_is_here(lounge.store_id)) == 1


def test_today_is_the_stores_local_day() -> None:
    # 23:30 UTC on the 24th is 07:30 on the 25th in Shanghai.
    at = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert day_start(at, "Asia/Shanghai") == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def test_check_out_never_before_check_in(svc: VisitService, lounge: Lounge) -> None:
    visit = svc.check_in(lounge.staff, lounge.wang)
    lounge.clock.advance(minutes=-10)  # someone sets the desk clock back
    out = svc.check_out(lounge.staff, lounge.wang)
    assert out.checked_out_at == visit.checked_in_at


def test_link_purchase_only_the_members_own(svc: VisitService, lounge: Lounge,
                                            factory: sessionmaker[Session]) -> None:
    visit = svc.check_in(lounge.staff, lounge.wang)
    with unit_of_work(factory) as s:
        mine = Purchase(member_id=lounge.wang, occurred_at=lounge.clock.now(), amount_cents=1)
        again = Purchase(member_id=lounge.wang, occurred_at=lounge.clock.now(), amount_cents=2)
        theirs = Purchase(member_id=lounge.li, occurred_at=lounge.clock.now(), amount_cents=1)
        s.add_all([mine, again, theirs])
    with pytest.raises(VisitError, match="not a purchase of this member"):
        svc.link_purchase(lounge.staff, visit.visit_id, theirs.id)
    assert svc.link_purchase(lounge.staff, visit.visit_id, mine.id).purchase_id == mine.id
    with pytest.raises(VisitError, match="already has another"):
        svc.link_purchase(lounge.staff, visit.visit_id, again.id)


def test_permissions_and_validation(svc: VisitService, lounge: Lounge) -> None:
    with pytest.raises(PermissionDenied):
        svc.check_in(lounge.admin, lounge.wang)
    with pytest.raises(FormError, match="purpose"):
        svc.check_in(lounge.staff, lounge.wang, VisitDraft(purpose="x" * 201))
    assert svc.who_is_here(lounge.store_id) == []
    assert [e.field for e in validate_visit(VisitDraft(offered="a\x00b"))] == ["offered"]
    svc.check_in(lounge.advisor, lounge.li)  # visit.log is not limited to own VIPs

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import Member, PointsEntry, TierChange
from vipdesk.services import points
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.points import (
    InsufficientPoints,
    PointsDraft,
    PointsService,
    validate_points,
)
from vipdesk.services.tiers import load_tier_table
from vipdesk.services.validation import FormError

if TYPE_CHECKING:
    from tests.services.conftest import Lounge


@pytest.fixture
def svc(factory: sessionmaker[Session], lounge: Lounge) -> PointsService:
    return PointsService(factory, lounge.clock)


def test_balance_is_the_sum_of_the_ledger(svc: PointsService, lounge: Lounge) -> None:
    svc.earn(lounge.staff, lounge.wang, 1000, "purchase")
    lounge.clock.advance(minutes=1)
    rec = svc.redeem(lounge.staff, lounge.wang, 300, "silk scarf")
    assert rec.balance == 700 and rec.delta == -300 and rec.at == lounge.clock.now()
    lounge.clock.advance(minutes=1)
    svc.adjust(lounge.manager, lounge.wang, -50, "double-counted receipt")
    assert svc.balance(lounge.wang) == 650
    assert [r.balance for r in svc.history(lounge.wang)] == [650, 700, 1000]


def test_redeem_never_goes_below_zero_and_writes_nothing(svc: PointsService,
                                                         lounge: Lounge,
                                                         factory: sessionmaker[Session]) -> None:
    svc.earn(lounge.staff, lounge.wang, 100)
    with pytest.raises(InsufficientPoints, match="balance is 100"):
        svc.redeem(lounge.staff, lounge.wang, 101, "voucher")
    with pytest.raises(InsufficientPoints):
        svc.adjust(lounge.manager, lounge.wang, -101, "typo")
    with factory() as s:
        assert len(s.scalars(select(PointsEntry)).all()) == 1
    assert svc.balance(lounge.wang) == 100


def test_concurrent_redeem_is_serialised(factory: sessionmaker[Session], lounge: Lounge,
                                         svc: PointsService) -> None:
    """A redemption holding the write lock makes a second one wait, then see the new sum."""
    svc.earn(lounge.staff, lounge.wang, 100)
    first = factory()
    first.begin()
    points.post(first, lounge.wang, -80, "redeem", "first", lounge.clock.now(), None)
    outcome: list[object] = []

    def second() -> None:
        try:
            outcome.append(svc.redeem(lounge.staff, lounge.wang, 80, "second"))
        except InsufficientPoints as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.3)
    assert thread.is_alive(), "the second redemption must wait for the first's transaction"
    first.commit()
    first.close()
    thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], InsufficientPoints)
    assert svc.balance(lounge.wang) == 20


def test_many_threads_never_overdraw(lounge: Lounge, svc: PointsService) -> None:
    svc.earn(lounge.staff, lounge.wang, 500)
    results: list[bool] = []

    def redeem() -> None:
        try:
            svc.redeem(lounge.staff, lounge.wang, 100, "gift")
            results.append(True)
        except InsufficientPoints:
            results.append(False)

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results.count(True) == 5 and svc.balance(lounge.wang) == 0


@pytest.mark.parametrize(("draft", "field"), [
    (PointsDraft("earn", 0), "points"),
    (PointsDraft("earn", -5), "points"),
    (PointsDraft("redeem", 10, None), "reason"),
    (PointsDraft("adjust", 0, "why"), "points"),
    (PointsDraft("adjust", 10, " "), "reason"),
    (PointsDraft("earn", 10, "x" * 501), "reason"),
    (PointsDraft("gift", 10, "x"), "kind"),
])
def test_validation_names_the_field(draft: PointsDraft, field: str) -> None:
    assert field in [e.field for e in validate_points(draft)]


def test_permissions(svc: PointsService, lounge: Lounge) -> None:
    svc.earn(lounge.manager, lounge.wang, 500)
    with pytest.raises(PermissionDenied):
        svc.adjust(lounge.staff, lounge.wang, 10, "goodwill")
    with pytest.raises(PermissionDenied):
        svc.earn(lounge.advisor, lounge.wang, 10)
    with pytest.raises(PermissionDenied):
        svc.redeem(lounge.admin, lounge.wang, 10, "gift")
    svc.redeem(lounge.advisor, lounge.wang, 10, "gift")  # desk roles may redeem
    with pytest.raises(FormError):
        svc.earn(lounge.staff, lounge.wang, 0)
    assert svc.balance(lounge.wang) == 490


def test_tier_override_goes_through_the_permission_check(
        svc: PointsService, lounge: Lounge, engine: Engine) -> None:
    with Session(engine) as s:
        table = load_tier_table(s)
    with pytest.raises(PermissionDenied):
        svc.override_tier(lounge.staff, lounge.wang, "black", "referred three VIPs", table)
    assert svc.override_tier(lounge.manager, lounge.wang, "black", "referred three VIPs",
                             table) == "black"
    with Session(engine) as s:
        member = s.get(Member, lounge.wang)
        assert member is not None and member.tier_override_by == lounge.manager.staff_id
        kinds = s.scalars(select(TierChange.kind).where(TierChange.member_id == lounge.wang))
        assert list(kinds) == ["override"]


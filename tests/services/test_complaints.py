from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import Complaint, PointsEntry
from vipdesk.services.auth import Actor, PermissionDenied
from vipdesk.services.complaints import (
    ComplaintDraft,
    ComplaintService,
    StepDraft,
    validate_complaint,
    validate_step,
)
from vipdesk.services.points import balance
from vipdesk.services.validation import FormError

if TYPE_CHECKING:
    from tests.services.conftest import Lounge

DRAFT = ComplaintDraft(category="service_attitude", severity="minor",
                       description="等了 40 分钟无人接待", place="VIP 室", impact="客户很不满意")


@pytest.fixture
def svc(factory: sessionmaker[Session], lounge: Lounge) -> ComplaintService:
    return ComplaintService(factory, lounge.clock)


def walk(svc: ComplaintService, lounge: Lounge, cid, *states: str, every: dict | None = None):  # type: ignore[no-untyped-def]
    view = None
    for state in states:
        lounge.clock.advance(**(every or {"minutes": 10}))
        view = svc.advance(lounge.manager, cid, StepDraft(state, note=f"{state}：已记录"))
    return view


def test_full_workflow_records_each_step(svc: ComplaintService, lounge: Lounge,
                                         factory: sessionmaker[Session]) -> None:
    c = svc.open(lounge.staff, lounge.wang, DRAFT)
    assert c.state == "received" and c.contact_due == c.received_at + timedelta(minutes=30)
    walk(svc, lounge, c.complaint_id, "contacted")
    lounge.clock.advance(hours=2)
    resolved = svc.advance(lounge.manager, c.complaint_id,
                           StepDraft("resolved", note="致歉并补偿", points=300))
    assert resolved.follow_up_due == lounge.clock.now() + timedelta(days=3)
    walk(svc, lounge, c.complaint_id, "followed_up", "closed", every={"days": 1})
    steps = svc.steps(c.complaint_id)
    assert [s.to_state for s in steps] == ["received", "contacted", "resolved", "followed_up",
                                           "closed"]
    assert steps[0].by == lounge.staff.staff_id and steps[1].by == lounge.manager.staff_id
    assert (steps[0].by_name, steps[1].by_name) == (lounge.staff.name, lounge.manager.name)
    assert steps[2].compensation_points == 300 and steps[2].note == "致歉并补偿"
    with factory() as s:
        complaint = s.get(Complaint, c.complaint_id)
        assert complaint is not None and complaint.state == "closed"
        entry = s.scalars(select(PointsEntry)).one()
        assert (entry.kind, entry.delta, entry.ref_id) == ("compensation", 300, c.complaint_id)
        assert balance(s, lounge.wang) == 300
    assert svc.list_open() == []


@pytest.mark.parametrize(("path", "bad"), [
    ((), "resolved"), ((), "closed"), (("contacted",), "followed_up"),
    (("contacted",), "reopened"), (("contacted", "resolved"), "closed"),
])
def test_illegal_steps_are_refused_with_a_message(svc: ComplaintService, lounge: Lounge,
                                                  path: tuple[str, ...], bad: str) -> None:
    c = svc.open(lounge.staff, lounge.wang, DRAFT)
    walk(svc, lounge, c.complaint_id, *path)
    with pytest.raises(FormError, match=f"can only go to .*not {bad}"):
        svc.advance(lounge.manager, c.complaint_id, StepDraft(bad, note="试图跳步"))
    assert len(svc.steps(c.complaint_id)) == 1 + len(path)


@pytest.mark.parametrize("from_path", [("contacted", "resolved"),
                                       ("contacted", "resolved", "followed_up"),
                                       ("contacted", "resolved", "followed_up", "closed")])
def test_reopen_restarts_the_contact_clock(svc: ComplaintService, lounge: Lounge,
                                           from_path: tuple[str, ...]) -> None:
    c = svc.open(lounge.staff, lounge.wang, DRAFT)
    walk(svc, lounge, c.complaint_id, *from_path)
    lounge.clock.advance(days=1)
    view = svc.advance(lounge.manager, c.complaint_id, StepDraft("reopened", note="客户又来电"))
    assert view.state == "reopened"
    assert view.contact_due == lounge.clock.now() + timedelta(minutes=30)
    assert [v.complaint_id for v in svc.list_open()] == [c.complaint_id]


def test_overdue_contact_and_follow_up(svc: ComplaintService, lounge: Lounge) -> None:
    late = svc.open(lounge.staff, lounge.wang, DRAFT)
    lounge.clock.advance(minutes=20)
    fresh = svc.open(lounge.staff, lounge.li, DRAFT)
    start = lounge.clock.now()
    assert svc.overdue(start) == []
    assert [v.complaint_id for v in svc.overdue(start + timedelta(minutes=11))] == [
        late.complaint_id]
    walk(svc, lounge, late.complaint_id, "contacted", "resolved")
    resolved_at = lounge.clock.now()
    walk(svc, lounge, fresh.complaint_id, "contacted")
    assert svc.overdue(resolved_at + timedelta(days=3)) == []
    overdue = svc.overdue(resolved_at + timedelta(days=3, minutes=1))
    assert [(v.complaint_id, v.follow_up_due) for v in overdue] == [
        (late.complaint_id, resolved_at + timedelta(days=3))]


def test_clocks_survive_a_restart(factory: sessionmaker[Session], lounge: Lounge) -> None:
    ComplaintService(factory, lounge.clock).open(lounge.staff, lounge.wang, DRAFT)
    lounge.clock.advance(minutes=31)
    fresh_service = ComplaintService(factory, lounge.clock)  # nothing kept in memory
    assert len(fresh_service.overdue()) == 1


def test_a_clock_set_back_cannot_reorder_events(svc: ComplaintService, lounge: Lounge) -> None:
    c = svc.open(lounge.staff, lounge.wang, DRAFT)
    lounge.clock.advance(hours=2)
    svc.advance(lounge.manager, c.complaint_id, StepDraft("contacted"))
    lounge.clock.advance(hours=-3)  # the desk clock is moved back by hand
    view = svc.advance(lounge.manager, c.complaint_id, StepDraft("resolved", note="已处理"))
    steps = svc.steps(c.complaint_id)
    assert steps[2].at == steps[1].at == c.received_at + timedelta(hours=2)
    assert view.follow_up_due == steps[1].at + timedelta(days=3)
    # and the late contact still counts as late in the KPI
    kpis = svc.kpis(c.received_at, c.received_at + timedelta(days=1),
                    now=c.received_at + timedelta(days=1))
    assert (kpis.contact_measured, kpis.contacted_in_time) == (1, 0)


def test_compensation_rules(svc: ComplaintService, lounge: Lounge,
                            factory: sessionmaker[Session]) -> None:
    minor = svc.open(lounge.staff, lounge.wang, DRAFT)
    walk(svc, lounge, minor.complaint_id, "contacted")
    for bad in (99, 501):
        with pytest.raises(FormError, match="between 100 and 500"):
            svc.advance(lounge.manager, minor.complaint_id,
                        StepDraft("resolved", note="已处理", points=bad))
    with pytest.raises(FormError, match="gifts and vouchers are for severe"):
        svc.advance(lounge.manager, minor.complaint_id,
                    StepDraft("resolved", note="已处理", item="丝巾"))
    severe = svc.open(lounge.staff, lounge.li,
                      ComplaintDraft("product_quality", "severe", "表带断裂"))
    walk(svc, lounge, severe.complaint_id, "contacted")
    with pytest.raises(FormError, match="gift or voucher"):
        svc.advance(lounge.manager, severe.complaint_id,
                    StepDraft("resolved", note="已处理", points=2000))
    svc.advance(lounge.manager, severe.complaint_id,
                StepDraft("resolved", note="已处理", item="¥2000 礼券", points=2000))
    assert svc.steps(severe.complaint_id)[-1].compensation_item == "¥2000 礼券"
    with factory() as s:
        assert balance(s, lounge.li) == 2000 and balance(s, lounge.wang) == 0
    assert svc.get(minor.complaint_id).state == "contacted"  # refused steps wrote nothing


@pytest.mark.parametrize(("state", "to_state"), [("contacted", "resolved"),
                                                 ("resolved", "followed_up"),
                                                 ("closed", "reopened")])
@pytest.mark.parametrize("note", [None, "", "   \n\t"])
def test_a_resolution_follow_up_or_reopening_is_kept_with_what_was_done(
        state: str, to_state: str, note: str | None) -> None:
    errors = validate_step(StepDraft(to_state, note=note), state, "minor")
    assert [(e.field, e.message) for e in errors] == [
        ("note", "say what was done: what the guest was told, given or said")]
    assert validate_step(StepDraft(to_state, note="已致歉，客人满意"), state, "minor") == []


def test_a_first_contact_or_closing_needs_no_note() -> None:
    assert validate_step(StepDraft("contacted"), "received", "minor") == []
    assert validate_step(StepDraft("closed"), "followed_up", "minor") == []


def test_compensation_only_when_resolving() -> None:
    errors = validate_step(StepDraft("contacted", points=200), "received", "minor")
    assert [e.field for e in errors] == ["points"]


def test_permissions(svc: ComplaintService, lounge: Lounge) -> None:
    with pytest.raises(PermissionDenied):
        svc.open(lounge.admin, lounge.wang, DRAFT)
    c = svc.open(lounge.advisor, lounge.li, DRAFT)  # any desk role records a complaint
    for who in (lounge.staff, lounge.other_advisor, lounge.admin):  # not theirs to call
        with pytest.raises(PermissionDenied):
            svc.advance(who, c.complaint_id, StepDraft("contacted"))
    assert svc.advance(lounge.manager, c.complaint_id, StepDraft("contacted")).state == "contacted"


def test_whoever_took_it_down_records_the_first_contact(svc: ComplaintService,
                                                        lounge: Lounge) -> None:
    """The 30-minute clock is stopped by the person who received the complaint."""
    received = lounge.clock.now()
    c = svc.open(lounge.staff, lounge.wang, DRAFT)
    lounge.clock.advance(minutes=12)
    view = svc.advance(lounge.staff, c.complaint_id, StepDraft("contacted", note="已致电道歉"))
    assert view.state == "contacted" and view.contact_due is None
    assert svc.steps(c.complaint_id)[-1].by == lounge.staff.staff_id
    kpis = svc.kpis(received, received + timedelta(hours=1))
    assert kpis.contacted_in_time == 1


def test_staff_may_not_contact_for_someone_elses_complaint(svc: ComplaintService,
                                                           lounge: Lounge) -> None:
    for taker in (lounge.manager, lounge.advisor):
        c = svc.open(taker, lounge.wang, DRAFT)
        with pytest.raises(PermissionDenied, match="张敏"):
            svc.advance(lounge.staff, c.complaint_id, StepDraft("contacted"))
        assert svc.get(c.complaint_id).state == "received"


def test_later_steps_stay_with_managers(svc: ComplaintService, lounge: Lounge) -> None:
    c = svc.open(lounge.staff, lounge.wang, DRAFT)
    svc.advance(lounge.staff, c.complaint_id, StepDraft("contacted"))
    with pytest.raises(PermissionDenied, match=r"complaint\.advance"):
        svc.advance(lounge.staff, c.complaint_id, StepDraft("resolved", note="已处理", points=200))
    walk(svc, lounge, c.complaint_id, "resolved", "reopened")
    with pytest.raises(PermissionDenied):  # reopened → resolved is not a first contact
        svc.advance(lounge.staff, c.complaint_id, StepDraft("resolved", note="已处理"))
    # … but calling the customer back after the reopening is, again, the receiver's
    assert svc.advance(lounge.staff, c.complaint_id, StepDraft("contacted")).state == "contacted"


def test_next_steps_say_which_are_the_actors(svc: ComplaintService, lounge: Lounge) -> None:
    mine = svc.open(lounge.staff, lounge.wang, DRAFT)
    theirs = svc.open(lounge.manager, lounge.li, DRAFT)

    def offered(who: Actor, complaint_id: uuid.UUID) -> list[tuple[str, bool]]:
        view = svc.list_open(member_id=svc.get(complaint_id).member_id)[0]
        return [(s.to_state, s.allowed) for s in svc.next_steps(who, view)]

    assert offered(lounge.staff, mine.complaint_id) == [("contacted", True)]
    assert offered(lounge.staff, theirs.complaint_id) == [("contacted", False)]
    assert offered(lounge.manager, mine.complaint_id) == [("contacted", True)]
    svc.advance(lounge.staff, mine.complaint_id, StepDraft("contacted"))
    assert offered(lounge.staff, mine.complaint_id) == [("resolved", False)]
    assert offered(lounge.manager, mine.complaint_id) == [("resolved", True)]


def test_validation_as_people_type(lounge: Lounge) -> None:
    now = lounge.clock.now()
    draft = ComplaintDraft(category="", severity="awful", description="x" * 4001,
                           occurred_at=now + timedelta(hours=1))
    fields = [e.field for e in validate_complaint(draft, now)]
    assert fields == ["category", "severity", "description", "occurred_at"]
    assert validate_complaint(DRAFT, now) == []


def test_emergency_alert_over_ten_in_24_hours(svc: ComplaintService, lounge: Lounge) -> None:
    for _ in range(10):
        svc.open(lounge.staff, lounge.wang, DRAFT)
        lounge.clock.advance(hours=2)
    svc.open(lounge.staff, lounge.li, ComplaintDraft("product_quality", "minor", "划痕"))
    assert svc.emergency_alerts() == []  # exactly 10 is not "more than 10"
    svc.open(lounge.staff, lounge.li, DRAFT)  # the 11th, within 20 h of the first
    alerts = svc.emergency_alerts()
    assert [(a.category, a.count) for a in alerts] == [("service_attitude", 11)]
    lounge.clock.advance(hours=5)  # the first ones drop out of the window
    assert svc.emergency_alerts() == []


def test_kpis(svc: ComplaintService, lounge: Lounge) -> None:
    start = lounge.clock.now()
    fast = svc.open(lounge.staff, lounge.wang, DRAFT)
    walk(svc, lounge, fast.complaint_id, "contacted", "resolved")  # contacted after 10 min
    lounge.clock.advance(days=1)
    walk(svc, lounge, fast.complaint_id, "followed_up", "closed")
    slow = svc.open(lounge.staff, lounge.li, DRAFT)
    lounge.clock.advance(minutes=45)
    walk(svc, lounge, slow.complaint_id, "contacted", "resolved")
    lounge.clock.advance(days=4)
    walk(svc, lounge, slow.complaint_id, "followed_up")
    svc.open(lounge.staff, lounge.li, DRAFT)  # its 30 minutes have not run out: not measured
    k = svc.kpis(start, lounge.clock.now() + timedelta(seconds=1))
    assert (k.received, k.closed, k.closure_rate) == (3, 1, 1 / 3)
    assert (k.contact_measured, k.contacted_in_time, k.contacted_in_time_rate) == (2, 1, 0.5)
    assert (k.follow_up_measured, k.followed_up_in_time) == (2, 1)

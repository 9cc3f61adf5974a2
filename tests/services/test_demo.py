"""The demo lounge looks like a real store's week: complaints that went through the
workflow with a desk's timings, a care list that is mostly worked, and the same lounge
for the same seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.conftest import DEMO_TODAY
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.models import CareContact, Complaint, ComplaintEvent, Member, PointsEntry
from vipdesk.services.auth import Actor
from vipdesk.services.carelist import CareListService
from vipdesk.services.clock import FixedClock
from vipdesk.services.complaints import TRANSITIONS, ComplaintService
from vipdesk.services.demo import build_demo
from vipdesk.services.tiers import load_tier_table

DEMO_NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: the demo's "now"
MANAGER = Actor(None, "manager", "经理")


def test_complaints_follow_the_workflow_with_real_timings(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        complaints = s.execute(select(Complaint.id, Complaint.state)).all()
        events: dict[object, list[str]] = {}
        for cid, state, _ in s.execute(select(ComplaintEvent.complaint_id,
                                              ComplaintEvent.to_state, ComplaintEvent.at)
                                       .order_by(ComplaintEvent.at)):
            events.setdefault(cid, []).append(state)
        compensated = s.scalars(select(PointsEntry.ref_id)
                                .where(PointsEntry.kind == "compensation")).all()
    assert len(complaints) > 30
    for cid, state in complaints:
        path = events[cid]
        assert path[0] == "received" and path[-1] == state
        assert all(b in TRANSITIONS[a] for a, b in pairwise(path)), path
    assert set(compensated) <= {cid for cid, _ in complaints} and compensated
    service = ComplaintService(session_factory(demo_engine), FixedClock(DEMO_NOW))
    kpis = service.kpis(DEMO_NOW - timedelta(days=60), DEMO_NOW)
    assert kpis.contacted_in_time_rate is not None
    assert 0.8 <= kpis.contacted_in_time_rate < 1.0  # most within 30 minutes, a few late
    assert kpis.closure_rate is not None and kpis.closure_rate > 0.8
    still_open = service.list_open(now=DEMO_NOW)
    assert 1 <= len(still_open) <= 8
    assert 1 <= len(service.overdue(DEMO_NOW)) <= 2
    assert "王小明" in {v.member_name for v in still_open}  # the showcase guest's complaint


def test_the_care_list_is_mostly_worked(demo_copy: Engine) -> None:
    factory = session_factory(demo_copy)
    with factory() as s:
        service = CareListService(load_tier_table(s), FixedClock(DEMO_NOW))
    with unit_of_work(factory) as s:
        care = service.build(s, MANAGER, DEMO_TODAY)
    assert care.created > 1000  # the first build still finds the week's tasks itself…
    assert 10 <= care.overdue_count <= 99  # …but only tens are left overdue
    assert care.open_count < care.created / 3
    assert any(i.status == "done" for i in care.items)  # some done this morning


def test_same_seed_same_lounge(tmp_path: Path) -> None:
    dumps = []
    for name in ("a.db", "b.db"):
        engine = open_desk_db(tmp_path / name)
        build_demo(engine, members=300, seed=11, today=DEMO_TODAY)
        with Session(engine) as s:
            dumps.append([
                s.execute(select(Member.id, Member.name_zh, Member.spend_12m_cents)
                          .order_by(Member.member_no)).all(),
                s.execute(select(ComplaintEvent.id, ComplaintEvent.to_state, ComplaintEvent.at)
                          .order_by(ComplaintEvent.id)).all(),
                s.execute(select(CareContact.id, CareContact.task_key, CareContact.at)
                          .order_by(CareContact.id)).all()])
        engine.dispose()
    assert dumps[0] == dumps[1] and dumps[0][2]


def test_a_demo_built_before_opening_is_yesterdays_lounge(tmp_path: Path) -> None:
    """Built at 03:00 in the store (a newcomer abroad, a night shift), the lounge stands
    as at 10:00 yesterday: nothing in it happens after the clock."""
    from vipdesk.models import Visit
    from vipdesk.services.clock import FixedClock
    from vipdesk.services.demo import demo_day

    night = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)  # 03:00 on the 6th in Shanghai
    assert demo_day(FixedClock(night)) == datetime(2026, 12, 5).date()
    late_morning = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)  # 11:00 on the 6th
    assert demo_day(FixedClock(late_morning)) == datetime(2026, 12, 6).date()
    engine = open_desk_db(tmp_path / "night.db")
    build_demo(engine, members=300, seed=11, today=demo_day(FixedClock(night)))
    with Session(engine) as s:
        latest = [s.scalar(select(func.max(column))) for column in (
            Visit.checked_in_at, Complaint.received_at, ComplaintEvent.at, CareContact.at,
            PointsEntry.created_at, Member.updated_at)]
    engine.dispose()
    assert all(at is not None and at.replace(tzinfo=UTC) <= night for at in latest), latest


def test_foreign_guests_are_addressed_by_their_own_gender(demo_engine: Engine) -> None:
    """Emma Laurent is Ms Laurent on the card and in the care messages, not Mr."""
    from vipdesk.services.demo_data import FOREIGN_GENDER

    with Session(demo_engine) as s:
        foreign = s.execute(select(Member.name_latin, Member.gender)
                            .where(Member.name_zh.is_(None))).all()
    assert foreign and all(gender == FOREIGN_GENDER[name] for name, gender in foreign)

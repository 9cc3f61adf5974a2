"""The member card's read model: honorifics, alerts, benefits, points, timeline order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vipdesk.models import Complaint, Member, PointsEntry, Purchase, Visit
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.profile import days_to_birthday, honorifics, load_profile
from vipdesk.services.tiers import load_tier_table, recompute_member
from vipdesk.services.timeline import timeline

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 25 Nov


@pytest.mark.parametrize(
    ("gender", "zh", "latin", "expected"),
    [("M", "王小明", "Wang Xiaoming", ("王先生", "Mr Wang")),
     ("F", "李娜", None, ("李女士", "李女士")),
     ("F", "欧阳玉", "Ou Yangyu", ("欧阳女士", "Ms Ouyang")),  # not "Ms Ou"
     ("M", "司马磊", "Si Ma Lei", ("司马先生", "Mr Sima")),
     ("F", None, "Emma Laurent", ("Emma Laurent", "Ms Laurent")),
     (None, "赵敏", None, ("赵敏", "赵敏"))],
)
def test_honorifics(gender: str | None, zh: str | None, latin: str | None,
                    expected: tuple[str, str]) -> None:
    assert honorifics(Member(member_no="M1", name_zh=zh, name_latin=latin,
                             gender=gender)) == expected


@pytest.mark.parametrize(
    ("birthday", "today", "days"),
    [(date(1980, 11, 25), date(2026, 11, 25), 0), (date(1980, 11, 27), date(2026, 11, 25), 2),
     (date(1980, 11, 24), date(2026, 11, 25), 364), (date(1980, 1, 2), date(2026, 12, 31), 2),
     (date(1984, 2, 29), date(2027, 2, 27), 1), (date(1984, 2, 29), date(2028, 2, 27), 2)],
)
def test_days_to_birthday(birthday: date, today: date, days: int) -> None:
    assert days_to_birthday(birthday, today) == days


def _member(s: Session, **kw: object) -> Member:
    data = NewMember(member_no="M7", name_zh="王小明", name_latin="Wang Xiaoming", gender="M",
                     phones=["13800138000"], cards=["880000000009"])
    for key, value in kw.items():
        setattr(data, key, value)
    return add_member(s, data)


def test_alerts_birthday_complaint_first_visit(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        m = _member(s, birthday=date(1978, 11, 27))
        s.add(Complaint(member_id=m.id, received_at=NOW - timedelta(hours=1),
                        description="等候过久", category="wait_time", severity="minor"))
        s.flush()
        profile = load_profile(s, m.id, load_tier_table(s), NOW)
    assert profile is not None
    codes = {a.code: a for a in profile.alerts}
    assert codes["birthday"].params["days"] == 2
    assert codes["open_complaint"].level == "danger"
    assert "first_visit" in codes
    assert profile.phones_masked == ["*******8000"]
    assert profile.honorific_zh == "王先生"


def test_no_birthday_alert_eight_days_ahead_and_visit_clears_first_visit(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        m = _member(s, birthday=date(1978, 12, 3))
        s.add(Visit(member_id=m.id, checked_in_at=NOW - timedelta(days=30)))
        s.flush()
        profile = load_profile(s, m.id, load_tier_table(s), NOW)
    assert profile is not None
    assert {a.code for a in profile.alerts} == set()


def test_a_member_with_purchases_but_no_logged_visit_is_no_first_timer(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        m = _member(s)
        s.add(Purchase(member_id=m.id, occurred_at=NOW - timedelta(days=40),
                       amount_cents=158_000_00))
        s.flush()
        profile = load_profile(s, m.id, load_tier_table(s), NOW)
    assert profile is not None
    assert "first_visit" not in {a.code for a in profile.alerts}


def test_tier_benefits_points_and_risk(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        m = _member(s)
        tiers = load_tier_table(s)
        s.add(Purchase(member_id=m.id, occurred_at=NOW - timedelta(days=350),
                       amount_cents=120_000_00))
        s.add(Purchase(member_id=m.id, occurred_at=NOW - timedelta(days=10),
                       amount_cents=10_000_00))
        s.add_all([PointsEntry(member_id=m.id, delta=500, kind="earn"),
                   PointsEntry(member_id=m.id, delta=-200, kind="redeem")])
        s.flush()
        recompute_member(s, m, tiers, NOW)
        profile = load_profile(s, m.id, tiers, NOW)
    assert profile is not None
    assert profile.tier_code == "diamond" and profile.tier_name_zh == "钻石会员"
    assert "priority_booking" in {b.code for b in profile.benefits}
    assert profile.points == 300
    assert any(a.code == "tier_at_risk" for a in profile.alerts)


def test_timeline_newest_first_and_paged(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        m = _member(s)
        for i in range(7):
            s.add(Visit(member_id=m.id, checked_in_at=NOW - timedelta(days=i), purpose=f"v{i}"))
            s.add(Purchase(member_id=m.id, occurred_at=NOW - timedelta(days=i, hours=1),
                           amount_cents=100 * (i + 1)))
        s.flush()
        first = timeline(s, m.id, limit=5)
        rest = timeline(s, m.id, limit=50, before=(first[-1].at, first[-1].record_id))
        visits_only = timeline(s, m.id, kinds=("visit",))
    everything = first + rest
    assert [e.at for e in everything] == sorted((e.at for e in everything), reverse=True)
    assert len(everything) == 14 and len({e.record_id for e in everything}) == 14
    assert {e.kind for e in visits_only} == {"visit"} and len(visits_only) == 7

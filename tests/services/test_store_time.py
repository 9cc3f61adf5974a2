"""A store abroad keeps its own clock: a chain's Paris lounge counts "today", "in the
lounge", birthdays, reports and every shown time in Paris time, not in Shanghai's.

The moment used: 2026-12-04 17:00 UTC is 18:00 on 4 December in Paris and already
01:00 on 5 December in Shanghai — the two stores disagree on which day it is.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db
from vipdesk.desk.desk import Desk
from vipdesk.models import Staff, Store
from vipdesk.services.auth import SYSTEM, Actor
from vipdesk.services.clock import DEFAULT_TZ, FixedClock
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.staff import add_staff
from vipdesk.services.tiers import seed_default_tiers

EVENING_IN_PARIS = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


def _lounge(tmp_path: Path, timezone: str | None) -> Engine:
    engine = open_desk_db(tmp_path / "desk.db")
    with Session(engine) as s, s.begin():
        seed_default_tiers(s)
        if timezone is not None:
            s.add(Store(code="PA01", name="巴黎老佛爷店", timezone=timezone))
        s.add(Store(code="SH01", name="上海恒隆广场店"))
        s.flush()
        add_staff(s, SYSTEM, "M100", "陈经理", "manager", "135791")
    return engine


def _manager(engine: Engine) -> Actor:
    with Session(engine) as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == "M100")).one()
        return Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


def _desk(engine: Engine, store: str, clock: FixedClock) -> Desk:
    return Desk(engine, store_code=store, clock=clock, actor=_manager(engine))


def _member(engine: Engine, birthday: date | None = None) -> object:
    with Session(engine) as s, s.begin():
        return add_member(s, NewMember(member_no="M1", name_zh="欧阳娜娜",
                                       phones=["13800138000"], birthday=birthday)).id


def test_the_desk_reads_its_stores_zone_and_today_follows_it(tmp_path: Path) -> None:
    engine = _lounge(tmp_path, "Europe/Paris")
    paris = _desk(engine, "PA01", FixedClock(EVENING_IN_PARIS))
    shanghai = _desk(engine, "SH01", FixedClock(EVENING_IN_PARIS))
    assert paris.tz == "Europe/Paris" and shanghai.tz == "Asia/Shanghai"
    assert paris.today() == date(2026, 12, 4)
    assert shanghai.today() == date(2026, 12, 5)
    engine.dispose()


def test_a_guest_checked_in_this_afternoon_is_still_in_the_paris_lounge(
        tmp_path: Path) -> None:
    engine = _lounge(tmp_path, "Europe/Paris")
    member_id = _member(engine)
    clock = FixedClock(datetime(2026, 12, 4, 15, 0, tzinfo=UTC))  # 16:00 Paris, 23:00 SH
    paris = _desk(engine, "PA01", clock)
    paris.visits.check_in(member_id, "browse", None)  # type: ignore[arg-type]
    clock.at = EVENING_IN_PARIS  # 18:00 in Paris: the same day there
    since = paris.visits.in_lounge_since(member_id)  # type: ignore[arg-type]
    assert since is not None
    # A desk counting days in Shanghai's time would call that visit yesterday's.
    shanghai_clock = _desk(engine, "SH01", clock)
    assert shanghai_clock.visits.in_lounge_since(member_id) is None  # type: ignore[arg-type]
    engine.dispose()


def test_the_birthday_alert_counts_days_in_store_time(tmp_path: Path) -> None:
    engine = _lounge(tmp_path, "Europe/Paris")
    member_id = _member(engine, birthday=date(1990, 12, 12))
    paris = _desk(engine, "PA01", FixedClock(EVENING_IN_PARIS))
    shanghai = _desk(engine, "SH01", FixedClock(EVENING_IN_PARIS))

    def birthday_days(desk: Desk) -> int | None:
        profile = desk.members.profile(member_id)  # type: ignore[arg-type]
        assert profile is not None
        alert = next((a for a in profile.alerts if a.code == "birthday"), None)
        return int(str(alert.params["days"])) if alert else None

    # The card warns a week ahead: 4 December in Paris is 8 days before, outside it…
    assert birthday_days(paris) is None
    assert birthday_days(shanghai) == 7  # …while in Shanghai it is already 5 December
    engine.dispose()


def test_todays_lounge_report_is_the_stores_day(tmp_path: Path) -> None:
    engine = _lounge(tmp_path, "Europe/Paris")
    member_id = _member(engine)
    clock = FixedClock(datetime(2026, 12, 4, 15, 30, tzinfo=UTC))  # 16:30 Paris, 23:30 SH
    paris = _desk(engine, "PA01", clock)
    paris.visits.check_in(member_id, "browse", None)  # type: ignore[arg-type]
    clock.at = datetime(2026, 12, 4, 22, 30, tzinfo=UTC)  # 23:30 Paris, 06:30 next day SH

    def visits_counted(desk: Desk) -> tuple[str, int]:
        report = desk.reports.build("lounge", 1)
        return report.period, {str(k.en): v for k, v in report.tables[0].rows}["visits"]

    assert visits_counted(paris) == ("2026-12-04", 1)
    # Shanghai's "today" is already 5 December: the Paris evening visit is not in it.
    assert visits_counted(_desk(engine, "SH01", clock)) == ("2026-12-05", 0)
    engine.dispose()


@pytest.mark.parametrize("stored", [None, "Mars/Olympus_Mons", "../../etc/passwd", ""])
def test_an_unknown_or_missing_zone_falls_back_to_the_chains_home_zone(
        tmp_path: Path, stored: str | None, caplog: pytest.LogCaptureFixture) -> None:
    engine = _lounge(tmp_path, stored)
    with caplog.at_level(logging.WARNING):
        desk = _desk(engine, "PA01", FixedClock(EVENING_IN_PARIS))
    assert desk.tz == DEFAULT_TZ
    assert desk.today() == date(2026, 12, 5)
    if stored:  # a zone this machine does not know is said in the log, not guessed at
        assert "unknown time zone" in caplog.text
    engine.dispose()

"""The date rules where a fact can enter the desk after its task fell due: a birthday
or a care-plan member written inside the days ahead of the birthday or festival.

Each is checked on both paths: the desk's (SQLite: `sql_rules` and the watches) and the
reference Python rules (what the centre, PostgreSQL, runs: `store(candidates)`). Then
random lounges changed between builds hold the two paths equal build after build.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.services.test_carelist import Desk, _stored_tasks, noon
from vipdesk.db import unit_of_work
from vipdesk.models import CareTask, Member, TierChange
from vipdesk.models.lounge import birthday_md
from vipdesk.services.carelist import CareListService
from vipdesk.services.festivals import festival_date

D = date(2026, 11, 25)
MID_AUTUMN = festival_date("mid_autumn", 2026)
assert MID_AUTUMN is not None
# The rules whose due dates come from dates (the window's rules).
DATE_KINDS = ("birthday", "festival", "anniversary", "callback_3d", "callback_3m",
              "callback_6m", "welcome_call", "tier_upgrade")


class ReferencePath(CareListService):
    """The centre's path on a desk database: every rule in Python, stored by `store`."""

    def discover(self, session: Session, day: date, first: date | None = None) -> int:
        return self.store(session, day, self.candidates(session, day, first))


@pytest.fixture(params=["desk", "reference"])
def desk(request: pytest.FixtureRequest, factory: sessionmaker[Session]) -> Desk:
    desk = Desk(factory)
    if request.param == "reference":
        desk.svc = ReferencePath(desk.svc.tiers, desk.clock)
    return desk


def tasks(desk: Desk, member_id: uuid.UUID, kind: str) -> list[CareTask]:
    with desk.factory() as s:
        return list(s.scalars(select(CareTask).where(CareTask.member_id == member_id,
                                                     CareTask.kind == kind)))


def correct_birthday(desk: Desk, member_id: uuid.UUID, birthday: date) -> None:
    """As sync applies another desk's correction: the row's columns, not the ORM."""
    with unit_of_work(desk.factory) as s:
        s.connection().execute(update(Member).where(Member.id == member_id).values(
            birthday=birthday, birthday_md=birthday_md(birthday)))


# -- birthdays --------------------------------------------------------------------------

@pytest.mark.parametrize("days_to_go", [0, 1, 2])
def test_a_birthday_registered_inside_the_lead_days_is_greeted(desk: Desk,
                                                                days_to_go: int) -> None:
    desk.build(D)  # the morning's build
    late = desk.member(D + timedelta(days=days_to_go))  # registered at noon
    item = next(i for i in desk.build(D).items if i.member_id == late)  # same-day rebuild
    assert item.kind == "birthday" and item.status in {"overdue", "due"}
    assert item.task_key == f"birthday:{late}:2026"
    assert item.due_on == D + timedelta(days=days_to_go - 3)
    desk.build(D + timedelta(days=1))
    assert len(tasks(desk, late, "birthday")) == 1  # keyed as usual: never twice


def test_a_corrected_or_pulled_birthday_is_greeted_the_next_day(desk: Desk) -> None:
    m = desk.member(date(1980, 6, 1))
    desk.build(D)
    correct_birthday(desk, m, date(1980, 11, 27))  # two days ahead of D
    desk.build(D + timedelta(days=1))  # a day later: its due day (24 Nov) long passed
    [task] = tasks(desk, m, "birthday")
    assert task.due_on == date(2026, 11, 24) and task.generated_on == D + timedelta(days=1)


def test_a_birthday_already_past_is_not_greeted_late(desk: Desk) -> None:
    desk.build(D)
    gone = desk.member(D - timedelta(days=1))
    desk.build(D)
    assert tasks(desk, gone, "birthday") == []


# -- festivals --------------------------------------------------------------------------

def test_a_member_raised_into_the_plan_days_before_a_festival_is_greeted(desk: Desk) -> None:
    greeting_day = MID_AUTUMN - timedelta(days=3)
    raised = desk.member()
    joined = desk.member(tier=None)
    desk.build(greeting_day)
    desk.build(greeting_day + timedelta(days=1))  # the next morning: the greeting is past
    with unit_of_work(desk.factory) as s:
        s.get_one(Member, raised).tier_code = "senior"
        s.add(TierChange(member_id=raised, from_tier=None, to_tier="senior", kind="auto",
                         reason="spend", created_at=noon(greeting_day)))
    late = desk.member(tier="diamond")  # registered at noon
    desk.build(greeting_day + timedelta(days=2))
    for member_id in (raised, late):
        [task] = tasks(desk, member_id, "festival")
        assert task.task_key == f"festival:{member_id}:mid_autumn:2026"
        assert task.due_on == greeting_day
    assert tasks(desk, joined, "festival") == []
    desk.build(MID_AUTUMN + timedelta(days=1))  # the festival over: no belated greeting
    assert tasks(desk, desk.member(tier="black"), "festival") == []


def test_an_override_into_the_plan_before_a_festival_is_greeted(desk: Desk) -> None:
    greeting_day = MID_AUTUMN - timedelta(days=3)
    m = desk.member()
    desk.build(greeting_day)
    desk.build(greeting_day + timedelta(days=1))
    with unit_of_work(desk.factory) as s:
        s.get_one(Member, m).tier_override_code = "black"
    desk.build(greeting_day + timedelta(days=1))  # a same-day rebuild
    assert [t.due_on for t in tasks(desk, m, "festival")] == [greeting_day]


# -- anniversaries are due on the day: whatever enters before it is found ----------------

def test_an_anniversary_entering_on_its_day_is_found(desk: Desk) -> None:
    desk.build(D)
    m = desk.member()
    desk.purchase(m, noon(date(2025, 11, 25)))  # pulled after the morning's build
    desk.build(D)
    assert [t.due_on for t in tasks(desk, m, "anniversary")] == [D]


# -- the two paths, build after build -----------------------------------------------------

class Lounge:
    """A random lounge around a festival, changed between builds."""

    def __init__(self, desk: Desk, rnd: random.Random, start: date) -> None:
        self.desk, self.rnd = desk, rnd
        self.members = [self.register(start) for _ in range(16)]

    def register(self, today: date) -> uuid.UUID:
        rnd = self.rnd
        birthday = rnd.choice([None, date(1980, 2, 29), _near(rnd, today)])
        m = self.desk.member(birthday, tier=rnd.choice([None, "senior", "diamond", "black"]))
        for _ in range(rnd.randint(0, 3)):
            bought = today - timedelta(days=rnd.choice([3, 4, 90, 91, 92, 182, 183, 365,
                                                        366, rnd.randint(0, 400)]))
            self.desk.purchase(m, noon(bought))
        return m

    def change(self, today: date) -> None:
        rnd, m = self.rnd, self.rnd.choice(self.members)
        what = rnd.choice(["register", "birthday", "raise", "override", "buy"])
        if what == "register":
            self.members.append(self.register(today))
        elif what == "birthday":
            correct_birthday(self.desk, m, _near(rnd, today))
        elif what == "buy":
            self.desk.purchase(m, noon(today - timedelta(days=rnd.randint(0, 370))))
        else:
            with unit_of_work(self.desk.factory) as s:
                member = s.get_one(Member, m)
                new = rnd.choice([None, "senior", "black"])
                if what == "override":
                    member.tier_override_code = new
                elif new != member.tier_code:
                    s.add(TierChange(member_id=m, from_tier=member.tier_code, to_tier=new,
                                     kind="auto", reason="spend", created_at=noon(today)))
                    member.tier_code = new


def _near(rnd: random.Random, today: date) -> date:
    near = today + timedelta(days=rnd.randint(-3, 6))
    return date(1975, near.month, min(near.day, 28))


def _by_both_paths(desk: Desk, day: date) -> tuple[set[tuple[object, ...]], ...]:
    """The new date-rule tasks a build of `day` would store, by the desk's path and by
    the reference, each from the same stored state (rolled back)."""
    reference = ReferencePath(desk.svc.tiers, desk.clock)
    found = []
    with desk.factory() as s:
        first = desk.svc.catch_up_start(s, day)
        for path in (desk.svc, reference):
            before = _stored_tasks(s)
            path.discover(s, day, first)
            found.append({row for row in _stored_tasks(s) - before if row[2] in DATE_KINDS})
            s.rollback()
    return found[0], found[1]


@pytest.mark.parametrize("seed", range(4))
def test_the_desk_path_stores_what_the_reference_stores(factory: sessionmaker[Session],
                                                        seed: int) -> None:
    desk = Desk(factory)
    rnd = random.Random(seed)
    day = MID_AUTUMN - timedelta(days=8)
    lounge = Lounge(desk, rnd, day)
    kinds: set[object] = set()
    for _ in range(14):
        for _ in range(rnd.randint(0, 4)):
            lounge.change(day)
        by_sql, by_python = _by_both_paths(desk, day)
        assert by_sql == by_python, f"{day}: sql only {by_sql - by_python}, " \
                                    f"python only {by_python - by_sql}"
        kinds |= {row[2] for row in by_sql}
        desk.build(day)
        day += timedelta(days=rnd.choice([0, 1, 1, 1, 2]))
    assert {"birthday", "festival"} <= kinds  # the seeds reach the rules fixed here

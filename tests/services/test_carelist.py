"""The daily care list: each rule on its boundary days, carry-over, closing, keys."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import CareContact, Complaint, ComplaintEvent, Member, Purchase, Visit
from vipdesk.services.auth import Actor, PermissionDenied
from vipdesk.services.carelist import CareList, CareListService, add_months, seed_templates
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.tiers import load_tier_table

SH = ZoneInfo("Asia/Shanghai")
D = date(2026, 11, 25)
MANAGER = Actor(None, "manager", "经理")
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), SH).astimezone(UTC)


class Desk:
    """A care-list test bench: members, history and builds on chosen days."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.clock = FixedClock(noon(D))
        with factory() as s:
            self.svc = CareListService(load_tier_table(s), self.clock)
        with unit_of_work(factory) as s:
            seed_templates(s)
        self.n = 0

    def member(self, birthday: date | None = None, joined: datetime = LONG_AGO,
               gender: str = "F", language: str = "zh", advisor: uuid.UUID | None = None,
               tier: str | None = None) -> uuid.UUID:
        self.n += 1
        with unit_of_work(self.factory) as s:
            m = add_member(s, NewMember(member_no=f"C{self.n:05d}", name_zh="李娜",
                                        name_latin="Li Na", gender=gender, birthday=birthday,
                                        language=language, advisor_id=advisor,
                                        tier_code=tier))
            m.created_at = joined
            return m.id

    def purchase(self, member_id: uuid.UUID, at: datetime, yuan: int = 1000,
                 delivered: datetime | None = None) -> None:
        with unit_of_work(self.factory) as s:
            s.add(Purchase(member_id=member_id, occurred_at=at, amount_cents=yuan * 100,
                           description="腕表", delivered_at=delivered))

    def visit(self, member_id: uuid.UUID, day: date) -> None:
        with unit_of_work(self.factory) as s:
            s.add(Visit(member_id=member_id, checked_in_at=noon(day)))

    def build(self, day: date = D, actor: Actor = MANAGER) -> CareList:
        self.clock.at = max(self.clock.at, noon(day)) if day >= D else noon(day)
        with unit_of_work(self.factory) as s:
            return self.svc.build(s, actor, day)

    def kinds(self, day: date, member_id: uuid.UUID) -> dict[str, str]:
        return {i.kind: i.status for i in self.build(day).items if i.member_id == member_id}

    def contact(self, task_key: str, member_id: uuid.UUID, at: datetime) -> None:
        with unit_of_work(self.factory) as s:
            s.add(CareContact(member_id=member_id, kind="callback", channel="phone", at=at,
                              task_key=task_key))


@pytest.fixture
def desk(factory: sessionmaker[Session]) -> Desk:
    return Desk(factory)


# -- birthdays ---------------------------------------------------------------------------

def test_birthday_three_days_ahead_not_four(desk: Desk) -> None:
    on_28th = desk.member(date(1980, 11, 28))
    on_29th = desk.member(date(1980, 11, 29))
    items = desk.build(D).items
    assert [(i.member_id, i.status) for i in items if i.kind == "birthday"] == [(on_28th, "due")]
    assert desk.kinds(D + timedelta(days=1), on_29th) == {"birthday": "due"}


def test_a_closed_desk_catches_up_six_days_not_seven(desk: Desk) -> None:
    six = desk.member(date(1980, 11, 22))  # greeting was due 19 Nov (6 days ago)
    seven = desk.member(date(1980, 11, 21))  # due 18 Nov: beyond the catch-up window
    items = {i.member_id: i for i in desk.build(D).items if i.kind == "birthday"}
    assert set(items) == {six} and seven not in items
    assert items[six].status == "overdue" and items[six].days_overdue == 6


def test_29_february_birthday_is_kept_on_the_28th_in_common_years(desk: Desk) -> None:
    leapling = desk.member(date(1988, 2, 29))
    assert desk.kinds(date(2027, 2, 25), leapling) == {"birthday": "due"}
    item = next(i for i in desk.build(date(2027, 2, 25)).items if i.member_id == leapling)
    assert item.context["birthday"] == "2027-02-28"
    assert desk.kinds(date(2028, 2, 25), leapling) == {}
    assert desk.kinds(date(2028, 2, 26), leapling) == {"birthday": "due"}


def test_birthday_on_a_festival_gets_the_holiday_wording(desk: Desk) -> None:
    zh = desk.member(date(1970, 9, 25))
    en = desk.member(date(1971, 9, 25), gender="M", language="en")
    items = {i.member_id: i for i in desk.build(date(2026, 9, 22)).items}  # 中秋 2026-09-25
    assert "中秋节" in items[zh].message and items[zh].message.startswith("李女士")
    assert "Mid-Autumn Festival" in items[en].message and "Dear Mr Li," in items[en].message
    plain = {i.member_id: i for i in desk.build(date(2027, 9, 22)).items}  # 中秋 2027-09-15
    assert "中秋" not in plain[zh].message and "生日快乐" in plain[zh].message


# -- purchases -----------------------------------------------------------------------------

def test_first_purchase_anniversary_only_for_the_first(desk: Desk) -> None:
    first = desk.member()
    desk.purchase(first, noon(date(2025, 11, 25)))
    desk.purchase(first, noon(date(2026, 3, 1)))
    repeat = desk.member()
    desk.purchase(repeat, noon(date(2024, 5, 1)))
    desk.purchase(repeat, noon(date(2025, 11, 25)))
    tomorrow = desk.member()
    desk.purchase(tomorrow, noon(date(2025, 11, 26)))
    assert desk.kinds(D, first).get("anniversary") == "due"
    assert "anniversary" not in desk.kinds(D, repeat)
    assert "anniversary" not in desk.kinds(D, tomorrow)


@pytest.mark.parametrize(("bought", "kind"), [
    (date(2026, 11, 22), "callback_3d"), (date(2026, 8, 25), "callback_3m"),
    (date(2026, 5, 25), "callback_6m")])
def test_callbacks_on_their_day(desk: Desk, bought: date, kind: str) -> None:
    m = desk.member()
    desk.purchase(m, noon(bought))
    assert desk.kinds(D - timedelta(days=1), m) == {}
    assert desk.kinds(D, m) == {kind: "due"}


def test_callback_counts_from_delivery(desk: Desk) -> None:
    m = desk.member()
    desk.purchase(m, noon(date(2026, 11, 1)), delivered=noon(date(2026, 11, 22)))
    assert desk.kinds(D, m) == {"callback_3d": "due"}


def test_three_months_after_30_november_is_28_february(desk: Desk) -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    m = desk.member()
    desk.purchase(m, noon(date(2026, 11, 30)))
    assert desk.kinds(date(2027, 2, 27), m) == {}
    assert desk.kinds(date(2027, 2, 28), m) == {"callback_3m": "due"}


# -- new members ----------------------------------------------------------------------------

def test_new_member_first_call_due_within_three_days(desk: Desk) -> None:
    today = desk.member(joined=noon(D), tier="senior")
    three = desk.member(joined=noon(D - timedelta(days=3)), tier="senior")
    four = desk.member(joined=noon(D - timedelta(days=4)), tier="senior")
    ten = desk.member(joined=noon(D - timedelta(days=10)), tier="senior")
    assert desk.kinds(D, today) == {"welcome_call": "upcoming"}
    assert desk.kinds(D, three) == {"welcome_call": "due"}
    assert desk.kinds(D, four) == {"welcome_call": "overdue"}
    assert desk.kinds(D, ten) == {}


# -- complaints -----------------------------------------------------------------------------

def complaint(desk: Desk, member_id: uuid.UUID, received: datetime) -> uuid.UUID:
    with unit_of_work(desk.factory) as s:
        c = Complaint(member_id=member_id, received_at=received, description="等候太久",
                      category="service", severity="minor", state="received")
        s.add(c)
        s.flush()
        s.add(ComplaintEvent(complaint_id=c.id, to_state="received", at=received))
        return c.id


def move(desk: Desk, complaint_id: uuid.UUID, state: str, at: datetime) -> None:
    with unit_of_work(desk.factory) as s:
        s.get_one(Complaint, complaint_id).state = state
        s.add(ComplaintEvent(complaint_id=complaint_id, to_state=state, at=at))


def test_complaint_contact_is_overdue_after_30_minutes_and_closes_when_contacted(
        desk: Desk) -> None:
    m = desk.member()
    received = noon(D)
    cid = complaint(desk, m, received)
    desk.clock.at = received + timedelta(minutes=29)
    assert desk.kinds(D, m) == {"complaint_contact": "due"}
    desk.clock.at = received + timedelta(minutes=31)
    assert desk.kinds(D, m) == {"complaint_contact": "overdue"}
    move(desk, cid, "contacted", received + timedelta(minutes=40))
    assert desk.kinds(D, m) == {"complaint_contact": "done"}
    assert desk.kinds(D + timedelta(days=1), m) == {}


@pytest.mark.parametrize(("staff", "member", "says"), [
    ("zh", "zh", "请在30分钟内联系李女士"), ("zh", "en", "请在30分钟内联系李女士"),
    ("en", "zh", "Call Ms Li within 30 minutes"), ("en", "en", "Call Ms Li within 30 minutes")])
def test_an_instruction_to_staff_reads_in_the_desks_language(
        desk: Desk, staff: str, member: str, says: str) -> None:
    """"Call … within 30 minutes" is for the lounge's staff: a sentence in the desk's
    language, the guest named in it as that language addresses them; a greeting stays
    in the guest's own."""
    m = desk.member(language=member, birthday=date(1980, 11, 28))
    complaint(desk, m, noon(D) - timedelta(minutes=10))
    with unit_of_work(desk.factory) as s:
        items = {i.kind: i.message for i in desk.svc.build(s, MANAGER, D, staff_language=staff)
                 .items if i.member_id == m}
    assert items["complaint_contact"].startswith(says)
    greeting = items["birthday"]
    assert greeting.startswith("李女士您好" if member == "zh" else "Dear Ms Li,")


def test_complaint_follow_up_three_days_after_resolution(desk: Desk) -> None:
    m = desk.member()
    cid = complaint(desk, m, noon(D) - timedelta(hours=5))
    move(desk, cid, "contacted", noon(D) - timedelta(hours=4))
    move(desk, cid, "resolved", noon(D))
    assert desk.kinds(D, m) == {"complaint_followup": "upcoming"}
    assert desk.kinds(D + timedelta(days=3), m) == {"complaint_followup": "due"}
    assert desk.kinds(D + timedelta(days=4), m) == {"complaint_followup": "overdue"}
    move(desk, cid, "followed_up", noon(D + timedelta(days=4)))
    assert desk.kinds(D + timedelta(days=4), m) == {"complaint_followup": "done"}


# -- churn ------------------------------------------------------------------------------------

def visits(desk: Desk, member_id: uuid.UUID, *days_ago: int) -> None:
    for n in days_ago:
        desk.visit(member_id, D - timedelta(days=n))


def test_silence_beyond_twice_the_usual_cadence(desk: Desk) -> None:
    on_edge = desk.member()
    visits(desk, on_edge, 200, 150, 100)  # every 50 days, silent 100 = 2 × cadence
    beyond = desk.member()
    visits(desk, beyond, 201, 151, 101)  # silent 101
    recent = desk.member()
    visits(desk, recent, 100, 70, 40)  # every 30 days, silent 40 < 60 minimum
    assert "churn_silence" not in desk.kinds(D, on_edge)
    assert desk.kinds(D, beyond) == {"churn_silence": "due"}
    assert "churn_silence" not in desk.kinds(D, recent)


def test_spend_falling_below_half_of_the_previous_year(desk: Desk) -> None:
    falling, half = desk.member(), desk.member()
    for m, recent in ((falling, 49_999), (half, 50_000)):
        desk.purchase(m, noon(D - timedelta(days=500)), yuan=100_000)
        desk.purchase(m, noon(D - timedelta(days=100)), yuan=recent)
    assert "churn_spend" in desk.kinds(D, falling)
    assert "churn_spend" not in desk.kinds(D, half)


def test_tier_at_risk_when_qualifying_spend_expires_within_30_days(desk: Desk) -> None:
    risky, safe, overridden = desk.member(), desk.member(), desk.member()
    desk.purchase(risky, noon(D - timedelta(days=340)), yuan=60_000)
    desk.purchase(safe, noon(D - timedelta(days=330)), yuan=60_000)
    desk.purchase(overridden, noon(D - timedelta(days=340)), yuan=60_000)
    with unit_of_work(desk.factory) as s:
        s.get_one(Member, overridden).tier_override_code = "senior"
    assert desk.kinds(D, risky) == {"tier_risk": "due"}
    assert desk.kinds(D, safe) == {}
    assert desk.kinds(D, overridden) == {}
    item = next(i for i in desk.build(D).items if i.member_id == risky)
    assert "高级会员" in item.message


# -- carry-over, closing, keys, permissions --------------------------------------------------

def test_undone_task_carries_over_until_a_contact_closes_it(desk: Desk) -> None:
    m = desk.member(date(1980, 11, 28))
    first = desk.build(D)
    assert first.created >= 1
    (task,) = [i for i in first.items if i.member_id == m]
    assert task.task_key == f"birthday:{m}:2026"
    later = desk.build(D + timedelta(days=5))
    (carried,) = [i for i in later.items if i.member_id == m]
    assert carried.status == "overdue" and carried.days_overdue == 5
    desk.contact(task.task_key, m, noon(D + timedelta(days=6)))
    assert desk.kinds(D + timedelta(days=6), m) == {"birthday": "done"}
    assert desk.kinds(D + timedelta(days=7), m) == {}


def test_an_undone_task_lapses_after_the_carry_over_limit(desk: Desk) -> None:
    m = desk.member(date(1980, 11, 28))
    desk.build(D)
    assert desk.kinds(D + timedelta(days=30), m) == {"birthday": "overdue"}
    assert desk.kinds(D + timedelta(days=31), m) == {}


def test_rebuilding_creates_nothing_new(desk: Desk) -> None:
    desk.member(date(1980, 11, 28))
    assert desk.build(D).created == 1
    assert desk.build(D).created == 0


def test_an_unchanged_same_day_rebuild_skips_the_rules(desk: Desk,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    m = desk.member(date(1980, 11, 28))
    desk.build(D)

    def must_not_run(*args: object) -> list[object]:
        raise AssertionError("the rules ran though no input changed")

    monkeypatch.setattr(desk.svc, "candidates", must_not_run)
    care = desk.build(D)
    assert care.created == 0 and [i.member_id for i in care.items] == [m]
    with pytest.raises(AssertionError):  # another day's build runs them
        desk.build(D + timedelta(days=1))


def test_a_same_day_rebuild_sees_an_edit_made_since(desk: Desk) -> None:
    m = desk.member()
    desk.purchase(m, noon(D - timedelta(days=10)))
    desk.build(D)
    with unit_of_work(desk.factory) as s:  # delivered 3 days ago: the call is due today
        bought = s.query(Purchase).one()
        bought.delivered_at = noon(D - timedelta(days=3))
    care = desk.build(D)
    assert care.created == 1 and desk.kinds(D, m) == {"callback_3d": "due"}


def test_advisor_sees_own_members_and_staff_none(desk: Desk) -> None:
    from vipdesk.models import Staff

    with unit_of_work(desk.factory) as s:
        adv = Staff(staff_no="A1", name="顾问", role="advisor")
        s.add(adv)
        s.flush()
        adv_id = adv.id
    mine = desk.member(date(1980, 11, 28), advisor=adv_id)
    desk.member(date(1981, 11, 28))
    items = desk.build(D, Actor(adv_id, "advisor", "顾问")).items
    assert [i.member_id for i in items] == [mine]
    with pytest.raises(PermissionDenied):
        desk.build(D, Actor(None, "staff", "前台"))


# -- spend rules: the narrowed query equals the full aggregate ------------------------------

def _full_aggregate(desk: Desk, s: Session, day: date) -> list[tuple[uuid.UUID, int, int, int]]:
    """The pre-narrowing rule: sums for everyone who bought in two years."""
    from sqlalchemy import case, func, select

    from vipdesk.services.carelist import utc_range

    _, now = utc_range(day, day, SH)
    year_ago = now - timedelta(days=365)
    horizon = year_ago + timedelta(days=desk.svc.rules.tier_risk_horizon_days)
    amount = Purchase.amount_cents
    rows = s.execute(
        select(Purchase.member_id,
               func.sum(case((Purchase.occurred_at >= year_ago, amount), else_=0)),
               func.sum(case((Purchase.occurred_at < year_ago, amount), else_=0)),
               func.sum(case((Purchase.occurred_at >= horizon, amount), else_=0)))
        .where(Purchase.occurred_at >= now - timedelta(days=730), Purchase.occurred_at < now)
        .group_by(Purchase.member_id))
    return list(rows)


@pytest.mark.parametrize("seed", range(3))
def test_narrowed_spend_rules_match_the_full_aggregate(desk: Desk, seed: int) -> None:
    import random

    rnd = random.Random(seed)
    for _ in range(25):
        m = desk.member()
        for _ in range(rnd.randint(0, 5)):
            ago = rnd.choice([rnd.randint(0, 800), 365, 366, 335, 334, 730, 729, 731])
            desk.purchase(m, noon(D - timedelta(days=ago)), yuan=rnd.choice(
                [5_000, 20_000, 60_000, 150_000, 400_000, 1_000_000]))
    with desk.factory() as s:
        found = {(c.task_key, c.kind) for c in desk.svc.churn_spend(s, D)}
        expected = {(c.task_key, c.kind)
                    for c in desk.svc._spend_candidates(s, D, _full_aggregate(desk, s, D))}
    assert found == expected
    assert found  # the seeds do produce drops and lapses, so the comparison means something


def test_listed_messages_equal_the_orm_render(desk: Desk) -> None:
    """The listing builds items from selected columns; each message must read exactly as
    `render` writes it from the full member row (zh/en, festival, unknown gender)."""
    from sqlalchemy import select

    from vipdesk.models import CareTemplate
    from vipdesk.services.care_messages import TierWords
    from vipdesk.services.carelist import render

    desk.member(date(1980, 11, 28), language="en", gender="M")
    unknown = desk.member(date(1990, 11, 28))
    desk.member(date(1975, 11, 27), joined=noon(D), tier="diamond")
    with unit_of_work(desk.factory) as s:
        s.get_one(Member, unknown).gender = None
    items = desk.build(D).items
    assert len(items) >= 4
    with desk.factory() as s:
        templates = {(t.kind, t.language): t.text for t in s.scalars(select(CareTemplate))}
        for item in items:
            member = s.get_one(Member, item.member_id)
            assert item.message == render(templates, item.kind, member, item.context, D,
                                          TierWords.of(desk.svc.tiers))
            assert item.name == member.display_name and item.member_no == member.member_no


def test_store_scope_and_limit_narrow_only_the_list(desk: Desk) -> None:
    from vipdesk.models import Staff, Store

    with unit_of_work(desk.factory) as s:
        here, there = Store(code="SH01", name="上海"), Store(code="BJ01", name="北京")
        s.add_all([here, there])
        s.flush()
        here_id, there_id = here.id, there.id
        advisor = Staff(staff_no="A1", name="顾问", role="advisor", store_id=here_id)
        s.add(advisor)
        s.flush()
        advisor_id = advisor.id
    ours = [desk.member(date(1980, 11, 28)) for _ in range(2)]
    # a member of the other store whose advisor works here is this lounge's client too
    ours.append(desk.member(date(1980, 11, 28), advisor=advisor_id))
    theirs = desk.member(date(1980, 11, 28))
    with unit_of_work(desk.factory) as s:
        homes = [(ours[0], here_id), (ours[1], here_id), (ours[2], there_id),
                 (theirs, there_id)]
        for member_id, store_id in homes:
            s.get_one(Member, member_id).home_store_id = store_id
    everything = desk.build(D).items
    with unit_of_work(desk.factory) as s:
        scoped = desk.svc.build(s, MANAGER, D, store_id=here_id)
        first_two = desk.svc.build(s, MANAGER, D, limit=2)
    assert {i.member_id for i in scoped.items} == set(ours)
    assert scoped.created == 0  # discovery is never scoped: the other store's task exists
    assert first_two.items == everything[:2]


def test_a_limited_list_is_the_full_lists_head_with_its_counts(desk: Desk) -> None:
    """The database's sort (status as a CASE) and counts agree with the full list's."""
    desk.member(date(1980, 11, 28))  # due today
    desk.member(date(1980, 11, 22))  # overdue (catch-up)
    done = desk.member(date(1981, 11, 28))
    desk.member(joined=noon(D), tier="senior")  # welcome call: upcoming
    desk.purchase(desk.member(), noon(D - timedelta(days=3)))  # callback due today
    desk.contact(f"birthday:{done}:2026", done, noon(D))
    full = desk.build(D)
    statuses = {i.status for i in full.items}
    assert statuses == {"overdue", "due", "upcoming", "done"}
    for limit in range(len(full.items) + 2):
        with unit_of_work(desk.factory) as s:
            page = desk.svc.build(s, MANAGER, D, limit=limit)
        assert page.items == full.items[:limit]
        assert page.counts == {st: sum(1 for i in full.items if i.status == st)
                               for st in statuses}
        assert page.kinds == full.kinds == {"birthday", "welcome_call", "callback_3d"}
        assert (page.open_count, page.overdue_count) == (full.open_count, full.overdue_count)


def _stored_tasks(s: Session) -> set[tuple[object, ...]]:
    import json

    from sqlalchemy import select

    from vipdesk.models import CareTask
    return {(t.task_key, t.member_id, t.kind, t.generated_on, t.due_on, t.due_at,
             json.dumps(json.loads(t.context or "{}"), sort_keys=True))
            for t in s.scalars(select(CareTask))}


@pytest.mark.parametrize(("seed", "zone", "day"), [
    (0, "Asia/Shanghai", D), (1, "Asia/Shanghai", date(2026, 2, 28)),
    (2, "Europe/Berlin", date(2026, 10, 30)), (4, "America/New_York", date(2026, 3, 12))])
def test_set_based_rules_store_what_the_python_rules_store(
        desk: Desk, seed: int, zone: str, day: date) -> None:
    """On SQLite birthdays, callbacks and spend rules are INSERT … SELECT statements; they must
    store exactly the rows (keys, due dates, contexts) the Python rules would, month
    ends, deliveries, refunds and DST changes included."""
    import random

    from vipdesk.services.carelist import CareListService

    rnd = random.Random(seed)
    tz = ZoneInfo(zone)
    for _ in range(30):
        near = day + timedelta(days=rnd.randint(-4, 4))  # born around the window
        birthday = rnd.choice([None, date(1980, 2, 29), date(1980, near.month, near.day)])
        m = desk.member(birthday)
        for _ in range(rnd.randint(0, 6)):
            near = timedelta(days=rnd.randint(-3, 9))  # around the catch-up window
            bought = rnd.choice([day - timedelta(days=3) - near, add_months(day, -3) - near,
                                 add_months(day, -6) - near,
                                 day - timedelta(days=rnd.randint(330, 370)),
                                 day - timedelta(days=rnd.randint(0, 800))])
            at = datetime.combine(bought,
                                  time(rnd.choice([0, 1, 12, 23]), 30), tz).astimezone(UTC)
            delivered = at + timedelta(days=rnd.randint(0, 5)) if rnd.random() < 0.3 else None
            desk.purchase(m, at, yuan=rnd.choice([-5_000, 20_000, 150_000, 1_000_000]),
                          delivered=delivered)
    svc = CareListService(desk.svc.tiers, desk.clock, tz=zone)
    with desk.factory() as s:
        assert svc.discover(s, day) > 0
        by_sql = _stored_tasks(s)
        s.rollback()
        created = svc.store(s, day, svc.candidates(s, day))
        by_python = _stored_tasks(s)
        s.rollback()
    assert by_sql == by_python and created == len(by_python)
    kinds = {row[2] for row in by_sql}  # the seeds reach the rules compared
    assert {"birthday", "callback_3d", "callback_3m", "callback_6m", "tier_risk",
            "churn_spend"} <= kinds

"""The care list against the care plan (seeds 000, 001, 003, 004; SPEC §7): festival
greetings, who is a new VIP, gift wording by tier, home-visit follow-ups, reopened
complaints, the anniversary letter, opt-out and contact frequency, upgrades, address."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.services.test_carelist import MANAGER, D, Desk, complaint, move, noon
from vipdesk.db import unit_of_work
from vipdesk.models import CareContact, FollowUpTask, Member, Preference, TierChange
from vipdesk.services.carelist import CareItem, CareRules

MID_AUTUMN = date(2026, 9, 25)


@pytest.fixture
def desk(factory: sessionmaker[Session]) -> Desk:
    return Desk(factory)


def items_of(desk: Desk, day: date, member_id: uuid.UUID) -> dict[str, CareItem]:
    return {i.kind: i for i in desk.build(day).items if i.member_id == member_id}


def change_tier(desk: Desk, member_id: uuid.UUID, old: str | None, new: str,
                reason: str = "spend") -> None:
    with unit_of_work(desk.factory) as s:
        s.get_one(Member, member_id).tier_code = new
        s.add(TierChange(member_id=member_id, from_tier=old, to_tier=new, kind="auto",
                         reason=reason, created_at=noon(D)))


def contacts(desk: Desk, member_id: uuid.UUID, n: int, kind: str = "callback") -> None:
    with unit_of_work(desk.factory) as s:
        for i in range(n):
            s.add(CareContact(member_id=member_id, kind=kind, channel="phone",
                              at=noon(D) - timedelta(hours=i + 1)))


# -- festivals ------------------------------------------------------------------------------

def test_festival_greeting_three_days_ahead_for_care_plan_tiers_only(desk: Desk) -> None:
    vip = desk.member(tier="senior")
    plain = desk.member()
    ahead = MID_AUTUMN - timedelta(days=3)
    assert desk.kinds(ahead - timedelta(days=1), vip) == {}
    found = items_of(desk, ahead, vip)
    assert found["festival"].status == "due" and "中秋节" in found["festival"].message
    assert found["festival"].task_key == f"festival:{vip}:mid_autumn:2026"
    assert "festival" not in desk.kinds(ahead, plain)
    with unit_of_work(desk.factory) as s:  # one per member per festival per year
        assert desk.svc.build(s, MANAGER, ahead + timedelta(days=1)).created == 0


def test_labour_day_and_new_year_are_greeted(desk: Desk) -> None:
    vip = desk.member(tier="diamond", language="en", gender="M")
    may = items_of(desk, date(2027, 4, 28), vip)["festival"]
    assert may.context["festival"] == "劳动节" and "Labour Day" in may.message
    new_year = items_of(desk, date(2026, 12, 29), vip)["festival"]
    assert new_year.task_key.endswith(":new_year:2027")


def test_festival_rule_in_sql_stores_what_the_python_rule_stores(desk: Desk) -> None:
    from tests.services.test_carelist import _stored_tasks

    for tier in ("senior", None, "black", "diamond"):
        desk.member(tier=tier)
    day = MID_AUTUMN - timedelta(days=3)
    with desk.factory() as s:
        desk.svc.discover(s, day)
        by_sql = {row for row in _stored_tasks(s) if row[2] == "festival"}
        s.rollback()
        desk.svc.store(s, day, desk.svc.candidates(s, day))
        by_python = {row for row in _stored_tasks(s) if row[2] == "festival"}
        s.rollback()
    assert by_sql == by_python and len(by_sql) == 3


# -- new VIPs -------------------------------------------------------------------------------

def test_imported_members_are_not_welcomed_as_new(desk: Desk, tmp_path: Path) -> None:
    from vipdesk.services.importer import import_members

    csv = tmp_path / "old_crm.csv"
    csv.write_text("会员号,姓名,近12个月消费\nOLD001,周杰,80000\nOLD002,孙燕,0\n",
                   encoding="utf-8")
    report = import_members(desk.factory, csv, MANAGER, desk.svc.tiers, D)
    assert report.imported == ["OLD001", "OLD002"]
    with unit_of_work(desk.factory) as s:  # the import ran this morning
        for m in s.scalars(select(Member)):
            m.created_at = noon(D) - timedelta(hours=3)
        for change in s.scalars(select(TierChange)):
            change.created_at = noon(D) - timedelta(hours=3)
    assert not [i for i in desk.build(D).items if i.kind == "welcome_call"]


def test_welcome_call_for_a_member_raised_into_a_tier(desk: Desk) -> None:
    old_customer = desk.member()  # joined years ago, no tier
    change_tier(desk, old_customer, None, "senior")
    assert desk.kinds(D, old_customer) == {"welcome_call": "upcoming"}
    assert desk.kinds(D, desk.member(joined=noon(D))) == {}  # joined, no tier: not a VIP


# -- birthdays ------------------------------------------------------------------------------

def test_birthday_gift_only_for_tiers_with_the_benefit(desk: Desk) -> None:
    no_tier = desk.member(date(1980, 11, 28))
    senior = desk.member(date(1981, 11, 28), tier="senior")
    assert "礼品" not in items_of(desk, D, no_tier)["birthday"].message
    assert "生日快乐" in items_of(desk, D, no_tier)["birthday"].message
    assert "生日礼品" in items_of(desk, D, senior)["birthday"].message


# -- home-visit follow-ups ----------------------------------------------------------------------

def test_home_visit_follow_up_is_listed_and_done_by_logging_the_contact(desk: Desk) -> None:
    from vipdesk.services.care import CareDraft, CareService

    m = desk.member(tier="senior")
    with unit_of_work(desk.factory) as s:
        task = FollowUpTask(member_id=m, due_on=D, description="送新款表带样册")
        s.add(task)
        s.flush()
        follow_up_id = task.id
    listed = items_of(desk, D, m)["follow_up"]
    assert listed.status == "due" and "送新款表带样册" in listed.message
    CareService(desk.factory, desk.clock).log(
        MANAGER, m, CareDraft("home_visit", "phone", "已送达", task_key=listed.task_key))
    assert desk.kinds(D, m) == {"follow_up": "done"}
    with desk.factory() as s:
        assert s.get_one(FollowUpTask, follow_up_id).done_at is not None


def test_a_follow_up_marked_done_on_the_visit_side_closes_its_task(desk: Desk) -> None:
    m = desk.member()
    with unit_of_work(desk.factory) as s:
        task = FollowUpTask(member_id=m, due_on=D - timedelta(days=2), description="回访")
        s.add(task)
        s.flush()
        follow_up_id = task.id
    assert desk.kinds(D, m) == {"follow_up": "overdue"}
    with unit_of_work(desk.factory) as s:
        s.get_one(FollowUpTask, follow_up_id).done_at = noon(D)
    assert desk.kinds(D, m) == {"follow_up": "done"}


# -- complaints -------------------------------------------------------------------------------

def test_a_reopened_complaint_comes_back_on_the_list(desk: Desk) -> None:
    m = desk.member()
    cid = complaint(desk, m, noon(D) - timedelta(days=5))
    for n, state in enumerate(("contacted", "resolved", "followed_up", "closed")):
        move(desk, cid, state, noon(D) - timedelta(days=4 - n))
    assert desk.kinds(D, m) == {}
    reopened = noon(D) + timedelta(minutes=5)
    move(desk, cid, "reopened", reopened)
    desk.clock.at = reopened + timedelta(minutes=10)
    assert desk.kinds(D, m) == {"complaint_contact": "due"}
    desk.clock.at = reopened + timedelta(minutes=31)
    assert desk.kinds(D, m) == {"complaint_contact": "overdue"}
    move(desk, cid, "contacted", reopened + timedelta(minutes=40))
    assert desk.kinds(D, m) == {"complaint_contact": "done"}


def test_one_place_for_each_complaint_deadline(desk: Desk) -> None:
    from vipdesk.services.complaints import CONTACT_WITHIN

    names = {f.name for f in fields(CareRules)}
    assert not names & {"complaint_contact_minutes", "complaint_followup_days"}
    m = desk.member()
    complaint(desk, m, noon(D))
    item = items_of(desk, D, m)["complaint_contact"]
    assert item.due_at == noon(D) + CONTACT_WITHIN
    assert f"{CONTACT_WITHIN.seconds // 60}分钟" in item.message


# -- anniversary ----------------------------------------------------------------------------------

def test_anniversary_letter_has_the_12_month_spend_and_tier(desk: Desk) -> None:
    m = desk.member(tier="diamond")
    desk.purchase(m, noon(D.replace(year=D.year - 1)), yuan=1000)
    with unit_of_work(desk.factory) as s:
        s.get_one(Member, m).spend_12m_cents = 123_456_00
    letter = items_of(desk, D, m)["anniversary"].message
    tier = desk.svc.tiers.get("diamond")
    assert tier is not None
    assert "¥123,456" in letter and tier.name_zh in letter


# -- not too much care --------------------------------------------------------------------------

def test_an_opted_out_member_gets_only_complaint_deadlines(desk: Desk) -> None:
    m = desk.member(date(1980, 11, 28), tier="senior")
    complaint(desk, m, noon(D))
    with unit_of_work(desk.factory) as s:
        s.add(Preference(member_id=m, tag="care_opt_out", value="不希望接到营销电话"))
    assert set(desk.kinds(D, m)) == {"complaint_contact"}


def test_monthly_contact_cap_holds_back_lower_priority_tasks(desk: Desk) -> None:
    cap = desk.svc.rules.monthly_contact_cap
    m = desk.member(date(1980, 11, 28), tier="senior")
    desk.purchase(m, noon(D - timedelta(days=3)))  # callback due today
    complaint(desk, m, noon(D))
    assert set(desk.kinds(D, m)) == {"birthday", "callback_3d", "complaint_contact"}
    contacts(desk, m, cap - 1)  # room for one more this month: the birthday goes first
    assert set(desk.kinds(D, m)) == {"birthday", "complaint_contact"}
    contacts(desk, m, 1)
    assert set(desk.kinds(D, m)) == {"complaint_contact"}
    assert set(desk.kinds(D.replace(month=12, day=1), m)) >= {"birthday"}  # a new month


def test_service_contacts_do_not_count_against_the_cap(desk: Desk) -> None:
    m = desk.member(date(1980, 11, 28), tier="senior")
    contacts(desk, m, desk.svc.rules.monthly_contact_cap, kind="complaint_contact")
    assert "birthday" in desk.kinds(D, m)


# -- upgrades and address ------------------------------------------------------------------------

def test_an_upgrade_brings_a_congratulation(desk: Desk) -> None:
    m = desk.member(tier="senior")
    change_tier(desk, m, "senior", "diamond")
    found = items_of(desk, D, m)
    tier = desk.svc.tiers.get("diamond")
    assert tier is not None
    assert found["tier_upgrade"].status == "due" and tier.name_zh in found["tier_upgrade"].message
    down = desk.member(tier="diamond")
    change_tier(desk, down, "diamond", "senior")
    assert "tier_upgrade" not in desk.kinds(D, down)


def test_english_messages_address_the_guest_as_the_card_does(desk: Desk) -> None:
    from vipdesk.services.profile import honorifics

    m = desk.member(date(1980, 11, 28), language="en", gender="M")
    with unit_of_work(desk.factory) as s:
        member = s.get_one(Member, m)
        member.name_zh, member.name_latin = "王小明", "Wang Xiaoming"
    message = items_of(desk, D, m)["birthday"].message
    with desk.factory() as s:
        _, english = honorifics(s.get_one(Member, m))
    assert english == "Mr Wang" and message.startswith("Dear Mr Wang,")


def test_a_festival_greeting_lapses_when_the_festival_is_over(desk: Desk) -> None:
    vip = desk.member(tier="senior")
    assert desk.kinds(MID_AUTUMN - timedelta(days=3), vip) == {"festival": "due"}
    assert desk.kinds(MID_AUTUMN, vip) == {"festival": "overdue"}
    assert desk.kinds(MID_AUTUMN + timedelta(days=1), vip) == {}


def test_the_contact_closing_a_follow_up_is_service(desk: Desk) -> None:
    m = desk.member(date(1980, 11, 28), tier="senior")
    with unit_of_work(desk.factory) as s:
        for i in range(desk.svc.rules.monthly_contact_cap):
            s.add(CareContact(member_id=m, kind="other", channel="phone",
                              at=noon(D) - timedelta(hours=i + 1),
                              task_key=f"follow_up:{uuid.uuid4()}"))
    assert "birthday" in desk.kinds(D, m)


def test_the_list_honours_the_form_of_address_the_member_asked_for(desk: Desk) -> None:
    m = desk.member(date(1980, 11, 28), gender="M")
    with unit_of_work(desk.factory) as s:
        member = s.get_one(Member, m)
        member.name_zh = "王小明"
        s.add(Preference(member_id=m, tag="address_as", value="请称呼王总"))
    assert items_of(desk, D, m)["birthday"].message.startswith("王总您好")


def test_a_desk_seeded_with_the_old_anniversary_text_reads_the_new_one(desk: Desk) -> None:
    from vipdesk.models import CareTemplate
    from vipdesk.services.care_config import superseded

    old = superseded()["anniversary", "zh"]
    with unit_of_work(desk.factory) as s:
        s.scalars(select(CareTemplate).where(CareTemplate.kind == "anniversary",
                                             CareTemplate.language == "zh")).one().text = old
    m = desk.member(tier="senior")
    desk.purchase(m, noon(D.replace(year=D.year - 1)))
    assert "¥" in items_of(desk, D, m)["anniversary"].message
    with unit_of_work(desk.factory) as s:  # a text the manager wrote is kept
        s.scalars(select(CareTemplate).where(CareTemplate.kind == "anniversary",
                                             CareTemplate.language == "zh")).one().text = "谢谢"
    assert items_of(desk, D, m)["anniversary"].message == "谢谢"


def test_a_tier_out_of_the_care_plan_gets_no_festival_greetings(desk: Desk) -> None:
    from dataclasses import replace

    from vipdesk.services.tiers import TierTable

    tiers = desk.svc.tiers
    desk.svc.tiers = TierTable([replace(t, in_care_plan=t.code != "senior")
                                for t in tiers.tiers])
    senior, diamond = desk.member(tier="senior"), desk.member(tier="diamond")
    ahead = MID_AUTUMN - timedelta(days=3)
    assert "festival" not in desk.kinds(ahead, senior)
    assert "festival" in desk.kinds(ahead, diamond)

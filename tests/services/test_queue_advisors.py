"""Whom the board offers to take a guest, and how the lounge screen names them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.services.test_queue import MANAGER, T0, add, advisor, member
from vipdesk.db import unit_of_work
from vipdesk.models import Staff
from vipdesk.services.clock import FixedClock
from vipdesk.services.queue import QueueService, advisor_choices, private_name
from vipdesk.services.tiers import load_tier_table


@pytest.fixture
def svc(factory: sessionmaker[Session]) -> QueueService:
    with factory() as s:
        return QueueService(load_tier_table(s), FixedClock(T0))


def test_the_called_guests_own_advisor_comes_first_not_the_manager(
        svc: QueueService, factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        s.add(Staff(staff_no="A0", name="店长", role="manager"))
    other, own = advisor(factory, "A1"), advisor(factory, "A2")
    guest = member(factory, "black", advisor=own)
    add(svc, factory, guest)
    with unit_of_work(factory) as s:
        called = svc.call_next(s, MANAGER)
        assert called is not None and called.advisor_id == own
    with factory() as s:
        choices, preferred = advisor_choices(s, guest)
    assert preferred == own
    assert [(label, busy) for _, label, busy in choices] == [
        ("A2 顾问A2", False), ("A1 顾问A1", False), ("A0 店长", False)]
    assert choices[1][0] == other


def test_own_advisor_busy_with_someone_else_suggests_a_free_advisor(
        svc: QueueService, factory: sessionmaker[Session]) -> None:
    other, own = advisor(factory, "A1"), advisor(factory, "A2")
    first, second = member(factory, "black", advisor=own), member(factory, None, advisor=own)
    add(svc, factory, first)
    add(svc, factory, second)
    with unit_of_work(factory) as s:
        svc.call_next(s, MANAGER)  # the first guest takes their advisor
    with factory() as s:
        choices, preferred = advisor_choices(s, second)
    assert choices[0][0] == own and choices[0][2] is True  # listed first, marked busy
    assert preferred == other


def test_private_names_keep_only_surname_and_title() -> None:
    assert private_name("王小明", None, "M") == "王先生"
    assert private_name("欧阳娜娜", None, "F") == "欧阳女士"
    assert private_name("李娜", None, None) == "李贵宾"
    assert private_name(None, "Emma Laurent", "F") == "Ms Laurent"
    assert private_name(None, None, None) == "贵宾 Guest"


@pytest.mark.parametrize(("name", "gender", "shown"), [
    ("欧阳娜娜", "F", "欧阳女士"), ("阿卜杜拉·买买提", "M", "阿卜杜拉先生"),
    ("司马文静", "F", "司马女士"), ("王小明", "M", "王先生")])
def test_the_lounge_screen_names_compound_and_dotted_surnames(name: str, gender: str,
                                                               shown: str) -> None:
    from vipdesk.services.queue import private_name

    assert private_name(name, None, gender) == shown

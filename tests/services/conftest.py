"""A small lounge for the history-service tests: one store, five people, two members."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Staff, Store
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import NewMember, add_member

# 10:00 in Shanghai on the demo's "today".
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@dataclass
class Lounge:
    store_id: uuid.UUID
    manager: Actor
    staff: Actor
    advisor: Actor  # Wang's advisor
    other_advisor: Actor  # advises nobody here
    admin: Actor
    wang: uuid.UUID  # has a drink preference and an advisor
    li: uuid.UUID  # no preferences, advisor = other_advisor
    clock: FixedClock


def build(factory: sessionmaker[Session]) -> Lounge:
    with unit_of_work(factory) as s:
        store = Store(code="SH01", name="上海恒隆")
        s.add(store)
        s.flush()
        people = {}
        for no, name, role in (("S001", "周婷", "manager"), ("S005", "张敏", "staff"),
                               ("S002", "李娜", "advisor"), ("S003", "陈思远", "advisor"),
                               ("S009", "孙磊", "admin")):
            person = Staff(staff_no=no, name=name, role=role, store_id=store.id)
            s.add(person)
            s.flush()
            people[no] = Actor(person.id, role, name, store.id)
        wang = add_member(s, NewMember(member_no="M0000001", name_zh="王小明", gender="M",
                                       phones=["13800138000"],
                                       preferences=[("drink", "龙井, 不加冰")],
                                       advisor_id=people["S002"].staff_id))
        li = add_member(s, NewMember(member_no="M0000002", name_zh="李华", gender="F",
                                     phones=["13900139000"],
                                     advisor_id=people["S003"].staff_id))
        return Lounge(store.id, people["S001"], people["S005"], people["S002"],
                      people["S003"], people["S009"], wang.id, li.id, FixedClock(START))


@pytest.fixture
def lounge(factory: sessionmaker[Session]) -> Lounge:
    return build(factory)

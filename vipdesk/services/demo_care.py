"""The demo lounge's care history: a store that works its care list.

A fresh demo has years of purchases and visits but no care list yet, so its first build
would find a week of birthdays, callbacks and churn warnings all undone — over two
thousand open tasks for 5,000 members, most of them overdue, which no store looks like.
This writes the care contacts a working store would have logged: the rules are run once
(in a transaction that is rolled back, so the desk's first build still finds and stores
the tasks itself) to learn the tasks' keys, and most tasks get the contact that closes
them — on their due day or a day late, a few already this morning — leaving a workable
list: today's work and a few tens overdue. Deterministic for a seed, like the rest.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.models import CareContact, CareTask, Member
from vipdesk.services.care import care_contact_kind
from vipdesk.services.carelist import CareListService
from vipdesk.services.clock import DEFAULT_TZ, FixedClock
from vipdesk.services.tiers import TierTable

# Share of tasks left open, by when they fell due: a few past ones (the overdue tens),
# and today's (churn and tier warnings that a first build dates today stand for the
# week's, which the store mostly worked already).
LEFT_OPEN_PAST = 0.03
LEFT_OPEN_TODAY = {"churn_silence": 0.1, "churn_spend": 0.1, "tier_risk": 0.1}
DONE_THIS_MORNING = 0.3  # of today's other tasks: done before 10:00, listed as done
CHANNELS = ("phone", "phone", "wechat", "wechat", "sms")
OUTCOMES = ("已致电问候，客人致谢", "微信已回复，约周末到店", "客人在外地，下次到店再聊",
            "已发送祝福短信", "客人表示满意", None, None)
# Complaint tasks close with the complaint itself, never by a contact.
SKIPPED = frozenset({"complaint_contact", "complaint_followup"})

Add = Callable[..., Any]


def care_tasks(engine: Engine, tiers: TierTable, now: datetime) -> list[Any]:
    """The tasks the desk's first build on `now`'s day will find (key, kind, due day,
    member, advisor), learnt by running the rules and rolling them back."""
    tz = ZoneInfo(DEFAULT_TZ)
    day = now.astimezone(tz).date()
    service = CareListService(tiers, FixedClock(now))
    with Session(engine) as session:
        service.discover(session, day, service.catch_up_start(session, day))
        rows = session.execute(
            select(CareTask.task_key, CareTask.kind, CareTask.due_on, CareTask.member_id,
                   Member.advisor_id)
            .join(Member, Member.id == CareTask.member_id)
            .where(CareTask.kind.not_in(SKIPPED))
            .order_by(CareTask.task_key)).all()
        session.rollback()
    return list(rows)


def log_contacts(add: Add, tasks: list[Any], rng: random.Random, now: datetime) -> int:
    """Add (through the builder's `add`) the contacts that close most of `tasks`."""
    tz = ZoneInfo(DEFAULT_TZ)
    today = now.astimezone(tz).date()
    logged = 0
    for key, kind, due_on, member_id, advisor_id in tasks:
        at = _contact_time(rng, kind, due_on, today, tz)
        if at is None or at >= now:
            continue
        add(CareContact, member_id=member_id, kind=care_contact_kind(kind),
            channel=rng.choice(CHANNELS), outcome=rng.choice(OUTCOMES), at=at,
            by=advisor_id, task_key=key, created_at=at)
        logged += 1
    return logged


def _contact_time(rng: random.Random, kind: str, due_on: date, today: date,
                  tz: ZoneInfo) -> datetime | None:
    """When the task was done, or None for one still open."""
    draw = rng.random()
    if due_on < today:
        if draw < LEFT_OPEN_PAST:
            return None
        late = 1 if draw > 0.85 else 0  # most on the day, some a day late
        return _at(min(due_on + timedelta(days=late), today - timedelta(days=1)), rng, tz)
    if kind in LEFT_OPEN_TODAY:
        if draw < LEFT_OPEN_TODAY[kind]:
            return None
        return _at(today - timedelta(days=rng.randint(1, 6)), rng, tz)
    if draw < DONE_THIS_MORNING:
        return datetime.combine(today, time(9, rng.randrange(60)), tz).astimezone(UTC)
    return None


def _at(day: date, rng: random.Random, tz: ZoneInfo) -> datetime:
    """A working-hours moment of `day` (10:00–19:59 in the lounge)."""
    return datetime.combine(day, time(rng.randrange(10, 20), rng.randrange(60)),
                            tz).astimezone(UTC)

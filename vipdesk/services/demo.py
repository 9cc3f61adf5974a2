"""A realistic, deterministic demo lounge (same seed + same day → same database).

Scales to 1,000,000 members for the benchmarks: rows go in through Core bulk inserts in
batches; the first members get a rich history, the long tail a light one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from vipdesk.models import (
    Base,
    Complaint,
    ComplaintEvent,
    Member,
    MemberCard,
    MemberPhone,
    MemberTerm,
    PointsEntry,
    Preference,
    Purchase,
    Staff,
    Store,
    Visit,
)
from vipdesk.models.lounge import fill_birthday_md
from vipdesk.services import demo_care, phones
from vipdesk.services import demo_data as words
from vipdesk.services.cli_sessions import mark_demo
from vipdesk.services.clock import Clock
from vipdesk.services.names import name_terms, pinyin_full
from vipdesk.services.person_name import PersonName
from vipdesk.services.staff import DEMO_PIN, hash_secret
from vipdesk.services.tiers import TierTable, load_tier_table, seed_default_tiers

BATCH = 5000
RICH_MEMBERS = 3000
SHOWCASE_PHONE = "13800138000"


@dataclass
class DemoStats:
    members: int = 0
    rows: int = 0


class _Ids:
    """Deterministic UUIDs (version 4 layout) from the demo's random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> uuid.UUID:
        value = self.rng.getrandbits(128)
        value &= ~(0xF << 76)
        value |= 0x4 << 76
        value &= ~(0x3 << 62)
        value |= 0x2 << 62
        return uuid.UUID(int=value)


@lru_cache(maxsize=200_000)
def _terms(name_zh: str | None, name_latin: str | None) -> tuple[tuple[str, int], ...]:
    return tuple(name_terms(name_zh, name_latin).items())


class DemoBuilder:
    def __init__(self, engine: Engine, seed: int, today: date) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.new_id = _Ids(self.rng)
        self.today = today
        self.now = datetime.combine(today, time(2, 0), UTC)  # 10:00 in Shanghai
        self.buffers: dict[Any, list[dict[str, Any]]] = {}
        self.stats = DemoStats()
        # Complaint steps and care contacts draw from their own generator, so adding them
        # left every member, purchase and visit of a seed as it was.
        self.side = random.Random(seed * 1_000_003 + 1)
        self.side_id = _Ids(self.side)

    # -- plumbing ----------------------------------------------------------------------

    def add(self, model: Any, **row: Any) -> uuid.UUID:
        if "id" not in row:
            row["id"] = self.new_id()
        buf = self.buffers.setdefault(model.__table__, [])
        buf.append(row)
        if len(buf) >= BATCH:
            self.flush()
        return row["id"]  # type: ignore[no-any-return]

    def flush(self) -> None:
        """Write every buffer, parents before children (foreign keys are on)."""
        with self.engine.begin() as conn:
            for t in Base.metadata.sorted_tables:
                rows = self.buffers.get(t)
                if rows:
                    keys = set().union(*rows)  # executemany needs the same keys per row
                    rows = [{k: r.get(k) for k in keys} for r in rows]
                    conn.execute(insert(t), rows)
                    self.stats.rows += len(rows)
                    self.buffers[t] = []

    def ago(self, days: float, hour: int | None = None) -> datetime:
        at = self.now - timedelta(days=days)
        if hour is not None:
            at = at.replace(hour=hour, minute=self.rng.randrange(60))
        return at

    # -- the lounge --------------------------------------------------------------------

    def build(self, members: int, progress: Callable[[int], None] | None = None) -> DemoStats:
        with Session(self.engine) as session, session.begin():
            seed_default_tiers(session)
            mark_demo(session)  # commands and the window may run without sign-in here
        with Session(self.engine) as session:
            self.tiers: TierTable = load_tier_table(session)
        self.stores = [self.add(Store, code=c, name=n, timezone=tz, language="zh",
                                created_at=self.now) for c, n, tz in words.STORES]
        pin_hash = hash_secret(DEMO_PIN)  # written with the rows: no outbox ops to replay
        self.staff = [self.add(Staff, staff_no=no, name=name, role=role,
                               store_id=self.stores[0], password_hash=pin_hash,
                               created_at=self.now)
                      for no, name, role in words.STAFF]
        self.advisors = [sid for sid, (_, _, role) in zip(self.staff, words.STAFF, strict=True)
                         if role == "advisor"]
        self.flush()
        for i in range(members):
            self.member(i)
            if progress and i % 50_000 == 0:
                progress(i)
        self.flush()
        with self.engine.begin() as conn:  # bulk inserts bypass the ORM hook that sets it
            fill_birthday_md(conn)
        self.care_history()
        self.stats.members = members
        return self.stats

    def care_history(self) -> None:
        """The care contacts a working store would have logged (`demo_care`)."""
        tasks = demo_care.care_tasks(self.engine, self.tiers, self.now)
        demo_care.log_contacts(lambda model, **row: self.add(model, id=self.side_id(), **row),
                               tasks, self.side, self.now)
        self.flush()

    def member(self, i: int) -> None:
        if i == 0:
            self.showcase()
            return
        rich = i < RICH_MEMBERS
        name_zh, name_latin, phone, language = self.person(i)
        spend = self.spend()
        tier = self.tiers.for_spend(spend)
        e164 = phones.normalize(phone)
        gender = self.rng.choice("FFM")  # drawn for everyone: the seed's lounge stays as it was
        if name_zh is None and name_latin in words.FOREIGN_GENDER:
            gender = words.FOREIGN_GENDER[name_latin]  # Emma is Ms Laurent, not Mr
        member_id = self.add(
            Member, member_no=f"M{i + 1:07d}", name_zh=name_zh, name_latin=name_latin,
            gender=gender, birthday=self.birthday(i), language=language,
            email=f"member{i + 1}@example.com" if self.rng.random() < 0.4 else None,
            home_store_id=self.stores[i % len(self.stores)],
            advisor_id=self.rng.choice(self.advisors), spend_12m_cents=spend,
            tier_code=tier.code if tier else None, created_at=self.ago(400 + i % 900),
            updated_at=self.now,
        )
        self.identity(member_id, i, e164, name_zh, name_latin)
        self.history(member_id, spend, rich)

    def person(self, i: int) -> tuple[str | None, str | None, str, str]:
        number = f"{(i * 48271 + 12345) % 10**8:08d}"
        phone = self.rng.choice(words.MOBILE_PREFIXES) + number
        if i % 23 == 0:
            first, last, foreign, _ = self.rng.choice(words.FOREIGN)
            if i % 2:
                foreign = phones.squeeze(foreign)[:-4] + number[-4:]
                if phones.try_normalize(foreign):
                    phone = foreign
            return None, f"{first} {last}", phone, "en"
        name = self.chinese_name(i)
        latin = None
        if self.rng.random() < 0.3:
            parts = PersonName.of(name, None)  # 欧阳娜娜 → Ouyang Nana, not Ou Yangnana
            latin = pinyin_full(parts.surname).title() + " " + pinyin_full(parts.given).title()
        return name, latin, phone, "zh"

    def chinese_name(self, i: int) -> str:
        if i % 97 == 0:
            surname = self.rng.choice(words.COMPOUND_SURNAMES)
        else:
            surname = self.rng.choice(words.SURNAMES)
        given = "".join(self.rng.choice(words.GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        if i % 5000 == 17:
            given = self.rng.choice(words.RARE_CHARS) + given[:1]
        return surname + given

    def spend(self) -> int:
        bucket = self.rng.random()
        lo, hi = ((10_000, 50_000) if bucket < 0.3 else (50_000, 100_000) if bucket < 0.7
                  else (100_000, 200_000) if bucket < 0.9 else (200_000, 900_000))
        return self.rng.randrange(lo, hi) * 100

    def birthday(self, i: int) -> date | None:
        if i % 11 == 0:
            return None
        if i % 40 == 1:  # a few birthdays this week, so the lounge shows the alert
            day = self.today + timedelta(days=i % 7)
            return date(1960 + i % 40, day.month, min(day.day, 28))
        return date(1955 + self.rng.randrange(45), self.rng.randrange(1, 13),
                    self.rng.randrange(1, 29))

    def identity(self, member_id: uuid.UUID, i: int, e164: str, name_zh: str | None,
                 name_latin: str | None) -> None:
        self.add(MemberPhone, member_id=member_id, e164=e164, suffix4=phones.suffix4(e164),
                 is_primary=True, label="mobile")
        self.add(MemberCard, member_id=member_id, card_no=f"88{i + 1:010d}", status="active",
                 created_at=self.ago(400))
        if i % 50 == 3:  # a lost card, re-issued
            self.add(MemberCard, member_id=member_id, card_no=f"89{i + 1:010d}",
                     status="lost", created_at=self.ago(800))
        for term, weight in _terms(name_zh, name_latin):
            self.add(MemberTerm, term=term, member_id=member_id, weight=weight)
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            tag, value = self.rng.choice(words.PREFERENCES)
            self.add(Preference, member_id=member_id, tag=tag, value=value,
                     created_at=self.ago(self.rng.randrange(30, 400)))

    def history(self, member_id: uuid.UUID, spend: int, rich: bool) -> None:
        parts = self.rng.randrange(2, 12) if rich else 1
        for share in self.split(spend, parts):
            self.add(Purchase, member_id=member_id, store_id=self.rng.choice(self.stores),
                     occurred_at=self.ago(self.rng.uniform(1, 360), hour=self.rng.randrange(2, 12)),
                     amount_cents=share, description=self.rng.choice(words.PURCHASES),
                     created_at=self.now)
        if rich or self.rng.random() < 0.2:
            for _ in range(self.rng.randrange(1, 6) if rich else 1):
                self.visit(member_id, self.rng.uniform(1, 360))
        if rich:
            self.add(PointsEntry, member_id=member_id, delta=spend // 1000, kind="earn",
                     reason="消费积分", created_at=self.ago(self.rng.uniform(1, 300)))
            if self.rng.random() < 0.05:
                self.complaint(member_id, open_=self.rng.random() < 0.3)

    def split(self, total: int, parts: int) -> Iterator[int]:
        cuts = sorted(self.rng.randrange(1, total) for _ in range(parts - 1))
        edges = [0, *cuts, total]
        return (b - a for a, b in pairwise(edges) if b > a)

    def visit(self, member_id: uuid.UUID, days_ago: float, open_: bool = False) -> None:
        start = self.ago(days_ago, hour=self.rng.randrange(2, 12))
        self.add(Visit, member_id=member_id, store_id=self.stores[0], checked_in_at=start,
                 checked_out_at=None if open_ else start + timedelta(minutes=40),
                 received_by=self.rng.choice(self.staff), purpose=self.rng.choice(words.PURPOSES),
                 offered=self.rng.choice(words.OFFERED), created_at=start)

    def complaint(self, member_id: uuid.UUID, open_: bool, minutes_ago: float | None = None,
                  ) -> None:
        """A complaint and the steps it has gone through by now (the workflow's order, with
        a real desk's timings: `complaint_steps`). The draws from the main generator are
        the ones this made when complaints went straight to closed, so the rest of the
        lounge stays what it was; the steps draw from their own generator."""
        category, severity, text = self.rng.choice(words.COMPLAINTS)
        received = self.ago(self.rng.uniform(0.5, 60) * 2)  # one every two days or so
        if minutes_ago is not None:
            received = self.now - timedelta(minutes=minutes_ago)
        complaint_id, first_event = self.new_id(), self.new_id()
        if not open_:
            self.new_id()  # the old closing event's id: keeps the main draws in step
        steps = [s for s in self.complaint_steps(received, severity)
                 if s["at"] <= self.now and minutes_ago is None]  # a chosen one waits
        self.add(Complaint, id=complaint_id, member_id=member_id, store_id=self.stores[0],
                 received_at=received, received_by=self.staff[4], place="VIP 室",
                 description=text, category=category, severity=severity,
                 state=steps[-1]["to_state"] if steps else "received", created_at=received)
        self.add(ComplaintEvent, id=first_event, complaint_id=complaint_id,
                 to_state="received", at=received, by=self.staff[4], created_at=received)
        for step in steps:
            self.add(ComplaintEvent, id=self.side_id(), complaint_id=complaint_id,
                     created_at=step["at"], **step)
            if step.get("compensation_points"):
                self.add(PointsEntry, id=self.side_id(), member_id=member_id,
                         delta=step["compensation_points"], kind="compensation",
                         reason=step["note"], ref_id=complaint_id, created_by=step["by"],
                         created_at=step["at"])

    def complaint_steps(self, received: datetime, severity: str) -> list[dict[str, Any]]:
        """contacted → resolved → followed_up → closed: contact within 30 minutes for most
        (one in ten late), resolved within a day or so, the follow-up call within three
        days (a few late), closed soon after."""
        side = self.side
        contact_minutes = side.uniform(4, 28) if side.random() < 0.9 else side.uniform(35, 120)
        contacted = received + timedelta(minutes=contact_minutes)
        resolved = contacted + timedelta(hours=side.uniform(1, 30))
        follow_hours = side.uniform(20, 70) if side.random() < 0.95 else side.uniform(74, 110)
        followed = resolved + timedelta(hours=follow_hours)
        closed = followed + timedelta(minutes=side.uniform(10, 360))
        manager, advisor = self.staff[0], side.choice(self.advisors)
        compensation: dict[str, Any] = (
            {"compensation_points": 200, "note": "已补偿 200 积分，客户接受"}
            if severity == "minor" else
            {"compensation_item": "定制礼盒一份", "note": "店长致歉并赠送礼盒，客户接受"})
        return [
            {"to_state": "contacted", "at": contacted, "by": self.staff[4],
             "note": "已致电客户，了解情况并致歉"},
            {"to_state": "resolved", "at": resolved, "by": manager, **compensation},
            {"to_state": "followed_up", "at": followed, "by": advisor,
             "note": "回访：客户对处理结果满意"},
            {"to_state": "closed", "at": closed, "by": manager, "note": "结案"},
        ]

    def showcase(self) -> None:
        """王小明, the member every README example and test uses: Black Card, birthday in
        two days, an open complaint, a rich file."""
        birthday_day = self.today + timedelta(days=2)
        member_id = self.add(
            Member, member_no="M0000001", name_zh="王小明", name_latin="Wang Xiaoming",
            gender="M", birthday=date(1978, birthday_day.month, min(birthday_day.day, 28)),
            language="zh", email="xiaoming.wang@example.com", home_store_id=self.stores[0],
            advisor_id=self.advisors[0], spend_12m_cents=0, tier_code=None,
            occupation="投资公司合伙人", family="已婚, 一子一女 (12 岁, 8 岁)",
            hobbies="高尔夫, 红酒收藏", lifestyle="常驻上海, 每月去香港出差",
            purchase_intent="关注新款腕表", created_at=self.ago(900), updated_at=self.now)
        self.identity(member_id, 0, phones.normalize(SHOWCASE_PHONE), "王小明", "Wang Xiaoming")
        self.add(Preference, member_id=member_id, tag="drink", value="龙井, 不加冰",
                 created_at=self.ago(200))
        self.add(Preference, member_id=member_id, tag="avoid", value="10:00 前勿来电",
                 created_at=self.ago(150))
        total = 0
        for days, amount, what in ((20, 128_000, "腕表"), (95, 56_000, "定制西装"),
                                   (180, 38_500, "手袋"), (300, 21_000, "皮鞋")):
            total += amount * 100
            self.add(Purchase, member_id=member_id, store_id=self.stores[0],
                     occurred_at=self.ago(days, hour=6), amount_cents=amount * 100,
                     description=what, created_at=self.now)
        for days in (3, 20, 45, 95, 180):
            self.visit(member_id, days)
        self.add(PointsEntry, member_id=member_id, delta=12_000, kind="earn",
                 reason="消费积分", created_at=self.ago(20))
        self.complaint(member_id, open_=True, minutes_ago=50)  # not called back yet: overdue
        self.buffers[Member.__table__][-1]["spend_12m_cents"] = total
        tier = self.tiers.for_spend(total)
        self.buffers[Member.__table__][-1]["tier_code"] = tier.code if tier else None


def build_demo(engine: Engine, members: int = 2000, seed: int = 7, today: date | None = None,
               progress: Callable[[int], None] | None = None) -> DemoStats:
    return DemoBuilder(engine, seed, today or demo_day(Clock())).build(members, progress)


def demo_day(clock: Clock) -> date:
    """The lounge is built as it stands at 10:00 of this day: today once 10:00 has passed
    in the store, else yesterday — a demo built at night or in the early morning must not
    hold visits and complaints hours ahead of the clock."""
    now = clock.now()
    opening = datetime.combine(clock.today(), time(2, 0), UTC)  # 10:00 in Shanghai
    return clock.today() if now >= opening else clock.today() - timedelta(days=1)

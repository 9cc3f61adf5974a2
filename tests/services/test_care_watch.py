"""The churn watches (services/care_watch.py) against the full rules, day by day.

The desk builds churn tasks from watches kept current by triggers and window-edge slices;
`CareListService.churn_spend` / `churn_silence` evaluate everyone from scratch and stay
the reference. On random lounges changed between builds (purchases added, back-dated,
corrected and deleted, visits, tier overrides set and cleared, days skipped, same-day
rebuilds, a look back at an earlier day) every build must store exactly what the
reference finds that day, never a task it would not find.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.services.test_carelist import D, Desk, noon
from vipdesk.db import unit_of_work
from vipdesk.models import CareDirtyMember, CareTask, Member, Purchase

CHURN = ("churn_spend", "tier_risk", "churn_silence")
AGES = [365, 366, 364, 335, 334, 336, 730, 729, 731, 30, 1, 0]
AMOUNTS = [5_000, 20_000, 60_000, 150_000, 400_000, 1_000_000]


@pytest.fixture
def desk(factory: sessionmaker[Session]) -> Desk:
    return Desk(factory)


def stored_churn_keys(desk: Desk) -> set[str]:
    with desk.factory() as s:
        return set(s.scalars(select(CareTask.task_key).where(CareTask.kind.in_(CHURN))))


def reference_keys(desk: Desk, day: date) -> set[str]:
    with desk.factory() as s:
        return ({c.task_key for c in desk.svc.churn_spend(s, day)}
                | {c.task_key for c in desk.svc.churn_silence(s, day)})


class Lounge:
    """A random lounge that keeps changing between builds."""

    def __init__(self, desk: Desk, rnd: random.Random, start: date) -> None:
        self.desk, self.rnd = desk, rnd
        self.members = [desk.member() for _ in range(24)]
        for m in self.members:
            for _ in range(rnd.randint(0, 5)):
                self.purchase(m, start - timedelta(days=rnd.choice(
                    [*AGES, rnd.randint(0, 800)])))
            gap = rnd.choice([7, 20, 45, 90])
            for n in range(rnd.randint(0, 6)):
                desk.visit(m, start - timedelta(days=rnd.randint(0, 40) + n * gap))

    def purchase(self, member_id: uuid.UUID, day: date) -> None:
        self.desk.purchase(member_id, noon(day), yuan=self.rnd.choice(AMOUNTS))

    def change(self, today: date) -> None:
        """One random change, as sync or the desk would make it."""
        rnd, m = self.rnd, self.rnd.choice(self.members)
        what = rnd.choice(["buy", "back-dated", "correct", "refund", "visit", "override"])
        if what == "buy":
            self.purchase(m, today)
        elif what == "back-dated":
            self.purchase(m, today - timedelta(days=rnd.choice(AGES)))
        elif what == "visit":
            self.desk.visit(m, today)
        else:
            with unit_of_work(self.desk.factory) as s:
                self._edit(s, m, what)

    def _edit(self, s, member_id: uuid.UUID, what: str) -> None:  # type: ignore[no-untyped-def]
        if what == "override":
            member = s.get_one(Member, member_id)
            code = self.desk.svc.tiers.tiers[-1].code
            member.tier_override_code = None if member.tier_override_code else code
            return
        bought = s.scalars(select(Purchase).where(Purchase.member_id == member_id)).all()
        if not bought:
            return
        chosen = self.rnd.choice(bought)
        if what == "refund":
            s.delete(chosen)
        else:
            chosen.amount_cents = self.rnd.choice(AMOUNTS) * 100


@pytest.mark.parametrize("seed", range(4))
def test_each_build_stores_exactly_what_the_full_rules_find(desk: Desk, seed: int) -> None:
    rnd = random.Random(seed)
    day = D - timedelta(days=60)
    lounge = Lounge(desk, rnd, day)
    stored = stored_churn_keys(desk)
    for _ in range(30):
        day += timedelta(days=rnd.choice([0, 1, 1, 1, 2, 5, 14]))
        for _ in range(rnd.randint(0, 4)):
            lounge.change(day)
        desk.build(day)
        now_stored = stored_churn_keys(desk)
        expected = reference_keys(desk, day)
        assert expected <= now_stored, f"{day}: missing {expected - now_stored}"
        assert now_stored - stored <= expected, f"{day}: extra {now_stored - stored - expected}"
        stored = now_stored
    assert stored, "the seeds do raise churn warnings, so the comparison means something"


def test_a_look_back_and_changed_rules_evaluate_everyone_again(desk: Desk) -> None:
    rnd = random.Random(9)
    lounge = Lounge(desk, rnd, D)
    desk.build(D)
    earlier = D - timedelta(days=20)
    lounge.change(earlier)
    desk.build(earlier)  # before the last build: the watches are rebuilt for that day
    assert reference_keys(desk, earlier) <= stored_churn_keys(desk)
    desk.svc.rules = type(desk.svc.rules)(**{**vars(desk.svc.rules), "spend_drop_ratio": 0.9})
    desk.build(D)  # new rules: a new fingerprint, a full evaluation
    assert reference_keys(desk, D) <= stored_churn_keys(desk)


def test_changes_are_marked_only_once_a_watch_exists_and_a_build_clears_them(
        desk: Desk) -> None:
    member = desk.member()
    desk.purchase(member, noon(D - timedelta(days=3)))

    def dirty() -> int:
        with desk.factory() as s:
            return s.scalar(select(func.count()).select_from(CareDirtyMember)) or 0

    assert dirty() == 0  # nothing to keep current yet: the first build evaluates everyone
    desk.build(D)
    desk.visit(member, D)
    with unit_of_work(desk.factory) as s:
        s.get_one(Member, member).tier_override_code = desk.svc.tiers.tiers[-1].code
    assert dirty() == 1
    desk.build(D)
    assert dirty() == 0


@pytest.mark.parametrize("stored", ["", "not json", '{"fingerprint": "x"}', '{"day": 5}'])
def test_an_unreadable_watch_state_means_evaluate_everyone(desk: Desk, stored: str) -> None:
    from vipdesk.models import SyncState
    from vipdesk.services.care_watch import WATCH_KEY

    Lounge(desk, random.Random(3), D)
    desk.build(D - timedelta(days=1))
    with unit_of_work(desk.factory) as s:
        s.merge(SyncState(key=WATCH_KEY, value=stored))
    desk.build(D)
    assert reference_keys(desk, D) <= stored_churn_keys(desk)

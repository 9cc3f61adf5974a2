"""A brand adopts its own tier table: checked whole, applied in one transaction, members
re-tiered in the same pass (SPEC §3; seed 002)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import Member, Purchase, SyncOutbox, Tier, TierBenefit, TierChange
from vipdesk.services import auth
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.tier_config import TierTableError, apply_table, load_file, parse_table
from vipdesk.services.tiers import load_tier_table, recompute_member, set_override

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SEED_002 = Path(__file__).resolve().parent.parent / "data" / "tiers_seed002.toml"
TEMPLATES = {"default", "senior", "diamond", "black"}


def _seed002() -> dict[str, Any]:
    with SEED_002.open("rb") as fh:
        return tomllib.load(fh)


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(TierTableError) as err:
        parse_table(data, TEMPLATES)
    return err.value.problems


def test_seed_002_reads_as_four_tiers() -> None:
    specs = parse_table(_seed002(), TEMPLATES)
    assert [(s.code, s.min_spend_cents // 100, s.in_care_plan) for s in specs] == [
        ("d", 100_000, False), ("vip", 300_000, False), ("platinum", 500_000, True),
        ("diamond", 1_000_000, True)]
    assert specs[-1].points_per_100_yuan == 150 and specs[0].points_per_100_yuan == 100


def test_overlapping_thresholds_are_refused() -> None:
    data = _seed002()
    data["tier"][2]["max_spend_yuan"] = 1_200_000  # 白金 50–120万 overlaps 钻石 ≥ 100万
    problems = _problems(data)
    assert any("'platinum' up to ¥1,200,000 overlaps tier 'diamond'" in p for p in problems)


def test_thresholds_must_rise_with_rank_and_ranks_be_unique() -> None:
    data = _seed002()
    data["tier"][1]["min_spend_yuan"] = 50_000  # VIP below D
    data["tier"][3]["rank"] = 3
    problems = _problems(data)
    assert any("rank 3 is used by more than one tier" in p for p in problems)
    assert any("'d'" in p and "thresholds must rise" in p for p in problems)


def test_every_problem_is_named_at_once() -> None:
    data = _seed002()
    data["tier"][0]["benefits"] = [{"code": "free_yacht"}]
    data["tier"][1]["color"] = "gold"
    data["tier"][2]["card_template"] = "platinum_foil"
    data["tier"][3]["min_spend"] = 1  # a typo of min_spend_yuan
    problems = _problems(data)
    assert any("unknown benefit code 'free_yacht'" in p for p in problems)
    assert any("tier 'vip': color" in p for p in problems)
    assert any("no card template 'platinum_foil'" in p for p in problems)
    assert any("unknown key 'min_spend'" in p for p in problems)


def test_a_gap_between_bands_is_refused() -> None:
    data = _seed002()
    data["tier"][0]["max_spend_yuan"] = 250_000
    assert any("would earn neither" in p for p in _problems(data))


def _member(s: Session, no: str, yuan: int, days_ago: int = 30) -> Member:
    m = add_member(s, NewMember(member_no=no, name_zh="客户" + no))
    s.add(Purchase(member_id=m.id, occurred_at=NOW - timedelta(days=days_ago),
                   amount_cents=yuan * 100))
    s.flush()
    recompute_member(s, m, load_tier_table(s), NOW)
    return m


def test_seed_002_applied_re_tiers_members(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        _member(s, "A", 1_200_000)  # black → diamond
        _member(s, "B", 600_000)  # black → platinum
        _member(s, "C", 150_000)  # diamond → d
        _member(s, "D", 60_000)  # senior → none
        held = _member(s, "E", 60_000)
        set_override(s, held, "black", "集团贵宾", None, load_tier_table(s))
    with factory() as s, s.begin():
        report = apply_table(s, auth.SYSTEM, load_file(SEED_002), NOW)
    assert report.moves == {"black → diamond": 1, "black → platinum": 1, "diamond → d": 1,
                            "senior → -": 2}
    assert report.removed == ["black", "senior"] and report.added == ["d", "vip", "platinum"]
    assert report.changed == ["diamond"] and report.overrides_cleared == 1
    with factory() as s:
        table = load_tier_table(s)
        assert [t.code for t in table.tiers] == ["d", "vip", "platinum", "diamond"]
        assert [t.in_care_plan for t in table.tiers] == [False, False, True, True]
        assert table.by_code["diamond"].min_spend_cents == 100_000_000
        assert {b.code for b in table.by_code["vip"].benefits} == {
            "discount", "birthday_gift", "holiday_gift"}
        tiers = dict(s.execute(select(Member.member_no, Member.tier_code)).all())
        assert tiers == {"A": "diamond", "B": "platinum", "C": "d", "D": None, "E": None}
        assert s.scalar(select(Member.tier_override_code).where(Member.member_no == "E")) is None
        reasons = s.scalars(select(TierChange.reason).where(TierChange.to_tier == "platinum"))
        assert all(r and r.startswith("tier table") for r in reasons)
        # Through the ORM: tiers, benefits, deletions and moves all reach the outbox.
        queued = {(k, t) for k, t in s.execute(select(SyncOutbox.kind, SyncOutbox.table_name))}
        assert {("insert", "tiers"), ("update", "tiers"), ("delete", "tiers"),
                ("insert", "tier_benefits"), ("delete", "tier_benefits"),
                ("update", "members"), ("insert", "tier_changes")} <= queued


def test_applying_the_same_table_again_moves_nobody(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        _member(s, "A", 1_200_000)
        apply_table(s, auth.SYSTEM, load_file(SEED_002), NOW)
    with factory() as s, s.begin():
        again = apply_table(s, auth.SYSTEM, load_file(SEED_002), NOW)
    assert (again.added, again.changed, again.removed, again.moves) == ([], [], [], {})
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Tier)) == 4
        assert s.scalar(select(func.count()).select_from(TierBenefit)) == 9


def test_only_an_administrator_adopts_a_table(factory: sessionmaker[Session]) -> None:
    with factory() as s, pytest.raises(auth.PermissionDenied, match="administrators"):
        apply_table(s, auth.Actor(None, "manager", "店长"), load_file(SEED_002), NOW)

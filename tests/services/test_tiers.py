from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.models import Purchase, TierChange
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.tiers import (
    TierOverrideError,
    TierTable,
    load_tier_table,
    outlook,
    recompute_member,
    set_override,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def table(engine: Engine) -> TierTable:
    with Session(engine) as s:
        return load_tier_table(s)


@pytest.mark.parametrize(
    ("yuan", "code"),
    [(0, None), (49_999, None), (50_000, "senior"), (99_999, "senior"), (100_000, "diamond"),
     (199_999, "diamond"), (200_000, "black"), (10_000_000, "black")],
)
def test_thresholds_are_inclusive(table: TierTable, yuan: int, code: str | None) -> None:
    tier = table.for_spend(yuan * 100)
    assert (tier.code if tier else None) == code


def test_benefits_accumulate_upwards(table: TierTable) -> None:
    black = {b.code for b in table.by_code["black"].benefits}
    assert {"advisor", "birthday_gift", "discount", "airport_lounge", "priority_booking",
            "parking"} == black
    assert "parking" not in {b.code for b in table.by_code["diamond"].benefits}


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_more_spend_never_lowers_the_tier(a: int, b: int) -> None:
    from vipdesk.services.tiers import TierInfo

    table = TierTable([TierInfo("s", "s", "s", 1, 5_000_000, 15, "", ()),
                       TierInfo("d", "d", "d", 2, 10_000_000, 10, "", ()),
                       TierInfo("b", "b", "b", 3, 20_000_000, 5, "", ())])
    lo, hi = sorted((a, b))
    assert table.rank(getattr(table.for_spend(lo), "code", None)) <= table.rank(
        getattr(table.for_spend(hi), "code", None))


def _member_with_purchases(s: Session, amounts_days: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
    m = add_member(s, NewMember(member_no="M9", name_zh="赵敏", phones=["13911112222"]))
    for yuan, days in amounts_days:
        s.add(Purchase(member_id=m.id, occurred_at=NOW - timedelta(days=days),
                       amount_cents=yuan * 100))
    s.flush()
    return m


def test_trailing_window_excludes_old_purchases(engine: Engine, table: TierTable) -> None:
    with Session(engine) as s, s.begin():
        m = _member_with_purchases(s, [(60_000, 10), (150_000, 400)])
        tier = recompute_member(s, m, table, NOW)
        assert tier is not None and tier.code == "senior"
        assert m.spend_12m_cents == 6_000_000
        changes = s.scalars(select(TierChange).where(TierChange.member_id == m.id)).all()
        assert [(c.from_tier, c.to_tier, c.kind) for c in changes] == [(None, "senior", "auto")]


def test_override_needs_reason_and_is_recorded(engine: Engine, table: TierTable) -> None:
    with Session(engine) as s, s.begin():
        m = _member_with_purchases(s, [(60_000, 10)])
        recompute_member(s, m, table, NOW)
        with pytest.raises(TierOverrideError, match="reason"):
            set_override(s, m, "black", "  ", None, table)
        with pytest.raises(TierOverrideError, match="unknown"):
            set_override(s, m, "platinum", "x", None, table)
        set_override(s, m, "black", "介绍了三位新会员 referrals", None, table)
        assert m.tier_override_code == "black" and m.tier_code == "senior"
        kinds = [c.kind for c in s.scalars(select(TierChange).where(TierChange.member_id == m.id))]
        assert "override" in kinds


def test_outlook_warns_when_old_spend_expires(engine: Engine, table: TierTable) -> None:
    with Session(engine) as s, s.begin():
        m = _member_with_purchases(s, [(30_000, 10), (80_000, 350)])
        recompute_member(s, m, table, NOW)
        view = outlook(s, m, table, NOW)
        assert m.tier_code == "diamond"
        assert view.at_risk is not None and view.at_risk.code == ""

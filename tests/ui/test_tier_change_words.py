"""Tier changes the services record read in the desk's language in the member's history:
the reasons the purchase import, a new tier table and the daily pass write, as they
write them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import Member, Store
from vipdesk.services import auth
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.purchases import import_purchases
from vipdesk.services.tier_config import apply_table, load_file
from vipdesk.services.tiers import daily_pass, load_tier_table, set_override
from vipdesk.services.timeline import timeline
from vipdesk.ui import i18n
from vipdesk.ui.messages import note_text
from vipdesk.ui.timeline_view import TimelineModel

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SEED_002 = Path(__file__).resolve().parent.parent / "data" / "tiers_seed002.toml"
ADMIN = auth.Actor(None, "admin", "孙磊", None)  # type: ignore[arg-type]


@pytest.fixture
def chinese(qapp: Any) -> Iterator[None]:
    i18n.install("zh")
    yield
    i18n.install("en")


def _history(factory: sessionmaker[Session], tmp_path: Path) -> dict[str, Any]:
    """M1 buys (upgrade), the brand adopts seed 002's table (M1 moves, M2's override to
    a removed tier is cleared), a year on M1's spend lapses."""
    with unit_of_work(factory) as s:
        s.add(Store(code="SH01", name="上海一店"))
        add_member(s, NewMember(member_no="M1", name_zh="赵敏", phones=["13911112222"]))
        m2 = add_member(s, NewMember(member_no="M2", name_zh="周芷若", phones=["13933334444"]))
        set_override(s, m2, "senior", "集团贵宾", None, load_tier_table(s))
    pos = tmp_path / "pos.csv"
    pos.write_text("手机,消费时间,金额,小票号\n13911112222,2026-11-20 15:30,120000,R-1\n",
                   encoding="utf-8")
    assert import_purchases(factory, pos, auth.SYSTEM, "SH01", clock=FixedClock(NOW)).ok
    with unit_of_work(factory) as s:
        apply_table(s, ADMIN, load_file(SEED_002), NOW)
    with unit_of_work(factory) as s:
        daily_pass(s, load_tier_table(s), NOW + timedelta(days=366))
    with factory() as s:
        ids = {no: mid for no, mid in s.execute(select(Member.member_no, Member.id))}
        return {no: [e for e in timeline(s, mid) if e.kind == "tier"] for no, mid in ids.items()}


def test_automatic_tier_changes_read_in_chinese(
        chinese: None, factory: sessionmaker[Session], tmp_path: Path) -> None:
    history = _history(factory, tmp_path)
    reasons = {e.detail for entries in history.values() for e in entries}
    assert {"purchase: 12m spend ¥120,000", "tier table: 12m spend ¥120,000",
            "tier table: tier senior removed", "lapse: 12m spend ¥0"} <= reasons
    assert note_text("purchase: 12m spend ¥120,000") == "新增消费；近12个月消费 ¥120,000"
    assert note_text("lapse: 12m spend ¥0") == "早前消费已满12个月，不再计入；近12个月消费 ¥0"
    assert note_text("tier table: tier senior removed") == "启用新的等级方案：高级会员已取消"
    model = TimelineModel()
    model.reset([e for entries in history.values() for e in entries], page_size=50)
    rows = [model.data(model.index(i)) for i in range(model.rowCount())]
    assert len(rows) >= 5
    for row in rows:  # the reason, on the row's second line, has no English left
        reason = row.split("\n", 1)[1]
        assert not re.search(r"[A-Za-z]", reason), row

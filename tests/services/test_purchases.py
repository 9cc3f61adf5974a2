"""POS purchases come in, tiers follow the trailing 12 months' spend (SPEC §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import Member, PointsEntry, Purchase, Store, SyncOutbox, TierChange
from vipdesk.services import auth
from vipdesk.services.clock import FixedClock
from vipdesk.services.importer import ImportFileError
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.purchases import import_purchases
from vipdesk.services.tiers import (
    DailyTierPass,
    TierTable,
    daily_pass,
    load_tier_table,
    recompute_member,
    set_override,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
HEADER = "手机,卡号,会员号,消费时间,金额,商品,门店,小票号\n"


@pytest.fixture
def table(engine: Engine) -> TierTable:
    with Session(engine) as s:
        return load_tier_table(s)


@pytest.fixture
def members(factory: sessionmaker[Session]) -> dict[str, Member]:
    with factory() as s, s.begin():
        s.add_all([Store(code="SH01", name="上海一店"), Store(code="BJ01", name="北京一店")])
        out = {
            "M1": add_member(s, NewMember(member_no="M1", name_zh="赵敏",
                                          phones=["13911112222"], cards=["880000000001"])),
            "M2": add_member(s, NewMember(member_no="M2", name_zh="周芷若",
                                          phones=["13933334444"])),
        }
        s.expunge_all()
    return out


def _csv(tmp_path: Path, *rows: str, name: str = "pos.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _import(factory: sessionmaker[Session], path: Path, clock: FixedClock | None = None):  # type: ignore[no-untyped-def]
    return import_purchases(factory, path, auth.SYSTEM, "SH01", clock=clock or FixedClock(NOW))


def _changes(s: Session, member_no: str) -> list[tuple[str | None, str | None]]:
    mid = s.scalar(select(Member.id).where(Member.member_no == member_no))
    rows = s.scalars(select(TierChange).where(TierChange.member_id == mid)
                     .order_by(TierChange.created_at)).all()
    return [(c.from_tier, c.to_tier) for c in rows]


def test_a_purchase_upgrades_and_records_the_change(
        factory: sessionmaker[Session], members: dict[str, Member], tmp_path: Path) -> None:
    path = _csv(tmp_path,
                "139 1111 2222,,,2026-11-20 15:30,\"¥120,000.00\",手袋,SH01,R-1",
                ",8800 0000 0001,,2026/11/21 10:00,30000,围巾,,R-2",
                ",,m2,2026-11-22,60000元,,BJ01,R-1")
    report = _import(factory, path)
    assert report.ok, report.rejected
    assert (report.imported, report.members) == (3, 2)
    assert report.tier_moves == {"- → diamond": 1, "- → senior": 1}
    with factory() as s:
        m1 = s.scalar(select(Member).where(Member.member_no == "M1"))
        assert m1 is not None and m1.tier_code == "diamond"
        assert m1.spend_12m_cents == 15_000_000
        # Once per member per import: two purchases, one change.
        assert _changes(s, "M1") == [(None, "diamond")]
        change = s.scalar(select(TierChange).where(TierChange.member_id == m1.id))
        assert change is not None and change.reason is not None
        assert change.reason.startswith("purchase")
        points = s.scalar(select(func.sum(PointsEntry.delta))
                          .where(PointsEntry.member_id == m1.id, PointsEntry.kind == "earn"))
        assert points == 150_000  # 1 point per ¥1 by default
        # Written through the ORM: the sync outbox carries the purchases and the change.
        queued = set(s.scalars(select(SyncOutbox.table_name)))
        assert {"purchases", "points_entries", "tier_changes", "members"} <= queued


def test_re_import_changes_nothing(
        factory: sessionmaker[Session], members: dict[str, Member], tmp_path: Path) -> None:
    path = _csv(tmp_path, "13911112222,,,2026-11-20 15:30,60000,,SH01,R-1",
                "13933334444,,,2026-11-20 16:30,500,,SH01,R-2")
    assert _import(factory, path).imported == 2
    with factory() as s:
        counts = [s.scalar(select(func.count()).select_from(t))
                  for t in (Purchase, PointsEntry, TierChange, SyncOutbox)]
    again = _import(factory, path)
    assert again.ok and (again.imported, again.unchanged, again.points) == (0, 2, 0)
    with factory() as s:
        assert counts == [s.scalar(select(func.count()).select_from(t))
                          for t in (Purchase, PointsEntry, TierChange, SyncOutbox)]


def test_broken_rows_are_reported_by_line_and_nothing_half_written(
        factory: sessionmaker[Session], members: dict[str, Member], tmp_path: Path) -> None:
    path = _csv(tmp_path,
                "13911112222,,,2026-11-20 15:30,60000,,SH01,R-1",
                "13900000000,,,2026-11-20 15:30,100,,SH01,R-2",  # nobody's phone
                "13911112222,,,2026-13-45 15:30,100,,SH01,R-3",  # no such day
                "13911112222,,,2026-11-20 15:30,-50,,SH01,R-4",  # a return
                "13911112222,,,2026-11-20 15:30,abc,,SH01,R-5",
                "13911112222,,,2027-11-20 15:30,100,,SH01,R-6",  # in the future
                "13911112222,,,2026-11-20 15:30,100,,XX99,R-7",  # unknown store
                "13911112222,,,2026-11-20 15:30,100,,SH01,R-1",  # same receipt again
                "13911112222,,M2,2026-11-20 15:30,100,,SH01,R-8",  # two members named
                ",,,2026-11-20 15:30,100,,SH01,R-9",
                "13911112222,,,2026-11-20 15:30,100,,SH01,")
    report = _import(factory, path)
    assert not report.ok and report.imported == 1
    reasons = {r.line: r.reason for r in report.rejected}
    assert sorted(reasons) == list(range(3, 13))
    assert "no such member" in reasons[3]
    assert "time" in reasons[4]
    assert "not more than zero" in reasons[5]
    assert "amount" in reasons[6]
    assert "future" in reasons[7]
    assert "no such store" in reasons[8]
    assert "already on line 2" in reasons[9]
    assert "different members" in reasons[10]
    assert "whose purchase" in reasons[11]
    assert "receipt_no: empty" in reasons[12]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Purchase)) == 1
        assert s.scalar(select(func.count()).select_from(PointsEntry)) == 1


def test_a_receipt_imported_with_other_content_is_refused(
        factory: sessionmaker[Session], members: dict[str, Member], tmp_path: Path) -> None:
    _import(factory, _csv(tmp_path, "13911112222,,,2026-11-20 15:30,600,,SH01,R-1"))
    report = _import(factory, _csv(tmp_path, "13911112222,,,2026-11-20 15:30,900,,SH01,R-1",
                                   name="changed.csv"))
    assert [r.line for r in report.rejected] == [2]
    assert "not overwritten" in report.rejected[0].reason


def test_a_file_without_the_needed_columns_is_refused(
        factory: sessionmaker[Session], members: dict[str, Member], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,amount\n赵敏,100\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="receipt_no"):
        _import(factory, path)


def test_gb18030_export_is_read(
        factory: sessionmaker[Session], members: dict[str, Member], tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "13911112222,,,2026-11-20 15:30,100,丝巾,SH01,R-1\n")
                     .encode("gb18030"))
    report = _import(factory, path)
    assert report.ok and report.encoding == "gb18030" and report.imported == 1


def test_staff_may_not_import_purchases(
        factory: sessionmaker[Session], members: dict[str, Member], tmp_path: Path) -> None:
    path = _csv(tmp_path, "13911112222,,,2026-11-20 15:30,100,,SH01,R-1")
    with pytest.raises(auth.PermissionDenied):
        import_purchases(factory, path, auth.Actor(None, "staff", "x"), "SH01",
                         clock=FixedClock(NOW))


# -- the daily pass ---------------------------------------------------------------------


def _black_card_500_days_ago(factory: sessionmaker[Session], table: TierTable) -> None:
    with factory() as s, s.begin():
        m = add_member(s, NewMember(member_no="B1", name_zh="黑卡", phones=["13955556666"]))
        s.add(Purchase(member_id=m.id, occurred_at=NOW - timedelta(days=500),
                       amount_cents=30_000_000))
        s.flush()
        recompute_member(s, m, table, NOW - timedelta(days=499))
        assert m.tier_code == "black"


def test_a_black_card_whose_last_purchase_was_500_days_ago_drops(
        factory: sessionmaker[Session], table: TierTable) -> None:
    _black_card_500_days_ago(factory, table)
    with factory() as s, s.begin():
        report = daily_pass(s, table, NOW)
    assert report.moves == {("black", None): 1}
    with factory() as s:
        m = s.scalar(select(Member).where(Member.member_no == "B1"))
        assert m is not None and m.tier_code is None and m.spend_12m_cents == 0
        change = s.scalar(select(TierChange).where(TierChange.member_id == m.id,
                                                   TierChange.from_tier == "black"))
        assert change is not None and change.to_tier is None
        assert change.reason is not None and change.reason.startswith("lapse")
    with factory() as s, s.begin():  # a second pass the same day moves nobody
        assert daily_pass(s, table, NOW).moved == 0


def test_the_pass_leaves_a_managers_override(
        factory: sessionmaker[Session], table: TierTable) -> None:
    _black_card_500_days_ago(factory, table)
    with factory() as s, s.begin():
        m = s.scalar(select(Member).where(Member.member_no == "B1"))
        assert m is not None
        set_override(s, m, "black", "介绍了三位新会员", None, table)
    with factory() as s, s.begin():
        assert daily_pass(s, table, NOW).moved == 0
    with factory() as s:
        m = s.scalar(select(Member).where(Member.member_no == "B1"))
        assert m is not None and (m.tier_override_code, m.tier_code) == ("black", "black")


def test_the_desk_runs_the_pass_once_per_local_day(
        factory: sessionmaker[Session], table: TierTable) -> None:
    _black_card_500_days_ago(factory, table)
    clock = FixedClock(NOW)
    daily = DailyTierPass(factory, clock)
    first = daily.run_if_new_day()
    assert first is not None and first.moved == 1
    assert daily.run_if_new_day() is None  # same day: nothing to do
    assert DailyTierPass(factory, clock).run_if_new_day() is None  # nor after a restart
    clock.advance(days=1)
    again = daily.run_if_new_day()
    assert again is not None and again.moved == 0


def test_the_window_start_up_runs_the_pass() -> None:
    """The composition root opens the day before anything reads tiers."""
    import inspect

    from vipdesk import app

    source = inspect.getsource(app.build)
    assert "run_if_new_day()" in source
    assert source.index("run_if_new_day()") < source.index("MainWindow(")


def test_two_desks_finding_the_same_lapse_write_the_same_row(
        engine: Engine, factory: sessionmaker[Session], table: TierTable, tmp_path: Path) -> None:
    """Each desk runs the pass when it opens; the centre must see one lapse, not two."""
    import shutil

    from vipdesk.db import open_desk_db, session_factory

    _black_card_500_days_ago(factory, table)
    engine.dispose()
    shutil.copy(tmp_path / "desk.db", tmp_path / "other.db")
    other = open_desk_db(tmp_path / "other.db")
    rows = []
    for desk, hours in ((factory, 1), (session_factory(other), 9)):  # opened hours apart
        with desk() as s, s.begin():
            daily_pass(s, table, NOW + timedelta(hours=hours))
        with desk() as s:
            rows.append(s.execute(select(TierChange.id, TierChange.created_at,
                                         TierChange.reason, TierChange.to_tier)
                                  .where(TierChange.from_tier == "black")).one())
    other.dispose()
    assert rows[0] == rows[1]

"""The purchase import's and the re-tiering's bulk paths write what the ORM paths wrote
(`purchases_reference`): the same purchases, points, tier changes, member tiers and
outbox ops; an import killed mid-way leaves whole batches only."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.services import purchases_reference as reference
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.models import Member, Store
from vipdesk.services import auth, purchase_writes, purchases
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.purchases import PurchaseImportReport, import_purchases
from vipdesk.services.tier_moves import DEFAULTS_NAMESPACE
from vipdesk.services.tiers import (
    WHY_LAPSE,
    WHY_SPEND,
    PassReport,
    daily_pass,
    load_tier_table,
    set_override,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
HEADER = "手机,卡号,会员号,消费时间,金额,商品,门店,小票号\n"
ROWS = (
    "139 1111 2222,,,2026-11-20 15:30,\"¥120,000.00\",手袋,SH01,R-1",
    ",8800 0000 0001,,2026/11/21 10:00,30000,围巾,,R-2",
    ",,m2,2026-11-22,60000元,,BJ01,R-1",
    ",880000000003,,2026-10-01 09:00,5000,香水,SH01,R-3",  # overridden: stays black
    "13933334444,,,2025-06-01 12:00,800,,SH01,R-4",  # outside the 12 months: points only
    "13900000000,,,2026-11-20 15:30,100,,SH01,R-5",  # nobody's phone
    "13911112222,,,2026-11-20 15:30,100,,SH01,R-1",  # the same receipt again
    ",,M4,2026-11-20 15:30,100,,SH01,R-7",  # erased
    "13911112222,,,2026-11-24 18:00,100.50,,SH01,R-6",
    ",,M5,2026-11-23 11:00,10000,,SH01,R-8",  # a small spend: no tier yet
)
IDS = ("id", "member_id", "store_id", "ref_id", "record_id")
TIMES = ("created_at", "updated_at")


def desk(path: Path) -> tuple[Engine, sessionmaker[Session]]:
    engine = open_desk_db(path)
    factory = session_factory(engine)
    with unit_of_work(factory) as s:
        from vipdesk.services.tiers import seed_default_tiers

        seed_default_tiers(s)
        s.add_all([Store(code="SH01", name="上海一店"), Store(code="BJ01", name="北京一店")])
        people = {no: add_member(s, NewMember(member_no=no, name_zh=name, phones=ph, cards=cards))
                  for no, name, ph, cards in (
                      ("M1", "赵敏", ["13911112222"], ["880000000001"]),
                      ("M2", "周芷若", ["13933334444"], []),
                      ("M3", "小昭", [], ["880000000003"]),
                      ("M4", "殷离", ["13955556666"], []),
                      ("M5", "黛绮丝", [], []))}
        set_override(s, people["M3"], "black", "集团贵宾", None, load_tier_table(s))
        people["M4"].erased_at = NOW - timedelta(days=3)
    return engine, factory


def pos_file(tmp_path: Path) -> Path:
    path = tmp_path / "pos.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in ROWS), encoding="utf-8")
    return path


def use_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The import writes and re-tiers as it did through the ORM."""
    def write_batch(session: Session, batch: list[Any], capture: bool) -> None:
        reference.write_purchases(session, batch)

    def retier_members(factory: sessionmaker[Session], member_ids: set[str],
                       table: Any, now: datetime) -> dict[str, int]:
        with unit_of_work(factory) as session:
            report = reference.recompute_members(
                session, [uuid.UUID(m) for m in member_ids], table, now, WHY_SPEND)
        return {f"{b or '-'} → {a or '-'}": n for (b, a), n in report.moves.items()}

    monkeypatch.setattr(purchases, "write_batch", write_batch)
    monkeypatch.setattr(purchases, "retier_members", retier_members)


def summary(report: PurchaseImportReport) -> tuple[Any, ...]:
    return (report.rows, report.imported, report.unchanged, report.points, report.members,
            report.tier_moves, [(r.line, r.reason) for r in report.rejected])


def comparable(engine: Engine, since: int) -> dict[str, Any]:
    """The rows the import and the pass write, ids replaced by natural keys (member and
    store numbers, store/receipt) and generated times dropped; the outbox ops after
    `since` in order, normalised alike."""
    with engine.connect() as conn:
        names: dict[str, str] = {}
        for sql in ("SELECT id, 'member ' || member_no FROM members",
                    "SELECT id, 'store ' || code FROM stores",
                    "SELECT p.id, 'receipt ' || s.code || '/' || p.receipt_no FROM purchases p "
                    "JOIN stores s ON s.id = p.store_id"):
            names.update({k: v for k, v in conn.execute(text(sql))})
        names.update({str(uuid.UUID(k)): v for k, v in names.items()})
        out = {table: sorted((_plain(dict(r), names) for r in conn.execute(text(
            f"SELECT * FROM {table}")).mappings()), key=repr)
            for table in ("purchases", "points_entries", "tier_changes")}
        out["members"] = conn.execute(text(
            "SELECT member_no, tier_code, tier_override_code, spend_12m_cents FROM members "
            "ORDER BY member_no")).all()
        ops = conn.execute(text("SELECT kind, table_name, record_id, payload FROM sync_outbox "
                                "WHERE seq > :since ORDER BY seq"), {"since": since}).all()
    out["ops"] = _runs([(kind, table, names.get(record, "<own id>"),
                         _payload(payload, names)) for kind, table, record, payload in ops])
    return out


def _runs(ops: list[tuple[Any, ...]]) -> list[Any]:
    """The ops in order, each run of one kind on one table sorted (the ORM's order within
    a flush is a set's)."""
    runs: list[tuple[str, str, list[str]]] = []
    for kind, table, record, payload in ops:
        if not runs or runs[-1][:2] != (kind, table):
            runs.append((kind, table, []))
        runs[-1][2].append(json.dumps([record, payload], sort_keys=True, ensure_ascii=False))
    return [(kind, table, sorted(entries)) for kind, table, entries in runs]


def _plain(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    for key in IDS:
        if key in row and row[key] is not None:
            row[key] = names.get(row[key], "<own id>")
    return {k: v for k, v in row.items() if k not in TIMES}


def _payload(text_: str, names: dict[str, str]) -> Any:
    payload = json.loads(text_)
    if "row" in payload:
        payload["row"] = _plain(payload["row"], names)
    return payload


def last_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM sync_outbox")).scalar())


@pytest.mark.parametrize("large", [False, True])
def test_the_import_writes_what_the_orm_path_wrote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, large: bool) -> None:
    """Batch by batch, or (a large file) in one transaction with the indexes built after."""
    path = pos_file(tmp_path)
    monkeypatch.setattr(purchase_writes, "LARGE_FILE_ROWS", 1 if large else 10**9)
    results = []
    for name in ("bulk", "orm"):
        if name == "orm":
            use_reference(monkeypatch)
        engine, factory = desk(tmp_path / f"{name}.db")
        since = last_seq(engine)
        first = import_purchases(factory, path, auth.SYSTEM, "SH01", clock=FixedClock(NOW))
        again = import_purchases(factory, path, auth.SYSTEM, "SH01", clock=FixedClock(NOW))
        results.append((summary(first), summary(again), comparable(engine, since)))
        engine.dispose()
    bulk, orm = results
    assert bulk[0][1:3] == (7, 0) and bulk[1][1:3] == (0, 7)  # imported, then unchanged
    assert [line for line, _ in bulk[0][-1]] == [7, 8, 9]
    assert bulk[0][5] == {"- → diamond": 1, "- → senior": 1}
    assert [(kind, table, len(ops)) for kind, table, ops in bulk[2]["ops"]] == [
        ("insert", "points_entries", 7), ("insert", "purchases", 7),
        ("insert", "tier_changes", 2), ("update", "members", 2)]
    assert bulk == orm


def test_the_daily_pass_writes_what_the_orm_pass_wrote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = pos_file(tmp_path)
    later = NOW + timedelta(days=362)  # only the receipts of 23 and 24 November still count
    results = []
    for name, retier in (("bulk", daily_pass), ("orm", _reference_pass)):
        engine, factory = desk(tmp_path / f"{name}.db")
        import_purchases(factory, path, auth.SYSTEM, "SH01", clock=FixedClock(NOW))
        since = last_seq(engine)
        with unit_of_work(factory) as s:
            report = retier(s, load_tier_table(s), later)
        with unit_of_work(factory) as s:
            assert retier(s, load_tier_table(s), later).moved == 0  # idempotent
        results.append((report.members, report.moves, comparable(engine, since)))
        _lapse_ids_are_derived(engine)
        engine.dispose()
    bulk, orm = results
    assert bulk[:2] == (4, {("senior", None): 1, ("diamond", None): 1})
    assert bulk == orm


def _reference_pass(session: Session, table: Any, now: datetime) -> PassReport:
    return reference.retier(session, table, WHY_LAPSE, now)


def _lapse_ids_are_derived(engine: Engine) -> None:
    """A lapse's id is the member, the move, the day and the reason (two desks finding
    the same lapse write the same row)."""
    with engine.connect() as conn:
        lapses = conn.execute(text(
            "SELECT id, member_id, from_tier, to_tier, created_at, reason FROM tier_changes "
            "WHERE reason LIKE 'lapse:%'")).all()
    assert lapses
    for change_id, member, old, new, at, reason in lapses:
        day = datetime.fromisoformat(at).replace(tzinfo=UTC)
        assert uuid.UUID(change_id) == uuid.uuid5(
            DEFAULTS_NAMESPACE,
            f"lapse/{uuid.UUID(member)}/{old}/{new}/{day.isoformat()}/{reason}")


def test_an_import_killed_mid_way_leaves_whole_batches_and_a_rerun_finishes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, factory = desk(tmp_path / "desk.db")
    monkeypatch.setattr(purchases, "BATCH_ROWS", 3)
    path = tmp_path / "pos.csv"
    path.write_text(HEADER + "".join(f"13911112222,,,2026-11-{i:02d} 10:00,{i}000,,SH01,K{i}\n"
                                     for i in range(1, 11)), encoding="utf-8")
    real = purchases.PurchaseWriter.write

    def power_cut(self: Any, batch: list[Any]) -> None:
        real(self, batch)  # the batch's rows are in, uncommitted…
        if any(item.receipt_no == "K7" for item in batch):
            raise KeyboardInterrupt  # …and the process dies before COMMIT

    monkeypatch.setattr(purchases.PurchaseWriter, "write", power_cut)
    with pytest.raises(KeyboardInterrupt):
        import_purchases(factory, path, auth.SYSTEM, "SH01", clock=FixedClock(NOW))
    assert _counts(engine) == (6, 6, 6, 6)  # two whole batches of three
    monkeypatch.setattr(purchases.PurchaseWriter, "write", real)
    again = import_purchases(factory, path, auth.SYSTEM, "SH01", clock=FixedClock(NOW))
    assert (again.unchanged, again.imported, again.ok) == (6, 4, True)
    assert _counts(engine) == (10, 10, 10, 10)
    with factory() as s:
        m1 = s.scalar(select(Member).where(Member.member_no == "M1"))
        assert m1 is not None and m1.spend_12m_cents == 5_500_000  # the rerun re-tiers


def _counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(int(conn.execute(text(sql)).scalar()) for sql in (
            "SELECT count(*) FROM purchases", "SELECT count(*) FROM points_entries",
            "SELECT count(*) FROM sync_outbox WHERE table_name = 'purchases'",
            "SELECT count(*) FROM sync_outbox WHERE table_name = 'points_entries'"))



def test_a_large_import_killed_mid_way_leaves_the_desk_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, factory = desk(tmp_path / "desk.db")
    with engine.connect() as conn:
        indexes = _indexes(conn)
    monkeypatch.setattr(purchase_writes, "LARGE_FILE_ROWS", 5)
    monkeypatch.setattr(purchases, "BATCH_ROWS", 3)
    path = tmp_path / "pos.csv"
    path.write_text(HEADER + "".join(f"13911112222,,,2026-11-{i:02d} 10:00,{i}000,,SH01,K{i}\n"
                                     for i in range(1, 11)), encoding="utf-8")
    real = purchases.PurchaseWriter.write

    def power_cut(self: Any, batch: list[Any]) -> None:
        real(self, batch)
        if any(item.receipt_no == "K7" for item in batch):
            raise KeyboardInterrupt

    monkeypatch.setattr(purchases.PurchaseWriter, "write", power_cut)
    with pytest.raises(KeyboardInterrupt):
        import_purchases(factory, path, auth.SYSTEM, "SH01", clock=FixedClock(NOW))
    assert _counts(engine) == (0, 0, 0, 0)  # one transaction: nothing, indexes back
    with engine.connect() as conn:
        assert _indexes(conn) == indexes
    monkeypatch.setattr(purchases.PurchaseWriter, "write", real)
    again = import_purchases(factory, path, auth.SYSTEM, "SH01", clock=FixedClock(NOW))
    assert (again.imported, again.ok) == (10, True)
    assert _counts(engine) == (10, 10, 10, 10)
    with engine.connect() as conn:
        assert _indexes(conn) == indexes


def _indexes(conn: Any) -> list[Any]:
    return conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                             "AND tbl_name IN ('purchases', 'points_entries') ORDER BY name")).all()


def test_the_window_hears_of_every_table_the_import_and_the_pass_write(tmp_path: Path) -> None:
    """The bulk statements go through SQLAlchemy's connection: the change stream reads
    the tables off them as off the ORM's."""
    from vipdesk import change_stream

    engine, factory = desk(tmp_path / "desk.db")
    with change_stream.collect() as written:
        import_purchases(factory, pos_file(tmp_path), auth.SYSTEM, "SH01",
                         clock=FixedClock(NOW))
    assert {"purchases", "points_entries", "tier_changes", "members",
            "sync_outbox"} <= written
    with change_stream.collect() as written, unit_of_work(factory) as s:
        daily_pass(s, load_tier_table(s), NOW + timedelta(days=400))
    assert {"tier_changes", "members", "sync_outbox"} <= written
    engine.dispose()

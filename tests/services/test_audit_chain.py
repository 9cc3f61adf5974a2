"""The audit log's hash chain: every rewrite is refused, and whatever an attacker with a
shell forces past the triggers shows in `audit verify`."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, exc, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.services.conftest import Lounge
from vipdesk.cli.main import main
from vipdesk.db import make_engine, open_desk_db, session_factory, sqlite_url, unit_of_work, upgrade
from vipdesk.models import AuditEntry
from vipdesk.outbox import audit_chain, tables
from vipdesk.services import audit
from vipdesk.services.auth import SYSTEM
from vipdesk.sync import bulk

TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_rewrite")


def _write(factory: sessionmaker[Session], lounge: Lounge, n: int) -> None:
    with unit_of_work(factory) as s:
        for i in range(n):
            audit.record(s, lounge.staff, "member.view", lounge.wang, f"view {i}", lounge.clock)
            lounge.clock.advance(minutes=1)


def _entries(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _report(engine: Engine) -> audit_chain.ChainReport:
    with engine.connect() as conn:
        return audit_chain.verify(conn)


def _as_attacker(engine: Engine, *statements: str) -> None:
    """A shell on the desk: triggers dropped, then raw SQL."""
    with engine.begin() as conn:
        for name in TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        for sql in statements:
            conn.exec_driver_sql(sql)


def _cli_verify(engine: Engine, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["audit", "verify", "--json", "--db", str(engine.url.database)])
    return code, json.loads(capsys.readouterr().out)


def test_entries_form_one_chain_that_verifies(factory: sessionmaker[Session], lounge: Lounge,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _write(factory, lounge, 3)
    _write(factory, lounge, 2)
    rows = _entries(factory.kw["bind"])
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit_chain.GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(rows))
    assert len({r.desk_key for r in rows}) == 1
    code, out = _cli_verify(factory.kw["bind"], capsys)
    assert (code, out["intact"], out["breaks"]) == (0, True, [])
    assert out["entries"] == {rows[0].desk_key: 5}


def _middle_id(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SELECT id FROM audit_log WHERE seq = 2").scalar())


def test_an_edited_entry_is_named(factory: sessionmaker[Session], lounge: Lounge,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    _write(factory, lounge, 3)
    engine = factory.kw["bind"]
    _as_attacker(engine, "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2")
    code, out = _cli_verify(engine, capsys)
    assert code == 4 and not out["intact"]
    [brk] = out["breaks"]
    assert brk["seq"] == 2 and "altered" in brk["problem"]


def test_a_deleted_entry_is_named(factory: sessionmaker[Session], lounge: Lounge,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    _write(factory, lounge, 3)
    engine = factory.kw["bind"]
    _as_attacker(engine, "DELETE FROM audit_log WHERE seq = 2")
    code, out = _cli_verify(engine, capsys)
    assert code == 4 and "entry 2 is missing" in out["breaks"][0]["problem"]
    # Deleting the last entries too and renumbering still breaks the links.
    _as_attacker(engine, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
    assert "does not follow" in _report(engine).breaks[0].problem


def test_insert_or_replace_is_refused_and_a_forced_one_shows(
        factory: sessionmaker[Session], lounge: Lounge) -> None:
    _write(factory, lounge, 3)
    engine = factory.kw["bind"]
    columns = "id, at, staff_id, staff_no, staff_name, role, store_id, desk, action, " \
              "member_id, detail, desk_key, seq, prev_hash, entry_hash"
    rewritten = columns.replace("detail", "'rewritten'")
    replace = f"INSERT OR REPLACE INTO audit_log ({columns}) SELECT {rewritten} " \
              "FROM audit_log WHERE seq = 2"
    with pytest.raises(exc.IntegrityError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(replace)
    assert [r.detail for r in _entries(engine)] == ["view 0", "view 1", "view 2"]
    _as_attacker(engine, replace)  # recursive triggers off: no DELETE trigger would fire
    assert [r.detail for r in _entries(engine)] == ["view 0", "rewritten", "view 2"]
    [brk] = _report(engine).breaks
    assert brk.seq == 2 and "altered" in brk.problem


def test_same_entry_twice_is_skipped_quietly(factory: sessionmaker[Session],
                                             lounge: Lounge) -> None:
    """Sync re-delivers rows: an identical entry is ignored, like ON CONFLICT DO NOTHING."""
    _write(factory, lounge, 2)
    engine = factory.kw["bind"]
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log")
    assert len(_entries(engine)) == 2 and _report(engine).intact


def test_an_appended_forgery_is_refused_or_shows(factory: sessionmaker[Session],
                                                 lounge: Lounge) -> None:
    _write(factory, lounge, 2)
    engine = factory.kw["bind"]
    last = _entries(engine)[-1]
    forged = ("INSERT INTO audit_log (id, at, staff_no, staff_name, role, desk, action, "
              "detail, desk_key, seq, prev_hash, entry_hash) VALUES ('{id}', "
              "'2026-11-25 09:00:00.000000', 'S001', 'x', 'manager', '', 'member.view', '', "
              "'{key}', {seq}, '{prev}', '{hash}')")
    out_of_chain = forged.format(id="f" * 32, key=last.desk_key, seq=7, prev="0" * 64,
                                 hash="1" * 64)
    with pytest.raises(exc.IntegrityError, match="does not continue"), \
            engine.begin() as conn:
        conn.exec_driver_sql(out_of_chain)
    # Past the trigger, continuing the chain but without the hash's recipe:
    _as_attacker(engine, forged.format(id="e" * 32, key=last.desk_key, seq=3,
                                       prev=last.entry_hash, hash="1" * 64))
    [brk] = _report(engine).breaks
    assert (brk.seq, brk.entry_id) == (3, "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee")
    assert not _report(engine).local_intact


def test_reordered_entries_show(factory: sessionmaker[Session], lounge: Lounge) -> None:
    _write(factory, lounge, 3)
    engine = factory.kw["bind"]
    _as_attacker(engine, "UPDATE audit_log SET seq = -1 WHERE seq = 1",
                 "UPDATE audit_log SET seq = 1 WHERE seq = 2",
                 "UPDATE audit_log SET seq = 2 WHERE seq = -1")
    [brk] = _report(engine).breaks
    assert brk.seq == 1


def test_a_dropped_table_is_a_clear_error(factory: sessionmaker[Session], lounge: Lounge,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _write(factory, lounge, 1)
    engine = factory.kw["bind"]
    _as_attacker(engine, "DROP TABLE audit_log")
    db = str(engine.url.database)
    assert main(["audit", "verify", "--db", db]) == 4
    err = capsys.readouterr().err
    assert "audit log table is missing" in err and len(err.strip().splitlines()) == 1
    for argv in (["audit", "list"], ["erase", "M0000001", "--reason", "r", "--yes"]):
        assert main([*argv, "--db", db]) == 3
        captured = capsys.readouterr()
        assert "audit log table is missing" in captured.err
        assert "Traceback" not in captured.err + captured.out


def test_two_writers_queue_instead_of_forking(tmp_path: Path, lounge: Lounge,
                                              factory: sessionmaker[Session]) -> None:
    """Two connections (as two processes would have) write to the same chain at once:
    the second waits for the first's commit, then continues after it."""
    engine = factory.kw["bind"]
    other = open_desk_db(str(engine.url.database), migrate=False)
    second_done = threading.Event()

    def second_writer() -> None:
        with unit_of_work(session_factory(other)) as s:
            audit.record(s, lounge.manager, "member.change", lounge.li, "second")
        second_done.set()

    with unit_of_work(factory) as s:
        audit.record(s, lounge.staff, "member.view", lounge.wang, "first")
        s.flush()  # the first writer holds its place in the chain
        worker = threading.Thread(target=second_writer)
        worker.start()
        time.sleep(0.3)
        assert not second_done.is_set()  # waiting, not forking
    worker.join(10)
    other.dispose()
    assert [(r.seq, r.detail) for r in _entries(engine)] == [(1, "first"), (2, "second")]
    assert _report(engine).intact


def test_a_taken_place_is_refused_by_the_database(factory: sessionmaker[Session],
                                                  lounge: Lounge) -> None:
    _write(factory, lounge, 1)
    engine = factory.kw["bind"]
    with pytest.raises(exc.IntegrityError, match="taken"), engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_log (id, at, staff_no, staff_name, role, desk, action, detail,"
            " desk_key, seq, prev_hash, entry_hash) SELECT 'ab' || substr(id, 3), at, "
            "staff_no, staff_name, role, desk, action, detail, desk_key, seq, prev_hash, "
            "entry_hash FROM audit_log")


def test_entries_from_another_desk_keep_their_chain(tmp_path: Path, lounge: Lounge,
                                                    factory: sessionmaker[Session]) -> None:
    """The chain fields travel with the row; pulled entries verify as the other desk's."""
    assert {"desk_key", "seq", "prev_hash", "entry_hash"} <= \
        tables.synced_column_names("audit_log")
    there = open_desk_db(tmp_path / "beijing.db")
    with unit_of_work(session_factory(there)) as s:
        for i in range(3):
            audit.record(s, lounge.manager, "member.view", None, f"bj {i}", lounge.clock)
    with there.connect() as conn:
        wire = [tables.encode_row("audit_log", r._mapping)
                for r in conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq))]
    there.dispose()
    _write(factory, lounge, 2)
    engine = factory.kw["bind"]
    for _ in range(2):  # the second delivery changes nothing
        with engine.begin() as conn:
            bulk.sqlite_insert_wire(conn, "audit_log", wire)
    report = _report(engine)
    assert report.intact and sorted(report.entries.values()) == [2, 3]
    _write(factory, lounge, 1)  # this desk's chain goes on as before
    assert _report(engine).entries[report.local_key] == 3


def test_migration_chains_an_old_desks_entries(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "old.db"))
    upgrade(engine, "d81c4e6f2a97")
    with engine.begin() as conn:
        for n, at in enumerate(("2026-11-20 10:00:00.000000", "2026-11-19 10:00:00.000000",
                                "2026-11-20 10:00:00.000000")):
            conn.execute(text(
                "INSERT INTO audit_log (id, at, staff_no, staff_name, role, desk, action, "
                "detail) VALUES (:id, :at, 'S001', '周婷', 'manager', 'desk', 'member.view', "
                ":d)"), {"id": f"{9 - n:032x}", "at": at, "d": f"old {n}"})
        conn.execute(text(  # one of them not yet sent to the centre
            "INSERT INTO sync_outbox (op_id, kind, table_name, record_id, payload, hlc, "
            "protocol, created_at) VALUES (:op, 'insert', 'audit_log', :id, :p, '0', 1, "
            "'2026-11-20 10:00:00.000000')"),
            {"op": "a" * 32, "id": f"{9:032x}", "p": json.dumps({"row": {"detail": "old 0"}})})
    upgrade(engine)
    entries = _entries(engine)
    assert [r.detail for r in entries] == ["old 1", "old 2", "old 0"]
    report = _report(engine)
    assert report.intact and report.entries == {report.local_key: 3}
    with engine.connect() as conn:
        queued = json.loads(conn.exec_driver_sql("SELECT payload FROM sync_outbox").scalar())
    assert queued["row"] == {"detail": "old 0", "desk_key": report.local_key, "seq": 3,
                             "prev_hash": entries[1].entry_hash,
                             "entry_hash": entries[2].entry_hash}


# -- PostgreSQL (the centre) ------------------------------------------------------------

PG = os.environ.get("VIPDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.mark.pg
def test_postgres_chains_verifies_and_catches_an_edit() -> None:
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    name = f"vipdesk_chain_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except exc.OperationalError:
        if os.environ.get("VIPDESK_REQUIRE_PG") == "1":
            raise
        pytest.skip("no PostgreSQL reachable")
    engine = create_engine(admin.url.set(database=name))
    try:
        upgrade(engine)
        for detail in ("one", "two", "three"):
            with unit_of_work(session_factory(engine)) as s:
                audit.record(s, SYSTEM, "staff.add", None, detail)
        assert [r.seq for r in _entries(engine)] == [1, 2, 3] and _report(engine).intact
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update ON audit_log")
            conn.exec_driver_sql("UPDATE audit_log SET detail = 'four' WHERE seq = 2")
        [brk] = _report(engine).breaks
        assert brk.seq == 2 and "altered" in brk.problem
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


_COLUMNS = ("id, at, staff_id, staff_no, staff_name, role, store_id, desk, action, "
            "member_id, detail, desk_key, seq, prev_hash, entry_hash")
TAMPERINGS = {
    "edited": ["UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2"],
    "deleted": ["DELETE FROM audit_log WHERE seq = 2"],
    "replaced": [f"INSERT OR REPLACE INTO audit_log ({_COLUMNS}) SELECT "
                 f"{_COLUMNS.replace('detail', chr(39) + 'rewritten' + chr(39))} "
                 "FROM audit_log WHERE seq = 2"],
    "appended forgery": [f"INSERT INTO audit_log ({_COLUMNS}) SELECT 'ee' || substr(id, 3), "
                         "at, staff_id, staff_no, staff_name, role, store_id, desk, action, "
                         "member_id, 'forged', desk_key, 4, entry_hash, entry_hash "
                         "FROM audit_log WHERE seq = 3"],
    "reordered": ["UPDATE audit_log SET seq = -1 WHERE seq = 1",
                  "UPDATE audit_log SET seq = 1 WHERE seq = 2",
                  "UPDATE audit_log SET seq = 2 WHERE seq = -1"],
}


@pytest.mark.parametrize("tampering", [*TAMPERINGS, "dropped table"])
def test_audit_verify_exits_4_for_every_tampering(
        factory: sessionmaker[Session], lounge: Lounge, capsys: pytest.CaptureFixture[str],
        tampering: str) -> None:
    """The command itself (not only the service) catches each way of tampering."""
    _write(factory, lounge, 3)
    engine = factory.kw["bind"]
    db = str(engine.url.database)
    assert main(["audit", "verify", "--db", db]) == 0
    capsys.readouterr()
    _as_attacker(engine, *TAMPERINGS.get(tampering, ["DROP TABLE audit_log"]))
    assert main(["audit", "verify", "--db", db]) == 4
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert ("BROKEN" in said or "table is missing" in said) and "Traceback" not in said
    assert ("tampered with" in said) or ("table is missing" in said)

"""The audit log: written with what it records, readable by managers, never rewritten."""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, exc, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.services.conftest import Lounge
from vipdesk.cli.main import main
from vipdesk.db import unit_of_work, upgrade
from vipdesk.models import AuditEntry, Member
from vipdesk.services import audit
from vipdesk.services.auth import PermissionDenied


def _log(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.at)))


def test_a_view_records_who_when_where(factory: sessionmaker[Session], lounge: Lounge) -> None:
    at_desk = replace(lounge.staff, staff_no="S005", desk="lounge-desk-1")
    with unit_of_work(factory) as s:
        audit.member_viewed(s, at_desk, lounge.wang, lounge.clock, how="scan")
    [entry] = _log(factory)
    assert (entry.action, entry.member_id, entry.staff_id, entry.staff_no, entry.staff_name,
            entry.role, entry.store_id, entry.desk, entry.at, entry.detail) == (
        "member.view", lounge.wang, lounge.staff.staff_id, "S005", "张敏", "staff",
        lounge.store_id, "lounge-desk-1", lounge.clock.now(), "scan")


def test_an_entry_commits_or_rolls_back_with_its_unit_of_work(
        factory: sessionmaker[Session], lounge: Lounge) -> None:
    with pytest.raises(RuntimeError), unit_of_work(factory) as s:
        audit.member_changed(s, lounge.manager, lounge.wang, "email", lounge.clock)
        raise RuntimeError("the change failed")
    assert _log(factory) == []


def test_managers_read_newest_first_and_by_member(factory: sessionmaker[Session],
                                                 lounge: Lounge) -> None:
    with unit_of_work(factory) as s:
        for member in (lounge.wang, lounge.li, lounge.wang):
            audit.member_viewed(s, lounge.staff, member, lounge.clock)
            lounge.clock.advance(minutes=1)
        audit.printed(s, lounge.staff, lounge.li, "welcome card", lounge.clock)
    with factory() as s:
        everything = audit.entries(s, lounge.manager)
        wang = audit.entries(s, lounge.admin, lounge.wang)
        prints = audit.entries(s, lounge.manager, action="member.print")
    assert [e.at for e in everything] == sorted((e.at for e in everything), reverse=True)
    assert [e.member_no for e in everything] == ["M0000002", "M0000001", "M0000002",
                                                 "M0000001"]
    assert len(wang) == 2 and {e.member_id for e in wang} == {lounge.wang}
    assert [e.detail for e in prints] == ["welcome card"]


@pytest.mark.parametrize("who", ["staff", "advisor"])
def test_desk_roles_cannot_read_the_log(factory: sessionmaker[Session], lounge: Lounge,
                                        who: str) -> None:
    with factory() as s, pytest.raises(PermissionDenied):
        audit.entries(s, getattr(lounge, who))
    with factory() as s, pytest.raises(PermissionDenied):
        audit.export_csv(s, getattr(lounge, who), io.StringIO())


def test_the_database_refuses_update_and_delete(factory: sessionmaker[Session],
                                                lounge: Lounge) -> None:
    with unit_of_work(factory) as s:
        audit.member_viewed(s, lounge.staff, lounge.wang, lounge.clock)
    # Straight to the database, past every guard the application has.
    for sql in ("UPDATE audit_log SET detail = 'nothing to see'", "DELETE FROM audit_log"):
        with pytest.raises(exc.IntegrityError, match="append-only"), \
                factory.kw["bind"].begin() as conn:
            conn.exec_driver_sql(sql)
    with pytest.raises(exc.IntegrityError, match="append-only"), unit_of_work(factory) as s:
        s.scalars(select(AuditEntry)).one().action = "member.print"  # through the ORM too
    [entry] = _log(factory)
    assert (entry.action, entry.detail) == ("member.view", "")


def test_module_offers_no_way_to_edit() -> None:
    public = {name for name in dir(audit) if not name.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "edit", "purge"))}


def test_entries_survive_the_member(factory: sessionmaker[Session], lounge: Lounge) -> None:
    """No foreign key: erasing or deleting a member must not take their audit trail."""
    with unit_of_work(factory) as s:
        audit.member_viewed(s, lounge.staff, lounge.li, lounge.clock)
    with factory.kw["bind"].begin() as conn:
        conn.execute(delete(Member).where(Member.id == lounge.li))
    [entry] = _log(factory)
    assert entry.member_id == lounge.li


def test_detail_is_cleaned_and_bounded(factory: sessionmaker[Session], lounge: Lounge) -> None:
    with unit_of_work(factory) as s:
        audit.record(s, lounge.staff, "member.change", lounge.wang,
                     "a\x00b\x1b[31mc\n" + "x" * 10_000, lounge.clock)
    [entry] = _log(factory)
    assert entry.detail.startswith("ab[31mc") and len(entry.detail) == audit.MAX_DETAIL


def test_csv_export_is_complete_defused_and_audited(factory: sessionmaker[Session],
                                                    lounge: Lounge) -> None:
    with unit_of_work(factory) as s:
        audit.member_changed(s, lounge.manager, lounge.wang, "=HYPERLINK(\"http://x\")",
                             lounge.clock)
        audit.member_viewed(s, lounge.staff, lounge.li, lounge.clock)
    out = io.StringIO()
    with unit_of_work(factory) as s:
        assert audit.export_csv(s, lounge.manager, out, clock=lounge.clock) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert sorted(r["member_no"] for r in rows) == ["M0000001", "M0000002"]
    assert {r["detail"] for r in rows} == {"'=HYPERLINK(\"http://x\")", ""}
    assert _log(factory)[-1].action == "audit.export"


# -- command line --------------------------------------------------------------------


def test_cli_list_and_export(tmp_path: Path, factory: sessionmaker[Session], lounge: Lounge,
                             capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.signin import give_pin, sign_in, use_state_dir

    with unit_of_work(factory) as s:
        audit.member_viewed(s, lounge.staff, lounge.wang, lounge.clock)
        audit.member_viewed(s, lounge.staff, lounge.li, lounge.clock)
    db = str(factory.kw["bind"].url.database)
    assert main(["audit", "list", "--db", db]) == 4  # nobody signed in
    use_state_dir(monkeypatch, tmp_path / "state")
    give_pin(db, "S001")
    assert sign_in(monkeypatch, db, "S001") == 0  # the manager reads the log
    capsys.readouterr()
    assert main(["audit", "list", "--db", db, "--member", "M0000001", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["member_no"], e["action"]) for e in listed] == [("M0000001", "member.view")]
    assert main(["audit", "list", "--db", db, "--member", "M404"]) == 2
    target = tmp_path / "audit.csv"
    assert main(["audit", "export", "--db", db, "--out", str(target)]) == 0
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert [r["action"] for r in rows].count("member.view") == 2
    assert {r["staff_no"] for r in rows if r["action"] == "staff.sign_in"} == {"S001"}
    assert not (tmp_path / "audit.csv.partial").exists()
    assert main(["audit", "export", "--db", db, "--out", str(tmp_path / "no" / "x.csv")]) == 2


# -- PostgreSQL ----------------------------------------------------------------------

PG = os.environ.get("VIPDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.mark.pg
def test_postgres_refuses_update_and_delete_too() -> None:
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    name = f"vipdesk_audit_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except exc.OperationalError:
        if os.environ.get("VIPDESK_REQUIRE_PG") == "1":
            raise  # CI must run this against the real server, not skip it
        pytest.skip("no PostgreSQL reachable")
    engine = create_engine(admin.url.set(database=name))
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_log (id, at, staff_no, staff_name, role, desk,"
                              " action, detail, desk_key, seq, prev_hash, entry_hash) VALUES"
                              " (:id, now(), '', '', '', '', 'x', '', 'd', 1, '', '')"),
                         {"id": uuid.uuid4()})
        for sql in ("UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log"):
            with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(sql))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()

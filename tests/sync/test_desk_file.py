"""A new desk starts from the centre's ready-made desk file, through the real service,
and continues from the log: it ends equal to a desk that replayed the log, search index
included. A damaged, outdated or foreign file, or a desk that already has members, falls
back to the paths that worked before; a copy that fails leaves the desk untouched."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.sync.helpers import digest, edit_member, log_visit, new_member, wait_for_watermark
from vipdesk import crypto
from vipdesk.central import cli as central_cli
from vipdesk.cli.sync import summary
from vipdesk.db import open_desk_db
from vipdesk.outbox import state
from vipdesk.sync import desk_file, desk_file_build
from vipdesk.sync.desk_file_build import MANIFEST, build, current
from vipdesk.sync.engine import sync_once
from vipdesk.sync.remote import tls_verify
from vipdesk.sync.snapshot import trim


@pytest.fixture
def files(service, fresh_pg_url: str, tmp_path: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """The service offers desk files from this folder (as `serve --desk-files` does)."""
    folder = tmp_path / "desk-files"
    offered = service.server.config.app.state.service
    offered.desk_files = folder
    yield folder
    offered.desk_files = None


def _chain_with_members(service, make_desk) -> Engine:  # type: ignore[no-untyped-def]
    """Store SH01's desk with members (compound and polyphone surnames, a traditional
    name) and visits, synced."""
    shop = make_desk("sh01", seed_tiers=True)
    names = ["欧阳娜娜", "单丽华", "陳大文", "王芳", "曾小贤"]
    ids = [new_member(shop, f"M{i}", name=name, phone=f"1390000{i:04d}")
           for i, name in enumerate(names)]
    for member_id in ids[:3]:
        log_visit(shop, member_id)
    sync_once(shop, service.enrol("SH01"), "SH01")
    return shop


def _terms(desk: Engine) -> list[tuple[str, str, int]]:
    with desk.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(  # type: ignore[misc]
            "SELECT term, member_id, weight FROM member_terms ORDER BY 1, 2")]


def _indexes(desk: Engine) -> list[str]:
    with desk.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "ORDER BY name")]


def test_a_new_desk_starts_from_the_file_and_continues_from_the_log(
        service, files: Path, make_desk) -> None:  # type: ignore[no-untyped-def]
    shop = _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    made = build(service.centre.engine, files)
    assert made.members == 5 and current(files) == made
    # After the build: only in the log, which the new desk continues from.
    with shop.connect() as conn:
        first = uuid.UUID(conn.exec_driver_sql(
            "SELECT id FROM members ORDER BY member_no").scalar())
    edit_member(shop, first, email="nana@example.com", name_zh="欧阳娜")
    new_member(shop, "M9", name="诸葛晓峰", phone="13900009999")
    sync_once(shop, service.enrol("SH01"), "SH01")
    wait_for_watermark(service.centre)

    fresh, replayed = make_desk("fresh"), make_desk("replayed")
    report = sync_once(fresh, service.enrol("SH02"), "SH02")
    assert report.pulled.desk_file and report.pulled.failed == 0
    assert "started from the centre's desk file" in summary(report, service.url)
    sync_once(replayed, service.centre, "BJ01")  # the log from the start, directly
    assert digest(fresh) == digest(replayed) == digest(shop)
    assert _terms(fresh) == _terms(replayed) and _terms(fresh)
    assert _indexes(fresh) == _indexes(replayed)  # dropped for the copy, all back
    assert not Path(f"{fresh.url.database}.ready").exists()
    with fresh.connect() as conn:
        assert state.cursor(conn) > made.cursor
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # checks back on


def test_writes_during_the_build_are_neither_lost_nor_repeated(
        service, files: Path, make_desk, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The shop keeps pushing while the centre copies its tables into the file: between
    every two tables a new member, a visit and an edit arrive. The new desk holds each
    of them exactly once after the file and the log."""
    shop = _chain_with_members(service, make_desk)
    client = service.enrol("SH01")
    wait_for_watermark(service.centre)
    with shop.connect() as conn:
        someone = uuid.UUID(conn.exec_driver_sql("SELECT id FROM members LIMIT 1").scalar())
    copy, pushed = desk_file_build._copy_table, []

    def copy_while_the_shop_works(conn, view, name):  # type: ignore[no-untyped-def]
        copy(conn, view, name)
        step = len(pushed)
        new_member(shop, f"W{step}", name="司马文静", phone=f"1370000{step:04d}")
        log_visit(shop, someone, f"during {name}")
        edit_member(shop, someone, occupation=f"step {step}")
        sync_once(shop, client, "SH01")
        pushed.append(name)

    monkeypatch.setattr(desk_file_build, "_copy_table", copy_while_the_shop_works)
    build(service.centre.engine, files)
    assert len(pushed) > 10  # one round of writes after each synced table
    wait_for_watermark(service.centre)
    fresh = make_desk("fresh")
    report = sync_once(fresh, service.enrol("SH02"), "SH02")
    assert report.pulled.desk_file and report.pulled.failed == 0
    assert digest(fresh) == digest(shop)
    with fresh.connect() as conn:
        visits = conn.exec_driver_sql("SELECT purpose, count(*) FROM visits "
                                      "WHERE purpose LIKE 'during %' GROUP BY 1").all()
    assert len(visits) == len(pushed) and all(n == 1 for _, n in visits)


def test_a_desk_with_members_goes_on_from_the_log(
        service, files: Path, make_desk) -> None:  # type: ignore[no-untyped-def]
    _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    build(service.centre.engine, files)
    own = make_desk("own")
    new_member(own, "G1", name="李雷", phone="13700000001")
    report = sync_once(own, service.enrol("GZ01"), "GZ01")
    assert not report.pulled.snapshot and report.pulled.failed == 0
    assert _count_members(own) == 6


def test_a_damaged_file_is_refused_and_the_log_used(
        service, files: Path, make_desk) -> None:  # type: ignore[no-untyped-def]
    shop = _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    made = build(service.centre.engine, files)
    packed = files / made.name
    data = bytearray(packed.read_bytes())
    data[len(data) // 2] ^= 0xFF
    packed.write_bytes(bytes(data))
    fresh = make_desk("fresh")
    report = sync_once(fresh, service.enrol("SH02"), "SH02")
    assert report.pulled.failed == 0 and not report.pulled.snapshot
    assert digest(fresh) == digest(shop)
    assert not Path(f"{fresh.url.database}.ready").exists()


def test_a_file_for_another_schema_is_not_copied(
        service, files: Path, make_desk) -> None:  # type: ignore[no-untyped-def]
    shop = _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    build(service.centre.engine, files)
    described = json.loads((files / MANIFEST).read_text("utf-8"))
    described["schema"] = "0000older"
    (files / MANIFEST).write_text(json.dumps(described), "utf-8")
    fresh = make_desk("fresh")
    report = sync_once(fresh, service.enrol("SH02"), "SH02")
    assert report.pulled.failed == 0 and not report.pulled.snapshot
    assert digest(fresh) == digest(shop)


def test_a_file_older_than_the_horizon_is_not_offered(
        service, files: Path, make_desk) -> None:  # type: ignore[no-untyped-def]
    shop = _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    build(service.centre.engine, files)
    new_member(shop, "M9", name="诸葛晓峰", phone="13900009999")
    sync_once(shop, service.enrol("SH01"), "SH01")
    wait_for_watermark(service.centre)
    assert trim(service.centre.engine, timedelta(0))["trimmed"] > 0
    client = service.enrol("SH02")
    assert client.fetch_desk_file(Path("unused")) is None
    fresh = make_desk("fresh")
    report = sync_once(fresh, client, "SH02")  # the row snapshot, as before
    assert report.pulled.failed == 0 and report.pulled.snapshot
    assert not report.pulled.desk_file
    assert digest(fresh) == digest(shop)


def test_an_encrypted_desk_starts_from_the_plain_file_and_stays_encrypted(
        service, files: Path, make_desk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shop = _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    build(service.centre.engine, files)
    path, key = tmp_path / "secret.db", crypto.derive_key(crypto.new_secret())
    secret = open_desk_db(path, key=key)
    try:
        report = sync_once(secret, service.enrol("SH02"), "SH02")
        assert report.pulled.snapshot and report.pulled.failed == 0
        assert digest(secret) == digest(shop)
        assert "陳大文".encode() not in path.read_bytes()
    finally:
        secret.dispose()


def test_a_copy_that_fails_leaves_the_desk_as_it_was(
        service, files: Path, make_desk, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    build(service.centre.engine, files)
    fresh = make_desk("fresh")
    before, indexes = digest(fresh), _indexes(fresh)
    copy = desk_file._copy_table
    calls = []

    def copy_then_fail(conn, name):  # type: ignore[no-untyped-def]
        calls.append(name)
        if name == "member_terms":  # the last table: everything else is in by now
            raise OSError("disk full")
        return copy(conn, name)

    monkeypatch.setattr(desk_file, "_copy_table", copy_then_fail)
    into = tmp_path / "got.sqlite"
    manifest = service.enrol("SH02").fetch_desk_file(into)
    assert manifest is not None
    with pytest.raises(OSError, match="disk full"):
        desk_file.adopt(fresh, into, manifest)
    assert "members" in calls
    assert digest(fresh) == before and _indexes(fresh) == indexes
    assert _count_members(fresh) == 0
    with fresh.connect() as conn:
        assert state.cursor(conn) == (0, 0)
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA database_list").all()[-1][1] != "ready"


KILLED_MID_COPY = """
import os, signal, sys
from pathlib import Path
from vipdesk.db import open_desk_db
from vipdesk.sync import desk_file
copy = desk_file._copy_table
def copy_then_die(conn, name):
    done = copy(conn, name)
    if name == "member_phones":  # members, cards and phones are in: the power goes
        os.kill(os.getpid(), signal.SIGKILL)
    return done
desk_file._copy_table = copy_then_die
manifest = desk_file.Manifest.from_json(__import__("json").loads(sys.argv[3]))
desk_file.adopt(open_desk_db(sys.argv[1], migrate=False), Path(sys.argv[2]), manifest)
"""


def test_a_desk_killed_mid_copy_reopens_as_it_was(
        service, files: Path, make_desk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shop = _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    build(service.centre.engine, files)
    fresh = make_desk("fresh")
    before, indexes = digest(fresh), _indexes(fresh)
    path = fresh.url.database
    fresh.dispose()
    into = tmp_path / "got.sqlite"
    manifest = service.enrol("SH02").fetch_desk_file(into)
    assert manifest is not None
    run = subprocess.run([sys.executable, "-c", KILLED_MID_COPY, path, str(into),
                          json.dumps(manifest.to_json())], capture_output=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()
    again = open_desk_db(path, migrate=False)
    try:
        assert digest(again) == before and _indexes(again) == indexes
        assert _count_members(again) == 0
        report = sync_once(again, service.enrol("SH03"), "SH03")  # and starts over
        assert report.pulled.desk_file and digest(again) == digest(shop)
    finally:
        again.dispose()


def test_only_an_enrolled_desk_gets_the_file(service, files: Path,  # type: ignore[no-untyped-def]
                                             make_desk) -> None:
    _chain_with_members(service, make_desk)
    wait_for_watermark(service.centre)
    made = build(service.centre.engine, files)
    with httpx.Client(base_url=service.url, verify=tls_verify(service.tls.ca_file)) as anonymous:
        assert anonymous.get("/v1/desk-file").status_code == 401
        assert anonymous.get(f"/v1/desk-file/{made.name}").status_code == 401
    client = service.enrol("SH02")
    assert client.client.get("/v1/desk-file/..%2Fdesk-file.json").status_code == 404


def test_the_command_builds_a_file(fresh_pg_url: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "files"
    assert central_cli.main(["desk-file", "--db-url", fresh_pg_url]) == 2
    assert "--desk-files" in capsys.readouterr().err
    assert central_cli.main(["desk-file", "--db-url", fresh_pg_url,
                             "--desk-files", str(folder)]) == 0
    made = current(folder)
    assert made is not None and made.members == 0
    assert made.name in capsys.readouterr().out


def _count_members(desk: Engine) -> int:
    with desk.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM members").scalar() or 0)

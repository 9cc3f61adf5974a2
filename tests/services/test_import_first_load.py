"""A first load (a desk without members): one transaction with the secondary indexes
built after the rows. The schema after is the schema before, and a kill mid-load leaves
the desk exactly as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.services import auth
from vipdesk.services.import_first_load import droppable_indexes
from vipdesk.services.importer import import_members
from vipdesk.services.tiers import seed_default_tiers


def make_desk(path: Path) -> None:
    engine = open_desk_db(path)
    with unit_of_work(session_factory(engine)) as s:
        seed_default_tiers(s)
    engine.dispose()


def write_rows(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("member_no,name,phone,card_no,spend_12m\n")
        for i in range(count):
            fh.write(f"L{i:05d},王{i},1380{i:07d},88{i:06d},{i * 10}\n")
    return path


def schema(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master "
                            "ORDER BY type, name").fetchall()


def counts(path: Path) -> tuple[int, int, int, int]:
    with sqlite3.connect(path) as conn:
        return tuple(conn.execute(  # type: ignore[return-value]
            "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM member_terms), "
            "(SELECT count(*) FROM member_phones), (SELECT count(*) FROM sync_outbox "
            "WHERE table_name = 'members')").fetchone())


def test_first_load_leaves_the_schema_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    make_desk(db)
    before = schema(db)
    engine = open_desk_db(db)
    with engine.connect() as conn:
        assert len(droppable_indexes(conn)) >= 8
    report = import_members(session_factory(engine), write_rows(tmp_path / "m.csv", 300),
                            auth.SYSTEM, first_load=True)
    engine.dispose()
    assert report.ok and report.imported_count == 300
    assert schema(db) == before
    assert counts(db)[0] == counts(db)[2] == counts(db)[3] == 300
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from vipdesk.db import open_desk_db, session_factory
    from vipdesk.services import auth, import_batches
    from vipdesk.services.importer import import_members

    import_batches.BATCH_ROWS = 50

    def progress(rows):
        print(rows, flush=True)
        time.sleep(0.05)  # room for the kill to land mid-load
        return True

    factory = session_factory(open_desk_db(Path(sys.argv[1])))
    import_members(factory, sys.argv[2], auth.SYSTEM, progress=progress)
    print("done", flush=True)
""")


def test_a_kill_mid_load_leaves_the_desk_as_before_and_a_rerun_succeeds(
        tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    make_desk(db)
    before = schema(db)
    path = write_rows(tmp_path / "m.csv", 2000)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(path)],
                             stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    assert child.stdout is not None
    seen = [child.stdout.readline().strip() for _ in range(5)]  # five batches in
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert seen[-1] == "250" and child.returncode == -signal.SIGKILL
    assert counts(db) == (0, 0, 0, 0)
    assert schema(db) == before
    engine = open_desk_db(db)
    report = import_members(session_factory(engine), path, auth.SYSTEM)
    engine.dispose()
    assert report.ok and report.imported_count == 2000
    assert schema(db) == before
    members, terms, phones, ops = counts(db)
    assert members == phones == ops == 2000 and terms > 2000


def test_import_ids_are_uuid7() -> None:
    import uuid

    from vipdesk.services.import_bulk import _Ids

    ids = _Ids(count=1000)
    made = [ids.v7() for _ in range(1000)]
    assert len({h for h, _ in made}) == 1000
    for hex_id, wire in made:
        value = uuid.UUID(hex_id)
        assert (value.version, value.variant) == (7, uuid.RFC_4122)
        assert str(value) == wire and value.hex == hex_id
    assert {h[16] for h, _ in made} == set("89ab")

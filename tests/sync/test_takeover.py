"""A push whose database session is ended mid-batch (a second sync of the same desk
took the store's push lock over, or the network dropped) ends as "centre unavailable"
— a worded message, exit 3, the outbox kept — never as an internal error, and never
by rejecting ops that were only caught in the failure."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.sync.helpers import (
    count,
    edit_member,
    log_visit,
    new_member,
    outbox_size,
    terminate_backend,
)
from vipdesk.db import open_desk_db
from vipdesk.models import SyncDeadLetter
from vipdesk.sync.central import Centre, CentreAPI, CentreSettings, CentreUnavailable, connect
from vipdesk.sync.engine import sync_once

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def centre(pg_centre: Centre) -> Centre:
    """The database itself: its sessions are ended here (the slow test also goes
    through the service, which it enrols with itself)."""
    return pg_centre


def _kill_after_savepoint(centre: Centre) -> dict[str, int]:
    """End the session at the first statement inside a per-op savepoint (an edit runs
    in one): the failure lands where one bad op would be caught."""
    admin = centre.engine.url.set(drivername="postgresql").render_as_string(
        hide_password=False)
    seen = {"savepoint": 0, "killed": 0}

    def hook(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("SAVEPOINT"):
            seen["savepoint"] += 1
        elif seen["savepoint"] and not seen["killed"]:
            terminate_backend(conn, admin)
            seen["killed"] += 1

    event.listen(centre.engine, "before_cursor_execute", hook)
    return seen


@pytest.mark.parametrize("through", ["database", "service"])
def test_a_session_ended_inside_an_op_savepoint_is_unavailable_not_a_rejection(
        through: str, centre: Centre, make_desk, request: pytest.FixtureRequest) -> None:
    """Straight to PostgreSQL, and through a service instance whose database session
    ends there (the desk gets a 503 in words, never a 500 or a rejection)."""
    desk = make_desk("a", seed_tiers=True)
    member_id = new_member(desk, "M1")
    sync_once(desk, centre, "SH01")
    edit_member(desk, member_id, email="wang@example.com")  # an edit: applied in a savepoint
    log_visit(desk, member_id)  # then an insert run, which read the dead session
    queued = outbox_size(desk)
    flaky = connect(CentreSettings(centre.engine.url.render_as_string(hide_password=False)))
    seen = _kill_after_savepoint(flaky)
    try:
        with _reaching(through, flaky, request) as reached, \
                pytest.raises(CentreUnavailable, match="unavailable"):
            sync_once(desk, reached, "SH01")
    finally:
        flaky.dispose()
    assert seen["killed"] == 1 and outbox_size(desk) == queued
    report = sync_once(desk, centre, "SH01")
    assert report.outcomes == {"applied": queued} and report.pending == 0
    assert count(desk, SyncDeadLetter) == 0 and count(centre.engine, SyncDeadLetter) == 0


@contextlib.contextmanager
def _reaching(through: str, centre: Centre,
              request: pytest.FixtureRequest) -> Iterator[CentreAPI]:
    """`centre` itself, or a service instance of its own over it (enrolled for SH01)."""
    if through == "database":
        yield centre
        return
    from tests.sync.service import ServiceThread

    running = ServiceThread(centre, request.getfixturevalue("service_tls")).start()
    client = running.enrol("SH01")
    try:
        yield client
    finally:
        client.dispose()
        running.stop()


@pytest.mark.slow
@pytest.mark.parametrize("through", ["database", "service"])
def test_two_syncs_of_one_desk_started_together_end_cleanly(
        through: str, centre: Centre, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    """30 times two `vipdesk sync --once` of one desk at once (straight to PostgreSQL,
    or through the service over HTTPS): each ends 0 or 3 (the one taken over, in
    words), and afterwards the desk pushes everything."""
    rounds = int(os.environ.get("VIPDESK_TAKEOVER_ROUNDS", "30"))
    exits: list[int] = []
    desk_path = tmp_path / "desk.db"
    # Enrol (which opens the desk) before this process holds the desk open: opening a
    # SQLite file again in a process that has it open can drop that process's locks.
    central = _central(through, desk_path, centre, request)
    desk = open_desk_db(desk_path)
    member_id = new_member(desk, "M1")
    command = [sys.executable, "-m", "vipdesk.cli.main", "sync", "--once", "--db",
               str(desk_path), *central]
    for _ in range(rounds):
        for i in range(300):
            log_visit(desk, member_id, f"v{i}")
            if i % 3 == 0:
                edit_member(desk, member_id, occupation=f"job {i}")
        both = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for proc in both:
            _out, err = proc.communicate(timeout=120)
            exits.append(proc.returncode)
            assert proc.returncode in (0, 3), err
            if proc.returncode == 3:
                assert "unavailable" in err and "Traceback" not in err
    sync_once(desk, centre, "SH01")
    assert outbox_size(desk) == 0
    desk.dispose()
    print(f"{through}: exit codes {sorted(exits)}")


def _central(through: str, desk_path: Path, centre: Centre,
             request: pytest.FixtureRequest) -> list[str]:
    if through == "database":
        return ["--store", "SH01", "--central",
                centre.engine.url.render_as_string(hide_password=False)]
    from vipdesk.central.enrol import issue_code
    from vipdesk.cli.main import main

    service = request.getfixturevalue("service")
    args = ["--db", str(desk_path), "--central", service.url, "--ca-file",
            service.tls.ca_file]
    assert main(["enrol", issue_code(centre.engine, "SH01"), *args]) == 0
    return args[2:]

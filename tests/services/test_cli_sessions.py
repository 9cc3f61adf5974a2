"""Command-line sessions in the service: idle expiry with each use refreshing it, the end
of a session at a PIN change, a new role or a disabled account, one session per OS user,
only the token's hash stored, and no sync of any of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import CliSession, Staff, SyncOutbox
from vipdesk.outbox import tables
from vipdesk.services import cli_sessions, staff
from vipdesk.services.auth import SYSTEM
from vipdesk.services.clock import FixedClock
from vipdesk.services.staff import SignInFailed

T0 = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
PIN = "246810"


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff, "HASHER", PasswordHasher(time_cost=1, memory_cost=64,
                                                        parallelism=1))
    monkeypatch.setattr(staff, "_dummy_hashes", {})


@pytest.fixture
def desk(factory: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    with unit_of_work(factory) as s:
        staff.init_admin(s, "A001", "孙磊", "13579135")
        staff.add_staff(s, SYSTEM, "S005", "张敏", "staff", PIN)
    yield factory


def _open(factory: sessionmaker[Session], clock: FixedClock,
          user: str = "alice") -> cli_sessions.Opened:
    return cli_sessions.open_session(factory, "S005", PIN, user, clock, "cli@test")


def test_idle_expiry_and_each_use_refreshes(desk: sessionmaker[Session]) -> None:
    clock = FixedClock(T0)
    opened = _open(desk, clock)
    for minutes in (9, 18, 27):  # each use within ten minutes of the last one
        clock.at = T0 + timedelta(minutes=minutes)
        actor = cli_sessions.resume(desk, opened.token, "alice", clock, 10, "cli@test")
        assert (actor.staff_no, actor.role, actor.desk) == ("S005", "staff", "cli@test")
    clock.at = T0 + timedelta(minutes=27 + 10, seconds=1)
    with pytest.raises(cli_sessions.NotSignedIn, match="expired"):
        cli_sessions.resume(desk, opened.token, "alice", clock, 10)
    with desk() as s:  # the expired row is gone: the token is dead for good
        assert s.scalar(select(func.count()).select_from(CliSession)) == 0


def test_idle_lock_off_in_the_window_still_expires_sessions(
        desk: sessionmaker[Session]) -> None:
    clock = FixedClock(T0)
    opened = _open(desk, clock)
    clock.at = T0 + timedelta(minutes=cli_sessions.DEFAULT_IDLE_MINUTES + 1)
    with pytest.raises(cli_sessions.NotSignedIn):
        cli_sessions.resume(desk, opened.token, "alice", clock, 0)


@pytest.mark.parametrize("change", ["new PIN", "own PIN change", "disabled", "new role"])
def test_an_account_change_ends_the_session(desk: sessionmaker[Session], change: str) -> None:
    clock = FixedClock(T0)
    opened = _open(desk, clock)
    if change == "own PIN change":
        staff.change_own_secret(desk, opened.actor, PIN, "97531864", clock)
    with unit_of_work(desk) as s:
        if change == "new PIN":
            staff.set_secret(s, SYSTEM, "S005", "97531864")
        elif change == "disabled":
            staff.set_active(s, SYSTEM, "S005", False)
        elif change == "new role":
            s.scalars(select(Staff).where(Staff.staff_no == "S005")).one().role = "manager"
    with pytest.raises(cli_sessions.NotSignedIn, match="changed"):
        cli_sessions.resume(desk, opened.token, "alice", clock, 10)


def test_a_wrong_secret_opens_nothing_and_counts_towards_the_lock_out(
        desk: sessionmaker[Session]) -> None:
    clock = FixedClock(T0)
    for _ in range(5):
        with pytest.raises(SignInFailed):
            cli_sessions.open_session(desk, "S005", "999999", "alice", clock)
    with pytest.raises(SignInFailed, match="locked"):  # even the right PIN, now
        cli_sessions.open_session(desk, "S005", PIN, "alice", clock)
    with desk() as s:
        assert s.scalar(select(func.count()).select_from(CliSession)) == 0


def test_only_the_hash_is_stored_and_one_session_per_os_user(
        desk: sessionmaker[Session]) -> None:
    clock = FixedClock(T0)
    first = _open(desk, clock)
    second = _open(desk, clock)
    other = _open(desk, clock, user="bob")
    with desk() as s:
        rows = s.scalars(select(CliSession)).all()
    assert sorted(r.os_user for r in rows) == ["alice", "bob"]
    assert first.token not in {r.token_hash for r in rows}
    assert cli_sessions.token_hash(second.token) in {r.token_hash for r in rows}
    with pytest.raises(cli_sessions.NotSignedIn):  # replaced by the second sign-in
        cli_sessions.resume(desk, first.token, "alice", clock, 10)
    with pytest.raises(cli_sessions.NotSignedIn, match="another OS user"):
        cli_sessions.resume(desk, other.token, "alice", clock, 10)


def test_sessions_and_desk_settings_never_sync(desk: sessionmaker[Session]) -> None:
    assert not tables.is_synced("cli_sessions") and not tables.is_synced("desk_settings")
    opened = _open(desk, FixedClock(T0))
    with unit_of_work(desk) as s:
        cli_sessions.mark_demo(s)
    cli_sessions.resume(desk, opened.token, "alice", FixedClock(T0), 10)
    cli_sessions.close(desk, opened.token, opened.actor, FixedClock(T0))
    with desk() as s:
        queued = set(s.scalars(select(SyncOutbox.table_name)))
        assert not queued & {"cli_sessions", "desk_settings"}  # the audit entries do travel
        assert "audit_log" in queued
        assert cli_sessions.is_demo(s)

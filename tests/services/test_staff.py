"""Staff accounts, PIN rules, sign-in with lock-out, idle lock."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.signin import sign_in, use_state_dir
from vipdesk.cli.main import main
from vipdesk.db import unit_of_work
from vipdesk.models import AuditEntry, Staff
from vipdesk.services import auth, staff
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.clock import FixedClock
from vipdesk.services.staff import IdleLock, LockoutPolicy, SignInFailed, StaffError

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PIN = "246810"


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at test strength: the code path is the same, the seconds are not."""
    monkeypatch.setattr(staff, "HASHER", PasswordHasher(time_cost=1, memory_cost=64,
                                                        parallelism=1))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def desk(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A first admin A001 and a lounge staff S005 with PIN 246810."""
    with unit_of_work(factory) as s:
        admin = staff.init_admin(s, "A001", "孙磊", "13579135")
        staff.add_staff(s, _actor(s, admin.staff_no), "S005", "张敏", "staff", PIN)
    return factory


def _actor(session: Session, staff_no: str):  # type: ignore[no-untyped-def]
    from vipdesk.services.auth import Actor

    row = session.scalar(select(Staff).where(Staff.staff_no == staff_no))
    assert row is not None
    return Actor(row.id, row.role, row.name, row.store_id, row.staff_no)


def _row(factory: sessionmaker[Session], staff_no: str) -> Staff:
    with factory() as s:
        row = s.scalar(select(Staff).where(Staff.staff_no == staff_no))
        assert row is not None
        return row


# -- secrets -----------------------------------------------------------------------


@pytest.mark.parametrize(("secret", "problem"), [
    ("12345", "at least 6 digits"),
    ("123456", "too easy"),
    ("987654", "too easy"),
    ("000000", "too easy"),
    ("shorty", "at least 8 characters"),
    (" leading-space", "no control characters"),
    ("tab\there!", "no control characters"),
    ("x" * 200, "at most"),
])
def test_bad_secrets_are_refused_with_the_rule(secret: str, problem: str) -> None:
    assert problem in (staff.secret_problem(secret) or "")
    with pytest.raises(StaffError, match=problem.split()[0]):
        staff.hash_secret(secret)


@pytest.mark.parametrize("secret", [PIN, "13579135", "correct horse", "密码是长城八达岭"])
def test_good_secrets_hash_with_argon2id(secret: str) -> None:
    hashed = staff.hash_secret(secret)
    assert hashed.startswith("$argon2id$") and secret not in hashed
    assert staff.HASHER.verify(hashed, secret)


# -- accounts ----------------------------------------------------------------------


def test_init_admin_only_once(desk: sessionmaker[Session]) -> None:
    with pytest.raises(StaffError, match="already exists"), unit_of_work(desk) as s:
        staff.init_admin(s, "A002", "Another", "24681357")
    assert _row(desk, "A001").role == "admin"


def test_only_admins_manage_accounts(desk: sessionmaker[Session]) -> None:
    with unit_of_work(desk) as s:
        lounge_staff = _actor(s, "S005")
    for call in (lambda s: staff.add_staff(s, lounge_staff, "S006", "刘洋", "staff"),
                 lambda s: staff.unlock(s, lounge_staff, "A001"),
                 lambda s: staff.set_active(s, lounge_staff, "A001", False),
                 lambda s: staff.set_secret(s, lounge_staff, "A001", "97531975")):
        with pytest.raises(PermissionDenied), unit_of_work(desk) as s:
            call(s)


@pytest.mark.parametrize(("no", "name", "role", "problem"), [
    ("S005", "dup", "staff", "already exists"),
    ("", "x", "staff", "staff_no"),
    ("S 1;--", "x", "staff", "staff_no"),
    ("S010", "", "staff", "name"),
    ("S010", "x", "root", "role"),
])
def test_account_problems_are_named(desk: sessionmaker[Session], no: str, name: str,
                                    role: str, problem: str) -> None:
    with pytest.raises(StaffError, match=problem), unit_of_work(desk) as s:
        staff.add_staff(s, _actor(s, "A001"), no, name, role, PIN)
    with desk() as s:
        assert len(staff.list_staff(s, auth.SYSTEM)) == 2  # nothing half-written


def test_unknown_store_is_refused(desk: sessionmaker[Session]) -> None:
    with pytest.raises(StaffError, match="store"), unit_of_work(desk) as s:
        staff.add_staff(s, _actor(s, "A001"), "S010", "x", "staff", PIN, store_code="ZZ99")


def test_set_secret_is_the_administrators_even_for_oneself(desk: sessionmaker[Session],
                                                          clock: FixedClock) -> None:
    """Changing one's own PIN needs the current one (change_own_secret): set_secret
    without it would let whoever finds a signed-in desk take the account over."""
    with pytest.raises(PermissionDenied), unit_of_work(desk) as s:
        staff.set_secret(s, _actor(s, "S005"), "S005", "13572468")
    with unit_of_work(desk) as s:
        staff.set_secret(s, _actor(s, "A001"), "S005", "13572468")
    assert staff.sign_in(desk, "S005", "13572468", clock).staff_no == "S005"
    with pytest.raises(SignInFailed):
        staff.sign_in(desk, "S005", PIN, clock)


def test_admin_cannot_disable_themselves(desk: sessionmaker[Session]) -> None:
    with pytest.raises(StaffError, match="own account"), unit_of_work(desk) as s:
        staff.set_active(s, _actor(s, "A001"), "A001", False)


# -- signing in ----------------------------------------------------------------------


def test_sign_in_gives_the_actor_and_audits(desk: sessionmaker[Session],
                                           clock: FixedClock) -> None:
    who = staff.sign_in(desk, "S005", PIN, clock, desk="desk-1")
    assert (who.role, who.name, who.staff_no, who.desk) == ("staff", "张敏", "S005", "desk-1")
    with desk() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "staff.sign_in")).one()
    assert (entry.staff_no, entry.desk, entry.at) == ("S005", "desk-1", T0)


def test_failures_say_the_same_thing_whatever_is_wrong(desk: sessionmaker[Session],
                                                      clock: FixedClock) -> None:
    with unit_of_work(desk) as s:
        staff.add_staff(s, _actor(s, "A001"), "S006", "刘洋", "staff")  # no PIN yet
        staff.add_staff(s, _actor(s, "A001"), "S007", "赵晨曦", "advisor", PIN)
        staff.set_active(s, _actor(s, "A001"), "S007", False)
    messages = set()
    for no, secret in (("S005", "999999x9"), ("S404", PIN), ("S006", PIN), ("S007", PIN),
                       ("", ""), ("S005'; DROP TABLE staff;--", PIN)):
        with pytest.raises(SignInFailed) as err:
            staff.sign_in(desk, no, secret, clock)
        messages.add(str(err.value))
    assert messages == {staff.WRONG}
    assert len(staff.list_staff(desk(), auth.SYSTEM)) == 4


def test_unknown_staff_costs_the_same_argon2_work(desk: sessionmaker[Session],
                                                 clock: FixedClock,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    real = staff._verify

    def counting(hashed: str | None, secret: str) -> bool:
        calls.append(hashed)
        return real(hashed, secret)

    monkeypatch.setattr(staff, "_verify", counting)
    for no in ("S005", "S404"):
        with pytest.raises(SignInFailed):
            staff.sign_in(desk, no, "13572468", clock)
    assert len(calls) == 2 and calls[1] is None  # unknown: verified against a dummy


def test_five_failures_lock_for_fifteen_minutes(desk: sessionmaker[Session],
                                               clock: FixedClock) -> None:
    for attempt in range(5):
        with pytest.raises(SignInFailed) as err:
            staff.sign_in(desk, "S005", "13572468", clock)
        assert ("locked" in str(err.value)) is (attempt == 4)
    assert _row(desk, "S005").locked_until == T0 + timedelta(minutes=15)
    clock.advance(minutes=14)
    with pytest.raises(SignInFailed, match="locked until"):
        staff.sign_in(desk, "S005", PIN, clock)  # even the right PIN
    clock.advance(minutes=1)
    assert staff.sign_in(desk, "S005", PIN, clock).staff_no == "S005"
    row = _row(desk, "S005")
    assert (row.failed_attempts, row.locked_until) == (0, None)


def test_lockout_policy_is_configurable(desk: sessionmaker[Session], clock: FixedClock) -> None:
    policy = LockoutPolicy(max_failures=2, lock_minutes=1)
    for _ in range(2):
        with pytest.raises(SignInFailed):
            staff.sign_in(desk, "S005", "nope-nope", clock, policy)
    with pytest.raises(SignInFailed, match="locked"):
        staff.sign_in(desk, "S005", PIN, clock, policy)
    clock.advance(minutes=1)
    staff.sign_in(desk, "S005", PIN, clock, policy)


def test_success_resets_the_failure_count(desk: sessionmaker[Session],
                                         clock: FixedClock) -> None:
    for _ in range(4):
        with pytest.raises(SignInFailed):
            staff.sign_in(desk, "S005", "nope-nope", clock)
    staff.sign_in(desk, "S005", PIN, clock)
    with pytest.raises(SignInFailed, match=r"wrong$"):
        staff.sign_in(desk, "S005", "nope-nope", clock)  # 1 of 5 again, not locked


def test_admin_unlocks(desk: sessionmaker[Session], clock: FixedClock) -> None:
    for _ in range(5):
        with pytest.raises(SignInFailed):
            staff.sign_in(desk, "S005", "nope-nope", clock)
    with unit_of_work(desk) as s:
        staff.unlock(s, _actor(s, "A001"), "S005")
    staff.sign_in(desk, "S005", PIN, clock)


def test_failed_sign_ins_are_audited_without_the_secret(desk: sessionmaker[Session],
                                                       clock: FixedClock) -> None:
    with pytest.raises(SignInFailed):
        staff.sign_in(desk, "S404", "my-secret-guess", clock, desk="desk-1")
    with desk() as s:
        entries = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "staff.sign_in_failed")).all()
    assert [(e.staff_no, e.desk) for e in entries] == [("S404", "desk-1")]
    assert "my-secret-guess" not in entries[0].detail


def test_weak_old_hashes_are_upgraded_on_sign_in(desk: sessionmaker[Session],
                                                 clock: FixedClock,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    before = _row(desk, "S005").password_hash
    monkeypatch.setattr(staff, "HASHER", PasswordHasher(time_cost=2, memory_cost=64,
                                                        parallelism=1))
    staff.sign_in(desk, "S005", PIN, clock)
    after = _row(desk, "S005").password_hash
    assert after != before and after is not None and "t=2" in after


def test_demo_pins_only_fill_empty_accounts(desk: sessionmaker[Session],
                                           clock: FixedClock) -> None:
    with unit_of_work(desk) as s:
        staff.add_staff(s, _actor(s, "A001"), "S006", "刘洋", "staff")
        assert staff.set_demo_pins(s) == 1
    staff.sign_in(desk, "S006", staff.DEMO_PIN, clock)
    with pytest.raises(SignInFailed):
        staff.sign_in(desk, "A001", staff.DEMO_PIN, clock)


# -- changing one's own PIN ----------------------------------------------------------

NEW_PIN = "13572468"


def _change(desk: sessionmaker[Session], staff_no: str, current: str, new: str,
            clock: FixedClock, policy: LockoutPolicy | None = None) -> None:
    with desk() as s:
        who = _actor(s, staff_no)
    staff.change_own_secret(desk, who, current, new, clock, policy or LockoutPolicy())


def _entries(desk: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with desk() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_change_own_pin_with_the_right_current_one(desk: sessionmaker[Session],
                                                  clock: FixedClock) -> None:
    _change(desk, "S005", PIN, NEW_PIN, clock)
    with pytest.raises(SignInFailed):
        staff.sign_in(desk, "S005", PIN, clock)  # the old PIN no longer signs in
    assert staff.sign_in(desk, "S005", NEW_PIN, clock).staff_no == "S005"
    (entry,) = _entries(desk, "staff.change_secret")
    assert (entry.staff_no, entry.at, entry.detail) == ("S005", T0, "S005")
    hashed = _row(desk, "S005").password_hash
    assert hashed is not None and hashed.startswith("$argon2id$")


def test_audit_of_a_change_never_holds_a_pin(desk: sessionmaker[Session],
                                             clock: FixedClock) -> None:
    with pytest.raises(SignInFailed):
        _change(desk, "S005", "97531864", NEW_PIN, clock)
    _change(desk, "S005", PIN, NEW_PIN, clock)
    with desk() as s:
        texts = [" ".join(str(v) for v in (e.detail, e.action, e.staff_no, e.staff_name))
                 for e in s.scalars(select(AuditEntry))]
    assert any("change_secret_failed" in x for x in texts)
    assert not [x for x in texts for pin in (PIN, NEW_PIN, "97531864") if pin in x]


def test_wrong_current_pin_is_refused_counted_and_audited(desk: sessionmaker[Session],
                                                         clock: FixedClock) -> None:
    with pytest.raises(staff.WrongCurrentSecret) as err:
        _change(desk, "S005", "97531864", NEW_PIN, clock)
    assert str(err.value) == staff.CURRENT_WRONG and err.value.locked_until is None
    row = _row(desk, "S005")
    assert row.failed_attempts == 1 and staff.HASHER.verify(row.password_hash or "", PIN)
    assert [e.staff_no for e in _entries(desk, "staff.change_secret_failed")] == ["S005"]
    staff.sign_in(desk, "S005", PIN, clock)  # unchanged


@pytest.mark.parametrize(("new", "problem"), [
    ("123456", "too easy"), ("888888", "too easy"), ("12345", "at least 6"),
    ("short", "at least 8"), (PIN, "same as the current"),
])
def test_unacceptable_new_pins_are_refused_before_anything(desk: sessionmaker[Session],
                                                           clock: FixedClock, new: str,
                                                           problem: str) -> None:
    for current in (PIN, "97531864"):  # the same answer whether or not current is right
        with pytest.raises(StaffError, match=problem):
            _change(desk, "S005", current, new if new != PIN else current, clock)
    row = _row(desk, "S005")
    assert row.failed_attempts == 0  # nothing verified, nothing counted
    assert _entries(desk, "staff.change_secret") == []
    staff.sign_in(desk, "S005", PIN, clock)


def test_wrong_current_pins_lock_out_like_sign_in(desk: sessionmaker[Session],
                                                  clock: FixedClock) -> None:
    policy = LockoutPolicy()
    for attempt in range(policy.max_failures):
        with pytest.raises(staff.WrongCurrentSecret) as err:
            _change(desk, "S005", f"9753186{attempt}", NEW_PIN, clock)
        last = attempt == policy.max_failures - 1
        assert (err.value.locked_until is not None) is last
        assert ("locked" in str(err.value)) is last
    until = T0 + timedelta(minutes=policy.lock_minutes)
    assert _row(desk, "S005").locked_until == until
    with pytest.raises(staff.WrongCurrentSecret, match="locked until") as err:
        _change(desk, "S005", PIN, NEW_PIN, clock)  # even the right current PIN
    assert err.value.locked_until == until
    with pytest.raises(SignInFailed, match="locked until"):
        staff.sign_in(desk, "S005", PIN, clock)  # and signing in, the same counter
    clock.advance(minutes=policy.lock_minutes)
    _change(desk, "S005", PIN, NEW_PIN, clock)
    assert staff.sign_in(desk, "S005", NEW_PIN, clock).staff_no == "S005"


def test_sign_in_failures_and_change_failures_share_one_counter(
        desk: sessionmaker[Session], clock: FixedClock) -> None:
    policy = LockoutPolicy(max_failures=3, lock_minutes=1)
    for _ in range(2):
        with pytest.raises(SignInFailed):
            staff.sign_in(desk, "S005", "nope-nope", clock, policy)
    with pytest.raises(staff.WrongCurrentSecret, match="locked for 1 minutes"):
        _change(desk, "S005", "nope-nope", NEW_PIN, clock, policy)


@pytest.mark.parametrize("role", ["staff", "manager", "advisor", "admin"])
def test_every_role_that_signs_in_may_change_their_own(desk: sessionmaker[Session],
                                                      clock: FixedClock, role: str) -> None:
    with unit_of_work(desk) as s:
        staff.add_staff(s, _actor(s, "A001"), "X001", "测试", role, PIN)
    _change(desk, "X001", PIN, NEW_PIN, clock)
    assert staff.sign_in(desk, "X001", NEW_PIN, clock).role == role


def test_nobody_and_the_system_may_not_change_a_pin(desk: sessionmaker[Session],
                                                   clock: FixedClock) -> None:
    from vipdesk.services.auth import NOBODY, SYSTEM

    for who in (NOBODY, SYSTEM):
        with pytest.raises(PermissionDenied, match="sign in"):
            staff.change_own_secret(desk, who, PIN, NEW_PIN, clock)
    assert _entries(desk, "staff.change_secret") == []
    staff.sign_in(desk, "S005", PIN, clock)


# -- idle lock -----------------------------------------------------------------------


def test_idle_lock_policy() -> None:
    lock = IdleLock(minutes=10)
    assert not lock.should_lock(T0, T0 + timedelta(minutes=9, seconds=59))
    assert lock.should_lock(T0, T0 + timedelta(minutes=10))
    assert lock.remaining_ms(T0, T0 + timedelta(minutes=9)) == 60_000
    assert lock.remaining_ms(T0, T0 + timedelta(hours=1)) == 0
    never = IdleLock(minutes=0)
    assert not never.should_lock(T0, T0 + timedelta(days=1))
    assert never.remaining_ms(T0, T0) is None


# -- command line --------------------------------------------------------------------


def _cli(monkeypatch: pytest.MonkeyPatch, db: Path, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["staff", args[0], "--db", str(db), *args[1:]])


def test_cli_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.db"
    assert _cli(monkeypatch, db, "init-admin", "A001", "--name", "Boss", "--stdin",
                stdin="13579135\n") == 0
    assert _cli(monkeypatch, db, "init-admin", "A002", "--name", "Boss", "--stdin",
                stdin="13579135\n") == 2
    assert _cli(monkeypatch, db, "list") == 4  # accounts need the administrator signed in
    use_state_dir(monkeypatch, tmp_path / "state")
    assert sign_in(monkeypatch, db, "A001", "13579135") == 0
    assert _cli(monkeypatch, db, "add", "S005", "--name", "张敏", "--role", "staff",
                "--stdin", stdin="12\n") == 2
    assert _cli(monkeypatch, db, "add", "S005", "--name", "张敏", "--role", "staff",
                "--no-secret") == 0
    assert _cli(monkeypatch, db, "set-password", "S005", "--stdin", stdin=PIN + "\n") == 0
    assert _cli(monkeypatch, db, "disable", "S005") == 0
    capsys.readouterr()
    assert _cli(monkeypatch, db, "list") == 0
    out = capsys.readouterr().out
    assert "A001\tBoss\tadmin" in out and "S005\t张敏\tstaff\t-\t(disabled)" in out
    assert _cli(monkeypatch, db, "unlock", "S404") == 2
    assert "no account" in capsys.readouterr().err

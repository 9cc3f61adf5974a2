"""Staff accounts and signing in at the desk (SPEC §1, §10).

Secrets are a PIN (6+ digits, quick at a busy desk) or a password (8+ characters),
hashed with Argon2id. Five wrong secrets lock the account for fifteen minutes (both
configurable through `LockoutPolicy`). The failure path does the same Argon2 work
whether or not the staff number exists and says the same words, so the desk does not
tell a stranger which staff numbers are real.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import ROLES, Staff, Store
from vipdesk.services import audit, auth
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock

MIN_PIN = 6
MIN_PASSWORD = 8
MAX_SECRET = 128
HASHER = PasswordHasher()  # Argon2id, RFC 9106 low-memory profile (64 MiB, t=3)
WRONG = "staff number or PIN/password is wrong"


class StaffError(ValueError):
    """Bad account data; the message names the field and the problem."""


class SignInFailed(ValueError):
    """Sign-in refused; the message is safe to show at the desk. `locked_until` (UTC) is
    set when the account is locked, so the desk can say until when in its own words and
    its store's time."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


class WrongCurrentSecret(SignInFailed):
    """A PIN change refused because the current PIN/password did not match (or the
    account is locked). It counts as a failed sign-in; `locked_until` is set when the
    account is locked, so the desk can lock the way sign-in would."""


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_minutes: int = 15


@dataclass(frozen=True)
class StaffAccount:
    id: uuid.UUID
    staff_no: str
    name: str
    role: str
    store_code: str | None
    active: bool
    has_secret: bool
    failed_attempts: int
    locked_until: datetime | None


# -- secrets -------------------------------------------------------------------------


def secret_problem(secret: str) -> str | None:
    """Why a PIN/password is not acceptable, or None."""
    if len(secret) > MAX_SECRET:
        return f"secret: at most {MAX_SECRET} characters"
    if secret.isascii() and secret.isdigit():
        if len(secret) < MIN_PIN:
            return f"PIN: at least {MIN_PIN} digits"
        if _guessable_pin(secret):
            return "PIN: too easy to guess (one digit repeated or a simple run)"
        return None
    if len(secret) < MIN_PASSWORD:
        return f"password: at least {MIN_PASSWORD} characters (or a PIN of {MIN_PIN}+ digits)"
    if not secret.isprintable() or secret.strip() != secret:
        return "password: no control characters or leading/trailing spaces"
    return None


def _guessable_pin(pin: str) -> bool:
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    return steps in ({0}, {1}, {-1})


def hash_secret(secret: str) -> str:
    problem = secret_problem(secret)
    if problem:
        raise StaffError(problem)
    return HASHER.hash(secret)


# -- accounts (administrator) ----------------------------------------------------------


def add_staff(session: Session, actor: Actor, staff_no: str, name: str, role: str,
              secret: str | None = None, store_code: str | None = None,
              clock: Clock | None = None) -> StaffAccount:
    auth.require(actor, "staff.manage")
    staff = _new_staff(session, staff_no, name, role, secret, store_code)
    audit.record(session, actor, "staff.add", None, f"{staff.staff_no} as {role}", clock)
    return _account(session, staff)


def init_admin(session: Session, staff_no: str, name: str, secret: str,
               clock: Clock | None = None) -> StaffAccount:
    """The very first administrator, from the shell. Refuses once any admin exists."""
    if session.scalar(select(func.count()).select_from(Staff).where(Staff.role == "admin")):
        raise StaffError("an administrator already exists; ask them to add accounts")
    staff = _new_staff(session, staff_no, name, "admin", secret, None)
    audit.record(session, auth.SYSTEM, "staff.add", None, f"{staff_no} as first admin", clock)
    return _account(session, staff)


def set_secret(session: Session, actor: Actor, staff_no: str, secret: str,
               clock: Clock | None = None) -> None:
    """An administrator sets anyone's PIN/password (a forgotten PIN, a new account).

    People change their own with `change_own_secret`, which asks for the current one:
    otherwise whoever finds a signed-in desk could take the account over.
    """
    auth.require(actor, "staff.manage")
    staff = _get(session, staff_no)
    staff.password_hash = hash_secret(secret)
    staff.failed_attempts = 0
    staff.locked_until = None
    audit.record(session, actor, "staff.set_secret", None, staff_no, clock)


def set_active(session: Session, actor: Actor, staff_no: str, active: bool,
               clock: Clock | None = None) -> None:
    auth.require(actor, "staff.manage")
    staff = _get(session, staff_no)
    if not active and staff.id == actor.staff_id:
        raise StaffError("you cannot disable your own account")
    staff.active = active
    audit.record(session, actor, "staff.enable" if active else "staff.disable", None,
                 staff_no, clock)


def unlock(session: Session, actor: Actor, staff_no: str, clock: Clock | None = None) -> None:
    auth.require(actor, "staff.manage")
    staff = _get(session, staff_no)
    staff.failed_attempts = 0
    staff.locked_until = None
    audit.record(session, actor, "staff.unlock", None, staff_no, clock)


def list_staff(session: Session, actor: Actor) -> list[StaffAccount]:
    auth.require(actor, "staff.manage")
    return [_account(session, s) for s in session.scalars(select(Staff).order_by(Staff.staff_no))]


def _new_staff(session: Session, staff_no: str, name: str, role: str, secret: str | None,
               store_code: str | None) -> Staff:
    problems = _account_problems(session, staff_no, name, role)
    if problems:
        raise StaffError("; ".join(problems))
    staff = Staff(staff_no=staff_no.strip(), name=name.strip(), role=role,
                  store_id=_store_id(session, store_code),
                  password_hash=hash_secret(secret) if secret is not None else None)
    session.add(staff)
    session.flush()
    return staff


def _account_problems(session: Session, staff_no: str, name: str, role: str) -> list[str]:
    problems = []
    no = staff_no.strip()
    if not no or len(no) > 32 or not (no.isascii() and no.isalnum()):
        problems.append("staff_no: letters and digits, 1–32 characters")
    elif session.scalar(select(Staff.id).where(Staff.staff_no == no)):
        problems.append(f"staff_no: {no} already exists")
    if not name.strip() or len(name) > 200:
        problems.append("name: required, at most 200 characters")
    if role not in ROLES:
        problems.append(f"role: one of {', '.join(ROLES)}")
    return problems


def _store_id(session: Session, code: str | None) -> uuid.UUID | None:
    if not code:
        return None
    store_id = session.scalar(select(Store.id).where(Store.code == code))
    if store_id is None:
        raise StaffError(f"store: no store with code {code!r}")
    return store_id


def _get(session: Session, staff_no: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.staff_no == staff_no.strip()))
    if staff is None:
        raise StaffError(f"staff_no: no account {staff_no[:32]!r}")
    return staff


def _account(session: Session, s: Staff) -> StaffAccount:
    code = session.scalar(select(Store.code).where(Store.id == s.store_id)) if s.store_id else None
    return StaffAccount(s.id, s.staff_no, s.name, s.role, code, s.active,
                        s.password_hash is not None, s.failed_attempts, s.locked_until)


# -- signing in ------------------------------------------------------------------------

# Verified against when the account is unknown or has no secret, so every failure costs
# the same Argon2 work (a timing probe cannot list staff numbers). Made with the current
# parameters, so it costs what a real account's hash costs.
_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    params = (HASHER.time_cost, HASHER.memory_cost, HASHER.parallelism)
    if params not in _dummy_hashes:
        _dummy_hashes[params] = HASHER.hash("vipdesk-no-such-account")
    return _dummy_hashes[params]


def sign_in(factory: sessionmaker[Session], staff_no: str, secret: str, clock: Clock,
            policy: LockoutPolicy = LockoutPolicy(), desk: str = "") -> Actor:
    """The Actor for a correct staff number + secret; `SignInFailed` otherwise.

    Runs its own unit of work: a failure must be counted (and audited) even though the
    caller sees an exception. Signing in while the desk is locked is how people switch.
    """
    with factory() as session, session.begin():
        staff = session.scalar(select(Staff).where(Staff.staff_no == staff_no.strip()[:32]))
        refusal = _refusal(staff, secret, clock.now())
        if refusal is None and staff is not None:
            return _accepted(session, staff, secret, clock, desk)
        failure = refusal or WRONG
        if staff is not None and failure == WRONG:
            failure = _count_failure(staff, clock.now(), policy)
        actor = Actor(None, "", "", staff_no=staff_no.strip()[:32], desk=desk)
        audit.record(session, actor, "staff.sign_in_failed", None, failure, clock)
        locked = staff.locked_until if failure != WRONG and staff is not None else None
    raise SignInFailed(failure, locked)


def _refusal(staff: Staff | None, secret: str, now: datetime) -> str | None:
    usable = staff is not None and staff.active and staff.password_hash is not None
    matches = _verify(staff.password_hash if usable and staff else None, secret)
    if staff is not None and staff.locked_until is not None and staff.locked_until > now:
        return f"account locked until {staff.locked_until:%H:%M} UTC; ask a manager or wait"
    return None if usable and matches else WRONG


def _verify(hashed: str | None, secret: str) -> bool:
    try:
        return HASHER.verify(hashed or _dummy_hash(), secret[:MAX_SECRET]) and bool(hashed)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(staff: Staff, now: datetime, policy: LockoutPolicy) -> str:
    staff.failed_attempts += 1
    if staff.failed_attempts >= policy.max_failures:
        staff.failed_attempts = 0
        staff.locked_until = now + timedelta(minutes=policy.lock_minutes)
        return f"{WRONG}; too many attempts, locked for {policy.lock_minutes} minutes"
    return WRONG


def _accepted(session: Session, staff: Staff, secret: str, clock: Clock, desk: str) -> Actor:
    staff.failed_attempts = 0
    staff.locked_until = None
    if staff.password_hash and HASHER.check_needs_rehash(staff.password_hash):
        staff.password_hash = HASHER.hash(secret)  # parameters were raised since
    actor = Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no, desk)
    audit.record(session, actor, "staff.sign_in", None, "", clock)
    return actor


# -- changing one's own secret ----------------------------------------------------------

CURRENT_WRONG = "current PIN/password is wrong"
SAME_SECRET = "new PIN/password: the same as the current one"


def change_own_secret(factory: sessionmaker[Session], actor: Actor, current: str, new: str,
                      clock: Clock, policy: LockoutPolicy = LockoutPolicy()) -> None:
    """The signed-in person replaces their own PIN/password, proving the current one.

    The current secret is checked exactly as at sign-in (same Argon2 verification, same
    lock-out counter and policy), so this is no side door for guessing PINs. Runs its own
    unit of work: a wrong current secret must be counted and audited although the caller
    gets an exception. The new secret is checked before anything is verified or written.
    """
    if actor.staff_id is None or actor.role not in auth.ALL:
        raise auth.PermissionDenied(f"{actor.name} ({actor.role or 'not signed in'}) "
                                    "may not change a PIN: sign in first")
    problem = secret_problem(new) or (SAME_SECRET if new == current else None)
    if problem:
        raise StaffError(problem)
    with factory() as session, session.begin():
        staff = session.get(Staff, actor.staff_id)
        refusal = _refusal(staff, current, clock.now())
        if refusal is None and staff is not None:
            _store_new_secret(session, actor, staff, new, clock)
            return
        failure = _change_failure(staff, refusal, clock.now(), policy)
        audit.record(session, actor, "staff.change_secret_failed", None, str(failure), clock)
    raise failure


def _store_new_secret(session: Session, actor: Actor, staff: Staff, new: str,
                      clock: Clock) -> None:
    staff.password_hash = hash_secret(new)
    staff.failed_attempts = 0
    staff.locked_until = None
    audit.record(session, actor, "staff.change_secret", None, staff.staff_no, clock)


def _change_failure(staff: Staff | None, refusal: str | None, now: datetime,
                    policy: LockoutPolicy) -> WrongCurrentSecret:
    if staff is not None and refusal is not None and refusal != WRONG:
        return WrongCurrentSecret(refusal, staff.locked_until)  # already locked
    if staff is None:
        return WrongCurrentSecret(CURRENT_WRONG)
    counted = _count_failure(staff, now, policy)
    if staff.locked_until is not None and staff.locked_until > now:
        return WrongCurrentSecret(counted.replace(WRONG, CURRENT_WRONG), staff.locked_until)
    return WrongCurrentSecret(CURRENT_WRONG)


# -- idle lock -------------------------------------------------------------------------


@dataclass(frozen=True)
class IdleLock:
    """When the desk should lock: after `minutes` without input (Config.idle_lock_minutes).

    The UI feeds it input times; `0` minutes disables locking (development only).
    """

    minutes: int

    def locks_at(self, last_input: datetime) -> datetime | None:
        return last_input + timedelta(minutes=self.minutes) if self.minutes > 0 else None

    def should_lock(self, last_input: datetime, now: datetime) -> bool:
        deadline = self.locks_at(last_input)
        return deadline is not None and now >= deadline

    def remaining_ms(self, last_input: datetime, now: datetime) -> int | None:
        deadline = self.locks_at(last_input)
        if deadline is None:
            return None
        return max(0, int((deadline - now).total_seconds() * 1000))


def with_desk(actor: Actor, desk: str) -> Actor:
    return replace(actor, desk=desk)



# -- demo ------------------------------------------------------------------------------

DEMO_PIN = "246810"  # documented in docs/security.md; demo databases only


def set_demo_pins(session: Session, pin: str = DEMO_PIN) -> int:
    """Give every demo account that has no secret yet the documented demo PIN."""
    count = 0
    for staff in session.scalars(select(Staff).where(Staff.password_hash.is_(None))):
        staff.password_hash = hash_secret(pin)
        count += 1
    return count

"""Command-line sessions: one identity for every `vipdesk …` command (SPEC §10).

`vipdesk signin` proves a staff number and secret through `staff.sign_in` (same Argon2,
same lock-out, same audit) and opens a session for one OS user on this desk database.
The random token goes to a file only that OS user can read; this table keeps only its
SHA-256, so a copy of the database does not hold a usable token. A session ends after
the idle-lock time without use, when the account's secret, role or active flag changes
(the credential stamp no longer matches), or at `vipdesk signout`.

A database made by `vipdesk demo` carries the desk setting `demo`: there a command with
no session acts as the demo's first manager, and the window may skip its sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import CliSession, DeskSetting, Staff
from vipdesk.services import audit
from vipdesk.services import staff as staff_accounts
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock

DEMO_SETTING = "demo"
DEFAULT_IDLE_MINUTES = 10  # when the window's idle lock is off, sessions still expire


class NotSignedIn(Exception):
    """No usable session: none, expired, or ended by an account change. `reason` is for
    the audit trail and tests; people see one sign-in line whatever it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Opened:
    token: str
    actor: Actor


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def credential_stamp(staff: Staff) -> str:
    """Changes whenever the secret (new salt every time), role, store or active flag do."""
    basis = f"{staff.password_hash}|{staff.role}|{staff.store_id}|{staff.active}"
    return hashlib.sha256(basis.encode()).hexdigest()


def idle_minutes(configured: int) -> int:
    return configured if configured > 0 else DEFAULT_IDLE_MINUTES


def open_session(factory: sessionmaker[Session], staff_no: str, secret: str, os_user: str,
                 clock: Clock, desk: str = "",
                 policy: staff_accounts.LockoutPolicy | None = None) -> Opened:
    """Sign in (`SignInFailed` on a wrong secret, counted towards the lock-out) and open a
    session, replacing any earlier one of this OS user on this desk."""
    actor = staff_accounts.sign_in(factory, staff_no, secret, clock,
                                   policy or staff_accounts.LockoutPolicy(), desk=desk)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with factory() as session, session.begin():
        staff = session.get(Staff, actor.staff_id)
        assert staff is not None  # sign_in just found it
        session.execute(delete(CliSession).where(CliSession.os_user == os_user))
        session.add(CliSession(token_hash=token_hash(token), staff_id=staff.id,
                               os_user=os_user, credential_stamp=credential_stamp(staff),
                               created_at=now, last_used_at=now))
    return Opened(token, actor)


def resume(factory: sessionmaker[Session], token: str, os_user: str, clock: Clock,
           idle: int, desk: str = "") -> Actor:
    """The signed-in person for this token, refreshing its last use; `NotSignedIn`
    (and the row removed) when the session is unknown, expired or out of date."""
    now = clock.now()
    with factory() as session, session.begin():
        row = session.scalar(select(CliSession).where(
            CliSession.token_hash == token_hash(token)))
        staff = session.get(Staff, row.staff_id) if row is not None else None
        reason = _invalid(row, staff, os_user, now - timedelta(minutes=idle_minutes(idle)))
        if reason is not None or row is None or staff is None:
            if row is not None:
                session.delete(row)
            failure = NotSignedIn(reason or "no session")
        else:
            row.last_used_at = now
            return Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no,
                         desk)
    raise failure


def _invalid(row: CliSession | None, staff: Staff | None, os_user: str,
             oldest_use: datetime) -> str | None:
    if row is None or staff is None:
        return "no session"
    if row.os_user != os_user:
        return "session of another OS user"
    if row.last_used_at < oldest_use:
        return "session expired"
    if not staff.active or row.credential_stamp != credential_stamp(staff):
        return "account changed since sign-in"
    return None


def close(factory: sessionmaker[Session], token: str, actor: Actor | None,
          clock: Clock) -> bool:
    """End the session (audited when it was still valid); whether a row was removed."""
    with factory() as session, session.begin():
        row = session.scalar(select(CliSession).where(
            CliSession.token_hash == token_hash(token)))
        if row is None:
            return False
        session.delete(row)
        if actor is not None:
            audit.record(session, actor, "staff.sign_out", None, "command line", clock)
    return True


# -- demo desks ------------------------------------------------------------------------


def mark_demo(session: Session) -> None:
    """Written by the demo builder only: this file is a demo lounge."""
    if session.get(DeskSetting, DEMO_SETTING) is None:
        session.add(DeskSetting(key=DEMO_SETTING, value="1"))


def is_demo(session: Session) -> bool:
    row = session.get(DeskSetting, DEMO_SETTING)
    return row is not None and row.value == "1"


def demo_actor(factory: sessionmaker[Session], desk: str = "") -> Actor | None:
    """Who a demo desk's commands act as without a session: its first active manager."""
    with factory() as session:
        if not is_demo(session):
            return None
        staff = session.scalar(select(Staff).where(Staff.role == "manager", Staff.active)
                               .order_by(Staff.staff_no).limit(1))
        if staff is None:
            return None
        return Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no, desk)

"""Enrolment: an administrator issues a one-time code for a store; a desk redeems it
once and receives its own credential; an administrator can revoke a device.

Only hashes are stored: the code's (until it is used or expires) and the desk secret's.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from vipdesk.central.auth import Device, Refused, digest, new_secret
from vipdesk.models import utcnow
from vipdesk.models.sync import CentralDevice, CentralEnrolment, CentralPushLog
from vipdesk.outbox.ops import PushResult

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone
CODE_LENGTH = 12
DEFAULT_TTL = timedelta(hours=24)


def normalise(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def issue_code(engine: Engine, store: str, ttl: timedelta = DEFAULT_TTL) -> str:
    """A fresh code for `store`, shown once (three groups of four letters and digits,
    e.g. QWRP-C63W-3ZA9); the centre keeps its hash."""
    if not store.strip():
        raise ValueError("a store code is needed (--store SH01)")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(insert(CentralEnrolment).values(
            code_hash=digest(raw), store=store.strip(), created_at=now, expires_at=now + ttl))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def redeem(engine: Engine, code: str, name: str) -> tuple[Device, str]:
    """Use the code (once: the update only matches an unused, unexpired code, so two
    desks racing with one code cannot both win) and create the device."""
    device_id, secret, now = uuid.uuid4(), new_secret(), utcnow()
    with engine.begin() as conn:
        store = conn.execute(
            update(CentralEnrolment)
            .where(CentralEnrolment.code_hash == digest(normalise(code)),
                   CentralEnrolment.used_at.is_(None), CentralEnrolment.expires_at > now)
            .values(used_at=now, device_id=device_id)
            .returning(CentralEnrolment.store)).scalar()
        if store is None:
            raise Refused(403, "this enrolment code is unknown, expired or already used")
        conn.execute(insert(CentralDevice).values(
            id=device_id, store=store, name=name[:200], secret_hash=digest(secret),
            enrolled_at=now))
    return Device(device_id, store), secret


def revoke(engine: Engine, device_id: uuid.UUID) -> bool:
    with engine.begin() as conn:
        done = conn.execute(update(CentralDevice)
                            .where(CentralDevice.id == device_id,
                                   CentralDevice.revoked_at.is_(None))
                            .values(revoked_at=utcnow()))
    return bool(done.rowcount)


def devices(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(CentralDevice).order_by(CentralDevice.store,
                                                           CentralDevice.enrolled_at))
        return [{"device": str(r.id), "store": r.store, "name": r.name,
                 "enrolled_at": r.enrolled_at.isoformat(),
                 "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
                 "last_seen_at": r.last_seen_at.isoformat() if r.last_seen_at else None}
                for r in rows]


def record_push(conn: Connection, device: Device, ops: int, result: PushResult) -> None:
    """The push log and the device's last-seen time, inside the push's transaction."""
    now = utcnow()
    conn.execute(insert(CentralPushLog).values(
        device_id=device.id, store=device.store, pushed_at=now, ops=ops,
        outcomes=json.dumps(result.counts, sort_keys=True)))
    conn.execute(update(CentralDevice).where(CentralDevice.id == device.id)
                 .values(last_seen_at=now))

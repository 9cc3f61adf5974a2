"""Who is calling: an enrolled, unrevoked desk, known by its bearer token.

The token is `vdk1.<device id>.<secret>`; the centre keeps SHA-256 of the secret (a
32-byte random secret needs no slow hash: there is nothing to guess).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, select

from vipdesk.models.sync import CentralDevice
from vipdesk.sync.credential import TOKEN_PREFIX


class Refused(Exception):
    """A request the service turns away, with the HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Device:
    id: uuid.UUID
    store: str


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(header: str | None) -> tuple[uuid.UUID, str]:
    scheme, _, token = (header or "").partition(" ")
    prefix, _, rest = token.partition(".")
    device, _, secret = rest.partition(".")
    if scheme.lower() != "bearer" or prefix != TOKEN_PREFIX or not secret:
        raise Refused(401, "no desk credential (enrol this desk: vipdesk enrol CODE)")
    try:
        return uuid.UUID(device), secret
    except ValueError:
        raise Refused(401, "malformed desk credential") from None


def authenticate(engine: Engine, header: str | None) -> Device:
    device_id, secret = parse_token(header)
    with engine.connect() as conn:
        row = conn.execute(select(CentralDevice.store, CentralDevice.secret_hash,
                                  CentralDevice.revoked_at)
                           .where(CentralDevice.id == device_id)).first()
    # Compare even for an unknown device: the answer's timing says nothing either way.
    known_hash = row.secret_hash if row else digest(secrets.token_hex(16))
    if not hmac.compare_digest(known_hash, digest(secret)) or row is None:
        raise Refused(401, "unknown desk credential (enrol this desk again)")
    if row.revoked_at is not None:
        raise Refused(403, f"this desk's enrolment was revoked on "
                           f"{row.revoked_at:%Y-%m-%d %H:%M} UTC; ask an administrator")
    return Device(device_id, row.store)

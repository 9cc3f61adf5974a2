"""The desk's credential for the central service, kept beside its database file.

It is the desk's own: a device id and a random secret the centre issued when the desk
redeemed its one-time enrolment code (the centre keeps only a hash of the secret). The
file is readable by the desk's OS user only (mode 0600), like the desk key.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

TOKEN_PREFIX = "vdk1"


class CredentialError(ValueError):
    """The credential file is missing, malformed or readable by other users."""


@dataclass(frozen=True)
class Credential:
    central_url: str
    store: str
    device_id: uuid.UUID
    secret: str

    @property
    def token(self) -> str:
        """The bearer token the service checks: `vdk1.<device id>.<secret>`."""
        return f"{TOKEN_PREFIX}.{self.device_id}.{self.secret}"


def save(path: Path, credential: Credential) -> None:
    """Write the file whole (a temporary file, then rename) and private from the start."""
    data = {**asdict(credential), "device_id": str(credential.device_id)}
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


def load(path: Path) -> Credential:
    if not path.exists():
        raise CredentialError(f"this desk is not enrolled with the central service (no "
                              f"{path}); ask an administrator for an enrolment code and "
                              "run `vipdesk enrol CODE --central https://…`")
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise CredentialError(f"the credential file {path} is readable by other users; "
                              f"run: chmod 600 {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credential(str(data["central_url"]), str(data["store"]),
                          uuid.UUID(str(data["device_id"])), str(data["secret"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CredentialError(f"the credential file {path} cannot be read ({error})") \
            from error

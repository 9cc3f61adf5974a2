"""Opening the desk database the configuration names: plain, or SQLCipher-encrypted when
a key file is configured (`db_key_file`; see docs/security.md)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from vipdesk.config import Config


def open_database(config: Config) -> Engine:
    from vipdesk.crypto import key_from_file
    from vipdesk.db import open_desk_db

    key = key_from_file(Path(config.db_key_file)) if config.db_key_file else None
    return open_desk_db(config.db, key=key)

"""Opening the desk database the configuration names: plain, or SQLCipher-encrypted when
a key file is configured (`db_key_file`; see docs/security.md).

Whatever keeps the desk from opening — no database at the path, a missing, malformed,
exposed or wrong key file, a missing audit table — is one `DeskOpenError` with a
sentence staff can act on; the command line exits with `DESK_OPEN_EXIT` and the window
shows the sentence, then exits with the same code.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, exc

from vipdesk.config import Config

DESK_OPEN_EXIT = 3


class DeskOpenError(Exception):
    """The desk database cannot be opened (deliberately not a ValueError: commands that
    turn bad input into exit 2 must let it through to the one place that maps it to 3)."""

    exit_code = DESK_OPEN_EXIT


def open_database(config: Config, *, create: bool = False, audit_table: bool = True) -> Engine:
    """The desk's engine. A path with no database is refused unless `create` (the few
    commands that start a desk); `audit_table=False` lets `audit verify` report a
    dropped audit table itself."""
    from vipdesk.crypto import DatabaseKeyError, KeyFileError, key_from_file
    from vipdesk.db import open_desk_db

    path = Path(config.db).expanduser()
    _check_path(path, create)
    try:
        key = key_from_file(Path(config.db_key_file)) if config.db_key_file else None
        engine = open_desk_db(path, key=key)
    except (KeyFileError, DatabaseKeyError) as error:
        raise DeskOpenError(str(error)) from error
    except exc.DBAPIError as error:
        reason = str(getattr(error, "orig", error)).split("\n")[0]
        raise DeskOpenError(f"the desk database {path} cannot be opened ({reason})") \
            from error
    if audit_table:
        _check_audit_table(engine)
    return engine


def _check_path(path: Path, create: bool) -> None:
    if str(path) == ":memory:":
        return
    if path.is_dir():
        raise DeskOpenError(f"{path} is a folder, not a desk database (check --db / "
                            "VIPDESK_DB)")
    if not create and not path.exists():
        raise DeskOpenError(f"there is no desk database at {path} (check --db / "
                            "VIPDESK_DB; `vipdesk demo` or `vipdesk staff init-admin` "
                            "starts one)")


def _check_audit_table(engine: Engine) -> None:
    from vipdesk.services.audit_chain import AuditLogMissing, table_present

    with engine.connect() as conn:
        present = table_present(conn)
    if not present:
        engine.dispose()
        raise DeskOpenError(str(AuditLogMissing()))


def default_desk(config: Config) -> bool:
    """The configuration names the default database (nothing set --db / VIPDESK_DB)."""
    return Path(config.db).expanduser() == Config().db

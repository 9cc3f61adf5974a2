"""Opening the desk database the configuration names: plain, or SQLCipher-encrypted when
a key file is configured (`db_key_file`; see docs/security.md).

The key may also live in the OS keyring (`db_key_keyring`): it is looked up there first,
the key file being the fallback when the keyring has no entry or cannot be used.

Whatever keeps the desk from opening — no database at the path, a missing, malformed,
exposed or wrong key (file or keyring), a missing audit table — is one `DeskOpenError` with a
sentence staff can act on; the command line exits with `DESK_OPEN_EXIT` and the window
shows the sentence, then exits with the same code.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, exc

from vipdesk.config import Config

DESK_OPEN_EXIT = 3
STORAGE_EXIT = 5  # the database could not take the write now: nothing was saved

# SQLite's own conditions, as the driver says them (sqlite3 and SQLCipher alike), and
# what they mean for whoever was saving. The window translates these sentences.
STORAGE_WORDS = (
    (("database is locked", "database table is locked"),
     "The desk database is busy: another program (an import, a sync) is writing to it. "
     "Nothing was saved; try again in a moment."),
    (("database or disk is full",),
     "The disk is full: nothing was saved. Free some space, then try again."),
    (("attempt to write a readonly database",),
     "The desk database cannot be written here (a read-only file or folder): nothing "
     "was saved."),
    (("disk I/O error",),
     "The disk could not be read or written (an I/O error): nothing was saved. Check "
     "the disk, then try again."),
)


class DeskOpenError(Exception):
    """The desk database cannot be opened (deliberately not a ValueError: commands that
    turn bad input into exit 2 must let it through to the one place that maps it to 3)."""

    exit_code = DESK_OPEN_EXIT


def open_database(config: Config, *, create: bool = False, audit_table: bool = True) -> Engine:
    """The desk's engine. A path with no database is refused unless `create` (the few
    commands that start a desk); `audit_table=False` lets `audit verify` report a
    dropped audit table itself."""
    from vipdesk.crypto import DatabaseKeyError, KeyFileError
    from vipdesk.db import open_desk_db

    path = Path(config.db).expanduser()
    _check_path(path, create)
    try:
        engine = open_desk_db(path, key=desk_key(config))
    except (KeyFileError, DatabaseKeyError) as error:
        raise DeskOpenError(str(error)) from error
    except exc.DBAPIError as error:
        reason = str(getattr(error, "orig", error)).split("\n")[0]
        raise DeskOpenError(f"the desk database {path} cannot be opened ({reason})") \
            from error
    if audit_table:
        _check_audit_table(engine)
    return engine


def storage_problem(error: BaseException) -> str | None:
    """What a failed statement on the desk database means for staff, when it is one of
    SQLite's own conditions (busy, disk full, read-only, I/O); None for anything else.
    The failed statement's transaction is rolled back, so nothing is half-written."""
    cause = getattr(error, "orig", None) if isinstance(error, exc.DBAPIError) else error
    if cause is None or type(cause).__name__ != "OperationalError":
        return None
    text = str(cause)
    return next((words for needles, words in STORAGE_WORDS
                 if any(needle in text for needle in needles)), None)


def desk_key(config: Config) -> str | None:
    """The SQLCipher key: from the OS keyring when configured, else (or when the keyring
    has none) from the key file; None for a plain desk. `crypto.KeyFileError` says why
    there is none when one is configured."""
    from vipdesk.crypto import KeyFileError, derive_key, key_from_file, keyring_secret

    if config.db_key_keyring:
        secret, why = keyring_secret(config.db_key_keyring)
        if secret is not None:
            return derive_key(secret)
        if not config.db_key_file:
            raise KeyFileError(f"{why}: the encrypted desk cannot be opened without its key "
                               "(check db_key_keyring / VIPDESK_DB_KEY_KEYRING, or give a "
                               "key file)")
    return key_from_file(Path(config.db_key_file)) if config.db_key_file else None


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
    from vipdesk.outbox.audit_chain import AuditLogMissing, table_present

    with engine.connect() as conn:
        present = table_present(conn)
    if not present:
        engine.dispose()
        raise DeskOpenError(str(AuditLogMissing()))


def default_desk(config: Config) -> bool:
    """The configuration names the default database (nothing set --db / VIPDESK_DB)."""
    return Path(config.db).expanduser() == Config().db

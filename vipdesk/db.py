"""Opening the desk database: engine, pragmas, migrations, sessions.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so the UI's readers
never block on the single writer and a killed app leaves a consistent file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path).expanduser()}" if str(path) != ":memory:" else "sqlite://"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA mmap_size=268435456")
    cur.close()


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_desk_db(path: Path | str, *, migrate: bool = True, key: str | None = None) -> Engine:
    """The desk's engine, with the schema brought to the newest migration.

    `key` (64 hex digits, see `vipdesk.crypto`) opens an SQLCipher-encrypted file;
    without it the file is plain SQLite (development and tests).
    """
    if str(path) != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if key is None:
        engine = make_engine(sqlite_url(path))
    else:
        from vipdesk.crypto import quiet_sqlcipher

        quiet_sqlcipher()
        engine = make_engine(sqlcipher_url(path, key), poolclass=QueuePool)
        event.listen(engine, "connect", _sqlcipher_pragmas)
    check_key(engine, Path(path).expanduser(), key)
    if migrate:
        upgrade(engine)
    install_sync_capture()
    return engine


def _sqlcipher_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLCipher cannot memory-map an encrypted file, so its page cache of decrypted
    # pages is the only cache: give it room for the lookup indexes of a 1M-member desk
    # (pages are allocated as touched, so a small desk uses little).
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA cache_size=-262144")
    cur.close()


def sqlcipher_url(path: Path | str, key: str) -> URL:
    """SQLAlchemy's pysqlcipher URL; the key travels as the (hidden) password."""
    from vipdesk.crypto import raw_key_pragma_value

    return URL.create("sqlite+pysqlcipher", password=raw_key_pragma_value(key),
                      database=str(Path(path).expanduser()))


def check_key(engine: Engine, path: Path, key: str | None) -> None:
    """Fail at open, in words, when the key does not fit the file (not at first query).

    The file's header is read only after SQLite refused it: closing any descriptor of a
    file drops every POSIX lock this process holds on it, including those of SQLite
    connections already open on the desk (another engine in the same process), which
    can let another process write under them and damage the file."""
    from vipdesk.crypto import DatabaseKeyError

    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master")
    except exc.DatabaseError as error:
        engine.dispose()
        raise DatabaseKeyError(_key_problem(path, key)) from error


def _key_problem(path: Path, key: str | None) -> str:
    from vipdesk.crypto import is_plain_sqlite

    plain = is_plain_sqlite(path) if str(path) != ":memory:" else None
    if key is None and plain is False:
        return (f"{path} is encrypted: give its key file or keyring entry "
                "(db_key_file / VIPDESK_DB_KEY_FILE, db_key_keyring)")
    if key is not None and plain:
        return (f"{path} is a plain database: encrypt it first "
                "(vipdesk encrypt) or open it without a key")
    return (f"the key does not open {path}: a wrong key (file or keyring entry), "
            "or the database is damaged")


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and at_head(engine):
        return  # the common case at every start: no alembic import, no environment (≈ 0.5 s)
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*['\"]?([0-9a-f]+|None)", re.M)


def script_heads() -> set[str]:
    """Head revisions read straight from the migration files (alembic keeps the same rule:
    a revision nobody names as its `down_revision`). tests/test_migrations.py checks
    this agrees with alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    return revisions - parents


def at_head(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            current = {row[0] for row in conn.exec_driver_sql(
                "SELECT version_num FROM alembic_version")}
    except exc.DBAPIError:
        return False  # a new database: no version table yet
    return current == script_heads()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    install_sync_capture()
    return sessionmaker(engine, expire_on_commit=False)


def install_sync_capture() -> None:
    """Every ORM write to a desk database also writes its sync outbox row, in the same
    transaction (vipdesk/outbox/capture.py); installed once per process."""
    from vipdesk.outbox.audit_chain import install as chain_audit_entries
    from vipdesk.outbox.capture import install

    install()
    chain_audit_entries()


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction per user action: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session

"""The central database as the desks see it: push a batch, read changes, tell the time.

PostgreSQL in production (TLS); a SQLite file may stand in for one-machine demos
through the same code. What differs is kept here:

- one pusher per store: PostgreSQL takes `pg_advisory_xact_lock` on the store (a newer
  pusher ends a stuck one); SQLite's `BEGIN IMMEDIATE` makes one writer for the file.
- commit-safe pull: PostgreSQL reads `(txid, seq) > cursor AND txid < pg_snapshot_xmin`;
  SQLite has one writer, so commit order is `seq` order.
- time: the server's `clock_timestamp()`; for SQLite, this machine's clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg
from sqlalchemy import Connection, Engine, event, exc, text
from sqlalchemy.engine import make_url

from vipdesk.config import Config
from vipdesk.db import make_engine, upgrade
from vipdesk.outbox.ops import Change, Op, PushResult
from vipdesk.sync import authority
from vipdesk.sync.merge import Batch, Merger
from vipdesk.sync.snapshot import SnapshotHead, check_horizon, read_snapshot

LOCK_WAIT = "10s"
IDLE_IN_TRANSACTION = "60s"  # a desk that dies mid-transaction must not stall the watermark


class CentreUnavailable(ConnectionError):
    """The centre cannot be reached or dropped the connection; try again later."""


class CentreRefused(CentreUnavailable):
    """The central service refused this desk (unknown, revoked, or another store's). The
    outbox stays as it is; the runner keeps retrying with back-off, as when offline."""


# Writes, in the push's own transaction, who pushed it (the service's push log).
PushRecorder = Callable[[Connection, PushResult], None]


class CentreAPI(Protocol):
    """What a desk's sync uses: the database itself (`Centre`) or the central service
    over HTTPS (`vipdesk.sync.remote.RemoteCentre`)."""

    @property
    def label(self) -> str: ...

    def push(self, store: str, ops: list[Op]) -> PushResult: ...

    def changes(self, cursor: tuple[int, int], limit: int) -> tuple[list[Change], int]: ...

    def server_time_ms(self) -> int: ...

    def snapshot(self) -> tuple[SnapshotHead, Iterator[Change]]: ...

    def dispose(self) -> None: ...


def _result(batch: Batch, ops: list[Op]) -> PushResult:
    acks = [batch.acks[op.op_id] for op in ops]
    counts: dict[str, int] = {}
    for ack in acks:
        counts[ack.outcome.value] = counts.get(ack.outcome.value, 0) + 1
    return PushResult(acks, batch.now_ms, counts)


def mask_url(url: str) -> str:
    """The URL for messages and logs: never the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is still shown without its secrets
        return "<central URL>"


@dataclass(frozen=True)
class CentreSettings:
    url: str
    sslmode: str = ""
    ca_file: str = ""
    connect_timeout: int = 5
    credential_file: str = ""  # the desk's enrolment with the central service
    pool_size: int = 0  # 0: SQLAlchemy's default; the service keeps its pool small


def settings_from(config: Config) -> CentreSettings:
    return CentreSettings(config.central_url, config.central_sslmode, config.central_ca_file,
                          credential_file=str(credential_path(Path(config.db))))


def credential_path(db: Path) -> Path:
    """Where a desk keeps its central-service credential: beside its database file."""
    return db.with_name(db.name + ".central")


def is_service_url(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def open_centre(settings: CentreSettings) -> CentreAPI:
    """The central service for an https:// URL, else the database directly (tests, a
    single store, the service's own process)."""
    if is_service_url(settings.url):
        from vipdesk.sync.remote import RemoteCentre

        return RemoteCentre.from_settings(settings)
    return connect(settings)


def connect(settings: CentreSettings) -> Centre:
    if not settings.url:
        raise ValueError("no central database configured (--central URL or VIPDESK_CENTRAL_URL)")
    url = make_url(settings.url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if settings.pool_size:
        kwargs.update(pool_size=settings.pool_size, max_overflow=settings.pool_size // 2)
    if url.get_backend_name() == "postgresql":
        args: dict[str, Any] = {"connect_timeout": settings.connect_timeout,
                                "options": f"-c idle_in_transaction_session_timeout="
                                           f"{IDLE_IN_TRANSACTION}"}
        if settings.sslmode:
            args["sslmode"] = settings.sslmode
        if settings.ca_file:
            args["sslrootcert"] = settings.ca_file
        kwargs["connect_args"] = args
    return Centre(make_engine(url, **kwargs))


class Centre:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_pg = engine.dialect.name == "postgresql"
        if not self.is_pg:
            _sqlite_immediate(engine)

    @property
    def label(self) -> str:
        return mask_url(self.engine.url.render_as_string(hide_password=False))

    def init_schema(self) -> list[str]:
        """Create or migrate the central schema (both dialects, same migrations).
        Returns notes for the administrator."""
        try:
            upgrade(self.engine)
        except exc.OperationalError as error:
            raise CentreUnavailable(_unavailable(error)) from error
        return self._server_settings() if self.is_pg else [
            "SQLite stand-in: for one-machine demos; use PostgreSQL for a chain"]

    def _server_settings(self) -> list[str]:
        # Server-wide too, not only on desk connections: any session idling inside a
        # transaction holds the pull watermark back for every desk.
        try:
            with self.engine.begin() as conn:
                conn.execute(text(
                    "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET "
                    "idle_in_transaction_session_timeout = %L', current_database(), "
                    f"'{IDLE_IN_TRANSACTION}'); END $$"))
            return [f"idle_in_transaction_session_timeout = {IDLE_IN_TRANSACTION}"]
        except exc.DBAPIError as error:
            return [f"could not set idle_in_transaction_session_timeout: {_first_line(error)}"]

    def status(self) -> dict[str, int]:
        queries = {
            "changes": "SELECT count(*) FROM sync_change_log",
            "applied_ops": "SELECT count(*) FROM sync_applied_ops",
            "dead_letters": "SELECT count(*) FROM sync_dead_letters",
            "open_conflicts": "SELECT count(*) FROM sync_conflicts WHERE settled_at IS NULL",
            "tombstones": "SELECT count(*) FROM sync_tombstones",
            "members": "SELECT count(*) FROM members",
        }
        with self._begin() as conn:
            return {k: int(conn.scalar(text(q)) or 0) for k, q in queries.items()}

    def push(self, store: str, ops: list[Op], enrolled: authority.Enrolled | None = None,
             record: PushRecorder | None = None) -> PushResult:
        """Decide every op in one transaction; retrying the same ops changes nothing.
        The service passes the desk's enrolment: ops on another store's records are
        refused (vipdesk.sync.authority); and `record`, which writes who pushed what in
        that same transaction (so a push is never applied unrecorded)."""
        try:
            return self._push(store, ops, False, enrolled, record)
        except (exc.IntegrityError, exc.DataError, psycopg.IntegrityError, psycopg.DataError):
            # One op broke a constraint or a type: redo the batch with each op in a
            # savepoint, so that op alone is rejected (dead-lettered) and the rest go
            # through. (psycopg's own classes too: the COPY path uses the raw connection.)
            return self._push(store, ops, True, enrolled, record)

    def _push(self, store: str, ops: list[Op], careful: bool,
              enrolled: authority.Enrolled | None, record: PushRecorder | None) -> PushResult:
        with self._begin() as conn:
            batch = Batch(store, self._lock_store(conn, store), enrolled)
            Merger(conn, batch, careful).run(ops)
            result = _result(batch, ops)
            if record is not None:
                record(conn, result)
        return result

    def changes(self, cursor: tuple[int, int], limit: int) -> tuple[list[Change], int]:
        """Changes after `cursor` in commit-safe order (one statement), and the time."""
        rows, now = self.change_rows(cursor, limit)
        return [Change.from_tuple(r) for r in rows], now

    def change_rows(self, cursor: tuple[int, int], limit: int) -> tuple[list[Any], int]:
        """As `changes`, with each payload left as its JSON text (the service forwards it)."""
        params = {"txid": str(cursor[0]), "seq": cursor[1], "limit": limit}
        with self._begin() as conn:
            if self.is_pg:  # plain psycopg rows: a pull moves many thousands of them
                check_horizon(conn, cursor)  # the log below it was trimmed
                sql = self._changes_sql().replace(":txid", "%(txid)s").replace(
                    ":seq", "%(seq)s").replace(":limit", "%(limit)s")
                with conn.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
                    cur.execute(sql, params)
                    rows: list[Any] = cur.fetchall()
            else:
                rows = list(conn.execute(text(self._changes_sql()), params).all())
            now = self._now_ms(conn)
        return rows, now

    def server_time_ms(self) -> int:
        with self._begin() as conn:
            return self._now_ms(conn)

    def snapshot(self) -> tuple[SnapshotHead, Iterator[Change]]:
        """Every synced row under one snapshot, and the cursor to continue from."""
        rows = self.snapshot_rows()
        head = next(rows)
        return head, (Change.from_tuple(r) for r in rows)

    def snapshot_rows(self) -> Iterator[Any]:
        """The `SnapshotHead`, then change-log-shaped rows (payloads as JSON text)."""
        if not self.is_pg:
            raise ValueError("a SQLite centre keeps its whole log: no snapshots")
        rows = read_snapshot(self.engine)
        try:
            yield from rows
        except exc.OperationalError as error:
            raise CentreUnavailable(_unavailable(error)) from error

    def _changes_sql(self) -> str:
        if self.is_pg:
            # Rows of a transaction that is still open are invisible now but will commit
            # with a txid at or above the snapshot's xmin: stopping below xmin means a
            # later pull still finds them. A plain `seq > last` would skip them for ever.
            return ("SELECT txid::text::bigint AS txid, seq, kind, table_name, record_id,"
                    " payload, store FROM sync_change_log"
                    " WHERE (txid, seq) > (CAST(:txid AS text)::xid8, :seq)"
                    " AND txid < pg_snapshot_xmin(pg_current_snapshot())"
                    # Qualified: the bare name would sort by the bigint alias, not the
                    # indexed column, and every pull would sort the whole tail.
                    " ORDER BY sync_change_log.txid, sync_change_log.seq LIMIT :limit")
        return ("SELECT txid, seq, kind, table_name, record_id, payload, store"
                " FROM sync_change_log WHERE seq > :seq ORDER BY seq LIMIT :limit")

    def _begin(self) -> Any:
        return _Translating(self.engine)

    def _now_ms(self, conn: Connection) -> int:
        if self.is_pg:
            return int(conn.scalar(text(
                "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint")))
        return time.time_ns() // 1_000_000

    def _lock_store(self, conn: Connection, store: str) -> int:
        """Take the store's push lock; returns the centre's clock once it is held (read
        in the same round trip when the lock is free, as it usually is)."""
        if not self.is_pg:
            return self._now_ms(conn)  # BEGIN IMMEDIATE already made this the only writer
        key = {"key": f"vipdesk-push:{store}"}
        got, now_ms = conn.execute(text(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0)),"
            " (extract(epoch FROM clock_timestamp()) * 1000)::bigint"), key).one()
        if not got:
            # A newer pusher of this store supersedes an old one (a desk that lost its
            # network mid-push); the old session's transaction rolls back as a whole.
            conn.execute(text(
                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l"
                " WHERE l.locktype = 'advisory' AND l.pid <> pg_backend_pid()"
                " AND l.objsubid = 1"
                " AND l.classid::bigint = (hashtextextended(:key, 0) >> 32) & 4294967295"
                " AND l.objid::bigint = hashtextextended(:key, 0) & 4294967295"), key)
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), key)
            now_ms = self._now_ms(conn)
        return int(now_ms)

    def dispose(self) -> None:
        self.engine.dispose()


class _Translating:
    """`engine.begin()` that turns a lost or refused connection into CentreUnavailable."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ctx: Any = None


    def __enter__(self) -> Connection:
        try:
            self.ctx = self.engine.begin()
            return self.ctx.__enter__()  # type: ignore[no-any-return]
        except exc.OperationalError as error:
            raise CentreUnavailable(_unavailable(error)) from error

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self.ctx.__exit__(*exc_info)
        except exc.OperationalError as error:
            raise CentreUnavailable(_unavailable(error)) from error
        if exc_info[1] is not None and _is_disconnect(exc_info[1]):
            raise CentreUnavailable(_unavailable(exc_info[1])) from exc_info[1]


def _is_disconnect(error: BaseException) -> bool:
    # psycopg's own classes too: the COPY paths use the raw connection. A pending
    # rollback means the session died earlier in this transaction.
    return isinstance(error, exc.OperationalError | exc.InterfaceError
                      | exc.PendingRollbackError | psycopg.OperationalError
                      | psycopg.InterfaceError) or (
        isinstance(error, exc.DBAPIError) and error.connection_invalidated)


def _first_line(error: BaseException) -> str:
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _unavailable(error: BaseException) -> str:
    return f"central database unavailable: {_first_line(error)}"


def _sqlite_immediate(engine: Engine) -> None:
    """A SQLite centre takes the write lock at BEGIN, so concurrent pushers queue."""

    @event.listens_for(engine, "connect")
    def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

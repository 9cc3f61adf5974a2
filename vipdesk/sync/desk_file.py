"""A ready-made desk file: how a new desk starts from a large chain in seconds.

Applying a snapshot row by row costs a few hundred microseconds a member (the wire form
decoded, the name search index computed, one insert per row): minutes for a million.
Instead, the centre builds the chain's data once as a desk database
(`desk_file_build.py`: the synced tables and the name index, under one consistent view,
with the cursor to continue the log from) and a desk with no members copies it in with
SQLite's own `INSERT … SELECT` from the attached file — no row passes through Python.

The copy is one transaction: a kill mid-way leaves the desk as it was (no members, the
cursor unmoved), and the next sync starts over. It is taken only by a desk that holds no
members and has nothing to push — its rows can then only be what every desk starts with
(the store, the default tiers), which the file's version replaces, as a snapshot would.
Anything else (a desk with members behind the change-log horizon) rebuilds from the row
snapshot, which reconciles row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection, Engine

from vipdesk.change_stream import note_write
from vipdesk.models import utcnow
from vipdesk.outbox import state, tables
from vipdesk.outbox.hlc import HybridClock, Stamp
from vipdesk.sync.push import pending

DERIVED = ("member_terms",)  # copied too: computing it is most of a snapshot's cost
SAFE_NAME = re.compile(r"^desk-[0-9]+-[0-9a-f]{8}\.sqlite\.gz$")


class DeskFileUnusable(Exception):
    """The file does not fit this desk (another schema version, a damaged download)."""


@dataclass(frozen=True)
class Manifest:
    """What the centre says about its current desk file (served as JSON)."""

    name: str
    cursor: tuple[int, int]
    hlc: str
    schema: str  # the desk schema's migration head(s) the file was built with
    size: int  # bytes of the compressed file
    sha256: str  # of the compressed file
    members: int
    built_at: str

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "cursor": list(self.cursor)}

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        try:
            manifest = cls(name=str(data["name"]),
                           cursor=(int(data["cursor"][0]), int(data["cursor"][1])),
                           hlc=str(data["hlc"]), schema=str(data["schema"]),
                           size=int(data["size"]), sha256=str(data["sha256"]),
                           members=int(data["members"]), built_at=str(data["built_at"]))
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise DeskFileUnusable(f"the desk file's description is unreadable: {error}") \
                from error
        if not SAFE_NAME.match(manifest.name):  # it becomes part of a URL and a path
            raise DeskFileUnusable(f"unexpected desk file name {manifest.name!r}")
        return manifest


@runtime_checkable
class OffersDeskFile(Protocol):
    """A centre that can hand a new desk a ready-made file (the central service)."""

    def fetch_desk_file(self, into: Path) -> Manifest | None:
        """Download the current desk file, uncompressed, to `into`; None when the
        centre has none to offer (not built, or older than the change-log horizon)."""


def schema_revision(conn: Connection) -> str:
    heads = sorted(r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version"))
    return ",".join(heads)


def may_adopt(conn: Connection) -> bool:
    """A desk with no members and an empty outbox: what a desk file may fill."""
    no_members = conn.exec_driver_sql("SELECT 1 FROM members LIMIT 1").first() is None
    return no_members and not pending(conn)


def copied_tables() -> list[str]:
    parents_first = sorted(tables.synced_tables(), key=tables.dependency_rank)
    return parents_first + list(DERIVED)


def adopt(desk: Engine, path: Path, manifest: Manifest) -> int | None:
    """Copy the desk file at `path` into this desk in one transaction; the rows copied,
    or None when the desk is no longer one a file may fill (it was left untouched)."""
    with desk.connect() as conn:
        conn.exec_driver_sql("ATTACH DATABASE ? AS ready" + _plain_key(desk), (str(path),))
        conn.commit()  # ATTACH, DETACH and the pragma cannot change inside a transaction
        try:
            with foreign_keys_unchecked(conn):
                return _copy_all(conn, manifest)
        finally:
            conn.rollback()
            conn.exec_driver_sql("DETACH DATABASE ready")
            conn.commit()


@contextmanager
def foreign_keys_unchecked(conn: Connection) -> Iterator[None]:
    """Outside a transaction: no per-row parent look-ups while a whole, consistent copy
    goes in (a term, phone or card row each looked its member up at a random page: half
    the copy's time). The file holds what the centre's constraints admitted, under one
    snapshot, parents first, and its hash was checked; the pooled connection gets its
    checks back whatever happens."""
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.commit()  # ends SQLAlchemy's own begin; the pragma took effect at once
    try:
        yield
    finally:
        conn.rollback()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


def _plain_key(desk: Engine) -> str:
    # An encrypted desk attaches the (plain) file with an empty key; plain SQLite
    # has no KEY clause.
    return " KEY ''" if desk.dialect.driver == "pysqlcipher" else ""


def _copy_all(conn: Connection, manifest: Manifest) -> int | None:
    state.put(conn, "pull_started", utcnow().isoformat())  # takes the write lock first
    if not may_adopt(conn):
        return None
    mine, theirs = schema_revision(conn), _file_schema(conn)
    if mine != theirs or theirs != manifest.schema:
        raise DeskFileUnusable(f"the desk file was built for schema {theirs}, this desk "
                               f"has {mine}")
    with indexes_built_after(conn, copied_tables(), schema="main"):
        copied = sum(_copy_table(conn, name) for name in copied_tables())
    _continue_from(conn, manifest)
    conn.commit()
    for name in copied_tables():
        note_write(name)
    return copied


def _file_schema(conn: Connection) -> str:
    try:
        heads = sorted(r[0] for r in conn.exec_driver_sql(
            "SELECT version_num FROM ready.alembic_version"))
    except Exception as error:  # not a desk database at all
        raise DeskFileUnusable(f"the desk file is not a desk database: {error}") from error
    return ",".join(heads)


def _copy_table(conn: Connection, name: str) -> int:
    """The file's rows in; a row this desk already has (its store, the default tiers,
    an administrator it pushed) takes the file's values, as a snapshot would give it.
    Another record holding one of its unique values fails the copy: the row snapshot
    then sorts that out row by row."""
    columns = _shared_columns(conn, name)
    names = ", ".join(f'"{c}"' for c in columns)
    select = f'SELECT {names} FROM ready."{name}"'
    if name in DERIVED:  # keyed by its content: this desk has none (no members)
        conn.exec_driver_sql(f'DELETE FROM main."{name}"')
        result = conn.exec_driver_sql(f'INSERT INTO main."{name}" ({names}) {select}')
    else:
        synced = tables.synced_column_names(name) - {"id"}  # local columns stay this desk's
        refresh = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c in synced)
        # "WHERE true": SQLite's parser needs it between a SELECT and ON CONFLICT.
        result = conn.exec_driver_sql(f'INSERT INTO main."{name}" ({names}) {select} '
                                      f'WHERE true '
                                      f'ON CONFLICT (id) DO UPDATE SET {refresh}')
    return max(0, int(result.rowcount or 0))


def _shared_columns(conn: Connection, name: str) -> list[str]:
    """The file is built with this schema version (checked), so its columns are this
    desk's; read both anyway rather than trusting a list kept elsewhere."""
    mine = [r[1] for r in conn.exec_driver_sql(f'PRAGMA main.table_info("{name}")')]
    theirs = {r[1] for r in conn.exec_driver_sql(f'PRAGMA ready.table_info("{name}")')}
    return [c for c in mine if c in theirs]


def _continue_from(conn: Connection, manifest: Manifest) -> None:
    if manifest.hlc:
        clock = HybridClock(state.node(conn), state.last_stamp(conn))
        clock.observe(Stamp.parse(manifest.hlc))
        state.save_stamp(conn, clock.last)
    state.save_cursor(conn, manifest.cursor)


@contextmanager
def indexes_built_after(conn: Connection, names: list[str], schema: str) -> Iterator[None]:
    """Within the caller's transaction: drop the non-unique indexes of these tables, run
    the load, create them again. A full table's index is built by one sort; kept, each
    of millions of inserts would update it at a random page. DDL is transactional in
    SQLite: on an error the caller's rollback restores the indexes with the rows."""
    dropped = drop_secondary_indexes(conn, names, schema)
    yield
    for _index, sql in dropped:
        conn.exec_driver_sql(_in_schema(sql, schema))


def drop_secondary_indexes(conn: Connection, names: list[str], schema: str
                           ) -> list[tuple[str, str]]:
    """Drop the explicit non-unique indexes of these tables; their (name, CREATE sql)."""
    marks = ", ".join("?" * len(names))
    dropped = [(index, sql) for index, sql in conn.exec_driver_sql(
        f"SELECT name, sql FROM {schema}.sqlite_master WHERE type = 'index' AND sql IS NOT "
        f"NULL AND tbl_name IN ({marks}) ORDER BY name", tuple(names)).all()
        if not sql.lstrip().upper().startswith("CREATE UNIQUE")]
    for index, _sql in dropped:
        conn.exec_driver_sql(f'DROP INDEX {schema}."{index}"')
    return dropped


def _in_schema(create_sql: str, schema: str) -> str:
    """`CREATE INDEX name ON …` → `CREATE INDEX schema.name ON …` (the index lives in
    the table's database)."""
    head, rest = create_sql.split("INDEX", 1)
    return f"{head}INDEX {schema}.{rest.lstrip()}"

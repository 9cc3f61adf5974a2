"""A desk's first load of members: the whole file in ONE transaction, with the secondary
indexes of the tables the import fills built after the rows instead of updated row by
row.

SQLite's DDL is transactional, so a kill mid-load rolls back the dropped indexes with
the rows: the desk is exactly as before (no members, same schema). Building an index
from a full table sorts once; updating it per row costs a random page access per entry,
which on a file of gigabytes is a disk read. The search terms (six or so a member, keyed
by term: random order) are staged in a TEMP table without index and inserted sorted at
the end, for the same reason (the WITHOUT ROWID table's key cannot be dropped).

Kept during the load: UNIQUE indexes (they are the duplicate checks the database does
per row; recreating one at the end would turn a duplicate line into a failed load) and
the indexes the batch checks query (`KEPT_INDEXES`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

TABLES = ("members", "member_phones", "member_cards", "member_terms", "tier_changes",
          "sync_outbox")
KEPT_INDEXES = frozenset({"ix_member_phones_e164"})  # who holds a phone, per batch
STAGED_TERMS = "temp.import_terms"
# The page cache during the load, in KiB: the desk's usual 64 MiB. More would keep more
# of the unique indexes' random inserts in memory, but the import's Python side already
# holds ~150 MiB (parsers, the name-term cache) and the budget is 300 MiB (96 MiB: 312).
LOAD_CACHE_KIB = 64 * 1024
# While the indexes are built: SQLite's sorter takes as much memory again as the page
# cache before it spills to a temporary file, so a smaller cache keeps both in budget.
BUILD_CACHE_KIB = 32 * 1024


def is_empty(conn: Connection) -> bool:
    """A desk without members: what a first load may rebuild the indexes of."""
    return conn.exec_driver_sql("SELECT 1 FROM members LIMIT 1").first() is None


def droppable_indexes(conn: Connection) -> list[tuple[str, str]]:
    """(name, CREATE sql) of the explicit non-unique indexes of the filled tables, read
    from the schema itself so a new index is not forgotten."""
    marks = ", ".join("?" * len(TABLES))
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name", TABLES).all()
    return [(name, sql) for name, sql in rows
            if name not in KEPT_INDEXES and not sql.lstrip().upper().startswith(
                "CREATE UNIQUE")]


@contextmanager
def indexes_built_after(conn: Connection) -> Iterator[None]:
    """Within the caller's transaction: drop the indexes, run the load, recreate them
    (and move the staged terms in, sorted). On an error nothing is recreated: the
    caller's rollback restores the schema."""
    dropped = droppable_indexes(conn)
    for name, _sql in dropped:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    conn.exec_driver_sql(f"CREATE TEMP TABLE {STAGED_TERMS.split('.')[1]} "
                         "(term TEXT NOT NULL, member_id TEXT NOT NULL, weight INTEGER NOT NULL)")
    yield
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BUILD_CACHE_KIB}")
    conn.exec_driver_sql(
        "INSERT INTO member_terms (term, member_id, weight) SELECT term, member_id, weight "
        f"FROM {STAGED_TERMS} ORDER BY term, member_id")
    conn.exec_driver_sql(f"DROP TABLE {STAGED_TERMS}")
    for _name, sql in dropped:
        conn.exec_driver_sql(sql)


@contextmanager
def load_cache(conn: Connection) -> Iterator[None]:
    """A larger page cache for the load only, restored after."""
    size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(size or 0)}")

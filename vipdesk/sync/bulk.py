"""Bulk writes for the sync hot paths, with a PostgreSQL fast path.

SQLAlchemy's multi-row INSERT … RETURNING makes psycopg re-parse one huge statement
per batch in Python; COPY and pipelined `executemany` move the same rows several times
faster. Values arrive as Python objects of the right type (UUID, aware datetime, date),
which psycopg adapts itself. Other dialects (the SQLite stand-in centre, desks) go
through SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Column, Connection, Table, insert, select
from sqlalchemy.dialects import sqlite

from vipdesk.change_stream import note_write
from vipdesk.models import Base
from vipdesk.outbox import tables


def _raw(conn: Connection) -> Any:
    """The psycopg connection under SQLAlchemy's, inside the same transaction."""
    return conn.connection.dbapi_connection


def _is_pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _default(column: Column[Any]) -> Any:
    """The Python-side insert default SQLAlchemy would have applied (None if none)."""
    default = column.default
    if default is None or (not getattr(default, "is_scalar", False) and not getattr(
            default, "is_callable", False)):
        return None
    arg = default.arg  # type: ignore[attr-defined]
    return arg(None) if getattr(default, "is_callable", False) else arg


def _columns(table: Table, rows: Sequence[dict[str, Any]]) -> list[Column[Any]]:
    """The columns the rows name, plus those with a Python default (filled in here)."""
    named = set().union(*rows) if rows else set()
    return [c for c in table.columns if c.name in named or c.default is not None]


def _tuples(columns: list[Column[Any]], rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each row's values in column order: a missing value takes the column's Python
    default (evaluated per row), else None."""
    return _copy_plan(columns[0].table.name, tuple(c.name for c in columns))(rows)


@cache
def _copy_plan(table_name: str, names: tuple[str, ...]) -> RowsToTuples:
    # Cached by names, not Column objects: `==` on columns builds SQL, not a bool.
    columns = [Base.metadata.tables[table_name].c[n] for n in names]
    namespace: dict[str, Any] = {"default": _default}
    parts = []
    for i, column in enumerate(columns):
        if column.default is None:
            parts.append(f"get({column.name!r})")
        else:
            namespace[f"column{i}"] = column
            parts.append(f"(row[{column.name!r}] if {column.name!r} in row"
                         f" else default(column{i}))")
    return _compile(", ".join(parts), namespace)


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """INSERT … ON CONFLICT DO NOTHING (any unique key); the ids actually inserted.
    Values may be typed or in wire form (PostgreSQL casts strings to the column type)."""
    if not rows:
        return set()
    if not _is_pg(conn):  # rows may be in wire form: typed values for SQLAlchemy
        stmt = sqlite.insert(table).on_conflict_do_nothing().returning(table.c.id)
        return set(conn.scalars(stmt, [tables.decode_row(table.name, r) for r in rows]))
    columns = _columns(table, rows)
    names = ", ".join(f'"{c.name}"' for c in columns)
    inserted = _copy_all_new(conn, table, columns, rows)
    if inserted is not None:
        return inserted
    staging = f'"_incoming_{table.name}"'
    raw = _raw(conn)
    with raw.cursor() as cur:
        # COPY into a per-session staging table, then one set-based INSERT: far fewer
        # round trips than a statement per row. Emptied at commit and before each use.
        cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE "{table.name}")'
                    " ON COMMIT DELETE ROWS")
        cur.execute(f"DELETE FROM {staging}")
        with cur.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for values in _tuples(columns, rows):
                copy.write_row(values)
        cur.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {staging}'
                    " ON CONFLICT DO NOTHING RETURNING id")
        return {row[0] for row in cur.fetchall()}


def _copy_all_new(conn: Connection, table: Table, columns: list[Column[Any]],
                  rows: Sequence[dict[str, Any]]) -> set[uuid.UUID] | None:
    """The usual push: every row is new. COPY straight into the table inside a
    savepoint — one pass on the server, no staging table. A unique clash (a retry, a
    number taken elsewhere) undoes the savepoint and returns None: the caller then
    sorts the rows out through the staging table. Other errors propagate as they would
    from the staging path."""
    import psycopg

    names = ", ".join(f'"{c.name}"' for c in columns)
    raw = _raw(conn)
    with raw.cursor() as cur:
        cur.execute("SAVEPOINT vipdesk_copy_new")
        try:
            with cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for values in _tuples(columns, rows):
                    copy.write_row(values)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT vipdesk_copy_new")
            return None
        cur.execute("RELEASE SAVEPOINT vipdesk_copy_new")
    return {uuid.UUID(str(row["id"])) for row in rows}


def append(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows that cannot clash (fresh op ids, log entries): COPY on PostgreSQL."""
    if not rows:
        return
    if not _is_pg(conn):
        conn.execute(insert(table), list(rows))
        return
    columns = _columns(table, rows)
    names = ", ".join(f'"{c.name}"' for c in columns)
    with _raw(conn).cursor() as cur, \
            cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for values in _tuples(columns, rows):
            copy.write_row(values)



# -- the desk: applying pulled rows straight from their wire form --------------------

def _sqlite_uuid(value: str | None) -> str | None:
    return None if value is None else value.replace("-", "")


def _sqlite_datetime(value: str | None) -> str | None:
    """Wire form (UTC ISO 8601) → SQLAlchemy's SQLite storage, without a datetime object."""
    if value is None:
        return None
    if value.endswith("+00:00") and len(value) in (25, 32):
        text = value[:-6].replace("T", " ")
        return text if len(text) == 26 else text + ".000000"
    parsed = datetime.fromisoformat(value).astimezone(UTC)
    return parsed.strftime("%Y-%m-%d %H:%M:%S.%f")


def _same(value: Any) -> Any:
    return value


@cache
def _sqlite_columns(table_name: str) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    out = []
    for column in tables.synced_columns(table_name):
        kind = tables.python_type(column)
        converters: dict[type | None, Callable[[Any], Any]] = {
            uuid.UUID: _sqlite_uuid, datetime: _sqlite_datetime}
        convert = converters.get(kind, _same)
        out.append((column.name, convert))
    return tuple(out)


def sqlite_present(conn: Connection, table_name: str, wire_ids: Sequence[str]) -> set[str]:
    """Which of these ids (wire form) the desk table already holds."""
    if not wire_ids:
        return set()
    keys = [_sqlite_uuid(i) for i in wire_ids]
    marks = ", ".join("?" * len(keys))
    found = {r[0] for r in _raw(conn).execute(
        f'SELECT id FROM "{table_name}" WHERE id IN ({marks})', keys)}
    return {i for i, k in zip(wire_ids, keys, strict=True) if k in found}


RowsToTuples = Callable[[Sequence[dict[str, Any]]], list[tuple[Any, ...]]]


@cache
def _wire_insert_plan(table_name: str) -> tuple[str, RowsToTuples]:
    """The INSERT for a desk table and a function turning wire rows into its parameter
    tuples, compiled once per table: a pull converts every column of every row, and a
    generated list comprehension (identity columns read directly, converters called
    only where the storage differs) is several times faster than a generic loop."""
    columns = _sqlite_columns(table_name)
    table = tables.table(table_name)
    extra = [c for c in table.columns if c.default is not None
             and c.name not in {name for name, _ in columns}]
    names = ", ".join([f'"{n}"' for n, _ in columns] + [f'"{c.name}"' for c in extra])
    marks = ", ".join(["?"] * (len(columns) + len(extra)))
    return (f'INSERT INTO "{table_name}" ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING',
            _compile_rows(columns, tuple(_sqlite_value(c) for c in extra)))


def _compile_rows(columns: tuple[tuple[str, Callable[[Any], Any]], ...],
                  fill: tuple[Any, ...]) -> RowsToTuples:
    namespace: dict[str, Any] = {"fill": fill}
    parts = []
    for i, (name, convert) in enumerate(columns):
        read = f"get({name!r})"  # repr: a column name is always a safe literal
        if convert is _same:
            parts.append(read)
        else:
            namespace[f"convert{i}"] = convert
            parts.append(f"convert{i}({read})")
    return _compile(", ".join(parts + [f"fill[{i}]" for i in range(len(fill))]), namespace)


def _compile(body: str, namespace: dict[str, Any]) -> RowsToTuples:
    """`rows → [(body,) for each row]`, with `row` and `get` (= row.get) in scope."""
    source = (f"def rows_to_tuples(rows):\n"
              f"    return [({body},) for row in rows for get in (row.get,)]\n")
    exec(source, namespace)  # generated from the schema's column names only
    return namespace["rows_to_tuples"]  # type: ignore[no-any-return]


def _wire_insert(table_name: str, rows: Sequence[dict[str, Any]]
                 ) -> tuple[str, list[tuple[Any, ...]]]:
    sql, rows_to_tuples = _wire_insert_plan(table_name)
    note_write(table_name)  # plain sqlite3 below: SQLAlchemy's events do not see it
    return sql, rows_to_tuples(rows)


def sqlite_insert_all_new(conn: Connection, table_name: str,
                          rows: Sequence[dict[str, Any]]) -> bool:
    """Insert rows (wire form) if every one of them is new here; otherwise change
    nothing and return False (the caller then sorts out which were not)."""
    if not rows:
        return True
    sql, values = _wire_insert(table_name, rows)
    cursor = _raw(conn).cursor()
    cursor.execute("SAVEPOINT vipdesk_pull_batch")
    cursor.executemany(sql, values)
    complete = cursor.rowcount == len(rows)
    if not complete:
        cursor.execute("ROLLBACK TO vipdesk_pull_batch")
    cursor.execute("RELEASE vipdesk_pull_batch")
    return complete


def sqlite_insert_wire(conn: Connection, table_name: str,
                       rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert rows given in wire form into a desk table with plain sqlite3; the ids
    (wire form) that a unique key kept out. Ids already present must be filtered out
    by the caller (their content is compared there)."""
    if not rows:
        return set()
    sql, values = _wire_insert(table_name, rows)
    cursor = _raw(conn).cursor()
    cursor.executemany(sql, values)
    if cursor.rowcount == len(rows):
        return set()
    wanted = [_sqlite_uuid(row["id"]) for row in rows]
    found = {r[0] for r in cursor.execute(
        f'SELECT id FROM "{table_name}" WHERE id IN ({", ".join("?" * len(wanted))})',
        wanted)}
    return {row["id"] for row, key in zip(rows, wanted, strict=True) if key not in found}


def _sqlite_value(column: Column[Any]) -> Any:
    value = _default(column)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def rows_where_in(conn: Connection, table: Table, key: str, values: Sequence[Any],
                  columns: Sequence[str], where: dict[str, Any] | None = None
                  ) -> list[tuple[Any, ...]]:
    """SELECT columns WHERE key IN values [AND col = value…]. On PostgreSQL one array
    parameter (`= ANY(%s)`) instead of hundreds of placeholders to parse."""
    if not values:
        return []
    where = where or {}
    if not _is_pg(conn):
        stmt = select(*[table.c[c] for c in columns]).where(table.c[key].in_(list(values)))
        for name, value in where.items():
            stmt = stmt.where(table.c[name] == value)
        return [tuple(r) for r in conn.execute(stmt)]
    names = ", ".join(f'"{c}"' for c in columns)
    extra = "".join(f' AND "{name}" = %s' for name in where)
    keys, cast = _array_parameter(values)
    sql = f'SELECT {names} FROM "{table.name}" WHERE "{key}" = ANY(%s{cast}){extra}'
    with _raw(conn).cursor() as cur:
        cur.execute(sql, [keys, *where.values()])
        return list(cur.fetchall())


def _array_parameter(values: Sequence[Any]) -> tuple[Any, str]:
    """UUIDs as one array literal cast on the server: psycopg's list dumper checks every
    element for quoting with a regular expression, a tenth of a push's merge work."""
    if all(type(v) is uuid.UUID for v in values):
        return "{" + ",".join(map(str, values)) + "}", "::uuid[]"
    return list(values), ""

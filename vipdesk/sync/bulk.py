"""Bulk writes for the sync hot paths, with a PostgreSQL fast path.

SQLAlchemy's multi-row INSERT … RETURNING makes psycopg re-parse one huge statement
per batch in Python; COPY and pipelined `executemany` move the same rows several times
faster. Values arrive as Python objects of the right type (UUID, aware datetime, date),
which psycopg adapts itself. Other dialects (the SQLite stand-in centre, desks) go
through SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, insert
from sqlalchemy.dialects import sqlite


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
    defaults = {c.name: c for c in columns if c.default is not None}
    out = []
    for row in rows:
        out.append(tuple(row[c.name] if c.name in row else _default(defaults[c.name])
                         if c.name in defaults else None for c in columns))
    return out


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """INSERT … ON CONFLICT DO NOTHING (any unique key); the ids actually inserted."""
    if not rows:
        return set()
    if not _is_pg(conn):
        stmt = sqlite.insert(table).on_conflict_do_nothing().returning(table.c.id)
        return set(conn.scalars(stmt, list(rows)))
    columns = _columns(table, rows)
    names = ", ".join(f'"{c.name}"' for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = (f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
           " ON CONFLICT DO NOTHING RETURNING id")
    inserted: set[uuid.UUID] = set()
    with _raw(conn).cursor() as cur:
        cur.executemany(sql, _tuples(columns, rows), returning=True)
        while True:
            inserted.update(row[0] for row in cur.fetchall())
            if not cur.nextset():
                break
    return inserted


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


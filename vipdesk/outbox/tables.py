"""Which tables and columns travel, and how their values are written on the wire.

Every table of the schema syncs unless it opts out (`info={"sync": False}`), is
derived (the name search index, rebuilt wherever names change) or has no single UUID
`id` key. A column may be local to each database (a cache derived from synced rows, a
desk's own sign-in counters): mark it `info={"sync": False}` or list it here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Column, Table, TypeDecorator

from vipdesk.models import Base

DERIVED_TABLES = frozenset({"member_terms"})
LOCAL_COLUMNS: dict[str, frozenset[str]] = {
    # Caches the tier service derives from the synced purchase ledger, and the row's
    # own modification time: each database keeps its own.
    "members": frozenset({"spend_12m_cents", "updated_at"}),
    # Sign-in lockout is about this desk's keyboard, not the chain.
    "staff": frozenset({"failed_attempts", "locked_until"}),
}


class UnknownTable(ValueError):
    """An op names a table this version does not sync."""


def _syncable(table: Table) -> bool:
    if table.info.get("sync") is False or table.name in DERIVED_TABLES:
        return False
    keys = list(table.primary_key.columns)
    return len(keys) == 1 and keys[0].name == "id"


@cache
def synced_tables() -> dict[str, Table]:
    return {t.name: t for t in Base.metadata.sorted_tables if _syncable(t)}


def is_synced(table_name: str) -> bool:
    return table_name in synced_tables()


def table(table_name: str) -> Table:
    try:
        return synced_tables()[table_name]
    except KeyError:
        raise UnknownTable(f"table {table_name!r} is not synced by this version") from None


def is_local_column(table_name: str, column: Column[Any]) -> bool:
    return column.info.get("sync") is False or column.name in LOCAL_COLUMNS.get(table_name, ())


@cache
def synced_columns(table_name: str) -> tuple[Column[Any], ...]:
    return tuple(c for c in table(table_name).columns if not is_local_column(table_name, c))


@cache
def synced_column_names(table_name: str) -> frozenset[str]:
    return frozenset(c.name for c in synced_columns(table_name))


@cache
def dependency_rank(table_name: str) -> int:
    """Parents before children: inserts go in this order, deletes in reverse."""
    return [t.name for t in Base.metadata.sorted_tables].index(table_name)


def encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):  # a member's photo: base64 text in JSON
        return base64.b64encode(value).decode("ascii")
    return value


def decode_value(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = python_type(column)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is bytes and isinstance(value, str):
        return base64.b64decode(value)
    return value


def python_type(column: Column[Any]) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # UTCDateTime reports `object`; its impl knows
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def encode_row(table_name: str, values: Any) -> dict[str, Any]:
    """Synced columns of a row (a mapping by column name) as JSON-ready values."""
    return {c.name: encode_value(values.get(c.name)) for c in synced_columns(table_name)}


def decode_row(table_name: str, encoded: dict[str, Any]) -> dict[str, Any]:
    columns = table(table_name).c
    return {name: decode_value(columns[name], value) for name, value in encoded.items()
            if name in synced_column_names(table_name)}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(encoded: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(encoded).encode()).hexdigest()

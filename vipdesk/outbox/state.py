"""The desk's durable sync facts in `sync_state` (key → text), read and written on the
caller's connection so they commit with the rows they describe."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vipdesk.models import SyncState
from vipdesk.outbox.hlc import Stamp

NODE = "node"
HLC = "hlc"
CURSOR = "cursor"
STORE = "store"
LAST_SYNC = "last_sync"
SERVER_SKEW = "server_skew_ms"


def get(conn: Connection, key: str) -> str | None:
    return conn.scalar(select(SyncState.value).where(SyncState.key == key))


def put(conn: Connection, key: str, value: str) -> None:
    stmt = sqlite_insert(SyncState).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def node(conn: Connection) -> str:
    """This desk's HLC node name: its store code once configured, else a random tag."""
    value = get(conn, NODE)
    if value is None:
        value = get(conn, STORE) or f"desk-{secrets.token_hex(4)}"
        put(conn, NODE, value)
    return value


def last_stamp(conn: Connection) -> Stamp | None:
    value = get(conn, HLC)
    return Stamp.parse(value) if value else None


def save_stamp(conn: Connection, stamp: Stamp) -> None:
    put(conn, HLC, str(stamp))


def cursor(conn: Connection) -> tuple[int, int]:
    value = get(conn, CURSOR)
    if not value:
        return (0, 0)
    txid, seq = value.split(":")
    return int(txid), int(seq)


def save_cursor(conn: Connection, position: tuple[int, int]) -> None:
    put(conn, CURSOR, f"{position[0]}:{position[1]}")

"""A content hash of everything that syncs: equal digests mean converged databases."""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, select

from vipdesk.outbox import tables


def table_digest(conn: Connection, table_name: str) -> tuple[int, str]:
    table = tables.table(table_name)
    columns = [table.c[c.name] for c in tables.synced_columns(table_name)]
    digest = hashlib.sha256()
    count = 0
    for row in conn.execute(select(*columns).order_by(table.c.id)):
        digest.update(tables.canonical(tables.encode_row(table_name, row._mapping)).encode())
        count += 1
    return count, digest.hexdigest()


def content_digest(conn: Connection) -> str:
    digest = hashlib.sha256()
    for name in tables.synced_tables():
        count, part = table_digest(conn, name)
        digest.update(f"{name}:{count}:{part}\n".encode())
    return digest.hexdigest()

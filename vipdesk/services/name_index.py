"""Rebuilding the whole name index (`member_terms`) after its rules change.

A migration calls this (the index is derived data: rows written by older rules lack the
newer keys). Plain Core on the connection it is given, in batches, so it runs inside the
migration's transaction on SQLite and PostgreSQL alike; it touches no synced table.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import Connection

from vipdesk.services.names import name_terms

_members = sa.table(
    "members", sa.column("id", sa.Uuid()), sa.column("name_zh", sa.String()),
    sa.column("name_latin", sa.String()), sa.column("erased_at", sa.DateTime()),
)
_terms = sa.table(
    "member_terms", sa.column("term", sa.String()), sa.column("member_id", sa.Uuid()),
    sa.column("weight", sa.Integer()),
)


@lru_cache(maxsize=100_000)
def _cached_terms(name_zh: str | None, name_latin: str | None) -> tuple[tuple[str, int], ...]:
    return tuple(name_terms(name_zh, name_latin).items())  # namesakes are common


def terms_of(name_zh: str | None, name_latin: str | None) -> tuple[tuple[str, int], ...]:
    """A member's search terms and their weights, cached (namesakes are common)."""
    return _cached_terms(name_zh, name_latin)


def _insert(conn: Connection, terms: list[tuple[str, uuid.UUID, int]]) -> None:
    if not terms:
        return
    if conn.dialect.name == "sqlite":
        # The DBAPI's own executemany, ids as SQLAlchemy stores them (32 hex digits):
        # 2.5× faster than Core's per-row processing, minutes on a million-member desk.
        conn.exec_driver_sql(
            "INSERT INTO member_terms (term, member_id, weight) VALUES (?, ?, ?)",
            [(term, member_id.hex, weight) for term, member_id, weight in terms])
        return
    conn.execute(sa.insert(_terms), [{"term": term, "member_id": member_id, "weight": weight}
                                     for term, member_id, weight in terms])


def replace_terms(conn: Connection, member_ids: set[uuid.UUID], batch: int = 2000) -> None:
    """Index these members' current names again (pulled or renamed members, in bulk: a
    new desk's snapshot brings a chain's members at once)."""
    ids = sorted(member_ids)
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        conn.execute(sa.delete(_terms).where(_terms.c.member_id.in_(chunk)))
        rows = conn.execute(sa.select(_members.c.id, _members.c.name_zh,
                                      _members.c.name_latin)
                            .where(_members.c.id.in_(chunk))).all()
        _insert(conn, [(term, member_id, weight)
                       for member_id, name_zh, name_latin in rows
                       for term, weight in _cached_terms(name_zh, name_latin)])


def rebuild_name_terms(conn: Connection, batch: int = 2000) -> int:
    """Replace every live member's terms with the current rules'; returns the members
    indexed. A database without any term (a central one) is left alone."""
    if conn.execute(sa.select(_terms.c.term).limit(1)).first() is None:
        return 0
    conn.execute(sa.delete(_terms))
    done = 0
    after: uuid.UUID | None = None
    while True:
        query = (sa.select(_members.c.id, _members.c.name_zh, _members.c.name_latin)
                 .where(_members.c.erased_at.is_(None)).order_by(_members.c.id).limit(batch))
        if after is not None:
            query = query.where(_members.c.id > after)
        rows = conn.execute(query).all()
        if not rows:
            _cached_terms.cache_clear()  # the desk goes on running: give the memory back
            return done
        _insert(conn, [(term, member_id, weight)
                       for member_id, name_zh, name_latin in rows
                       for term, weight in _cached_terms(name_zh, name_latin)])
        done += len(rows)
        after = rows[-1][0]

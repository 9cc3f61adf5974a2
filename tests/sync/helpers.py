"""Small builders the sync tests share: members through the real service, digests."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from sqlalchemy import Engine, func, select

from vipdesk.db import session_factory, unit_of_work
from vipdesk.models import Member, SyncOutbox, Visit, utcnow
from vipdesk.services.members import NewMember, add_member
from vipdesk.sync.central import Centre
from vipdesk.sync.digest import content_digest


def new_member(desk: Engine, member_no: str, name: str = "王芳",
               phone: str = "13800138000") -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        return add_member(s, NewMember(member_no=member_no, name_zh=name, phones=[phone],
                                       cards=[f"C{member_no}"])).id


def log_visit(desk: Engine, member_id: uuid.UUID, purpose: str = "browse") -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        visit = Visit(member_id=member_id, checked_in_at=utcnow(), purpose=purpose)
        s.add(visit)
        s.flush()
        return visit.id


def edit_member(desk: Engine, member_id: uuid.UUID, **fields: object) -> None:
    with unit_of_work(session_factory(desk)) as s:
        member = s.get(Member, member_id)
        assert member is not None
        for key, value in fields.items():
            setattr(member, key, value)


def member_field(desk: Engine, member_id: uuid.UUID, field: str) -> object:
    with session_factory(desk)() as s:
        return getattr(s.get(Member, member_id), field)


def outbox_size(desk: Engine) -> int:
    with desk.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(SyncOutbox)) or 0)


def digest(engine: Engine) -> str:
    with engine.connect() as conn:
        return content_digest(conn)


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def wait_for_watermark(centre: Centre, timeout: float = 15.0) -> None:
    """Block until every logged change is below PostgreSQL's xmin, i.e. pullable.

    The commit-safe cursor holds back rows while *any* older transaction on the server is
    still open — including other programs' (a concurrent test run, a benchmark). Tests
    that assert "after two rounds everyone agrees" wait for that here instead of failing
    on a busy server. SQLite centres have no watermark.
    """
    import time

    from sqlalchemy import text

    if centre.engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + timeout
    query = text("SELECT coalesce(max(txid) < pg_snapshot_xmin(pg_current_snapshot()), true)"
                 " FROM sync_change_log")
    while time.monotonic() < deadline:
        with centre.engine.connect() as conn:
            if conn.scalar(query):
                return
        time.sleep(0.05)


def terminate_backend(conn: Any, admin_dsn: str) -> None:
    """End the server session behind `conn` from another connection (what a network cut
    or a newer pusher's takeover does to it)."""
    pid = conn.connection.dbapi_connection.info.backend_pid
    with psycopg.connect(admin_dsn, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", (pid,))

"""The migrations on the centre's PostgreSQL: the newest ones go down and up again, with
the constraint names PostgreSQL keeps per schema (care_tasks is rebuilt under another
name and swapped in)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from tests.sync.conftest import PgDatabases
from vipdesk.db import alembic_config


def test_the_newest_migrations_go_down_and_up_on_postgresql(pg_databases: PgDatabases) -> None:
    engine = create_engine(pg_databases.create())
    try:
        cfg = alembic_config(engine)
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "c7e2d4a91f30")  # below the care watches and task ids
        assert "care_spend_watch" not in inspect(engine).get_table_names()
        command.upgrade(cfg, "head")
        columns = {c["name"]: c for c in inspect(engine).get_columns("care_tasks")}
        assert str(columns["id"]["type"]) == "INTEGER"
        assert {"care_spend_watch", "care_silence_watch", "care_dirty_members"} <= set(
            inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_erasure_scrubs_dead_letters_at_the_centre(pg_databases: PgDatabases) -> None:
    """The centre keeps refused changes too; the trigger clears an erased member's."""
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from vipdesk.models import Member, SyncDeadLetter
    from vipdesk.services.members import NewMember, add_member

    engine = create_engine(pg_databases.create())
    try:
        command.upgrade(alembic_config(engine), "head")
        with Session(engine) as s, s.begin():
            member = add_member(s, NewMember(member_no="M1", name_zh="李娜")).id
            other = add_member(s, NewMember(member_no="M2", name_zh="王芳")).id
            for owner, name in ((member, "李娜"), (other, "王芳")):
                s.add(SyncDeadLetter(
                    id=uuid.uuid4(), op_id=uuid.uuid4(), store="BJ01", kind="insert",
                    table_name="member_phones", record_id=uuid.uuid4(),
                    payload=f'{{"row": {{"member_id": "{owner}", "note": "{name}"}}}}',
                    reason="refused"))
        with Session(engine) as s, s.begin():
            s.execute(update(Member).where(Member.id == member)
                      .values(erased_at=datetime.now(UTC)))
        with Session(engine) as s:
            letters = {x.payload: x for x in s.scalars(select(SyncDeadLetter))}
        assert '{"erased": true}' in letters
        assert letters['{"erased": true}'].handling == "dismissed"
        assert any("王芳" in payload for payload in letters)
    finally:
        engine.dispose()

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

"""Alembic environment for both the desk (SQLite) and the central database (PostgreSQL).

The engine is handed in by `vipdesk.db.upgrade` through `config.attributes`; from the
alembic command line, `-x url=...` names the database instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from vipdesk.models import Base

config = context.config
target_metadata = Base.metadata


def _engine():  # type: ignore[no-untyped-def]
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///alembic-dev.db")
    return create_engine(url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()

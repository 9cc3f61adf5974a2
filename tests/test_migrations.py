"""Alembic history is linear, upgrades from empty reach the models, and re-runs are no-ops."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from vipdesk.db import alembic_config, make_engine, open_desk_db, sqlite_url, upgrade
from vipdesk.models import Base


def test_history_is_linear(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    assert len(script.get_heads()) == 1, "two migration heads: rebase your down_revision"
    for rev in script.walk_revisions():
        assert not rev.is_merge_point


def test_upgrade_from_empty_matches_models(tmp_path: Path) -> None:
    engine = open_desk_db(tmp_path / "m.db")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "again.db"))
    upgrade(engine)
    upgrade(engine)


def test_fast_head_check_agrees_with_alembic() -> None:
    from vipdesk.db import script_heads

    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    assert script_heads() == set(script.get_heads())


def test_at_head_only_when_migrated(tmp_path: Path) -> None:
    from vipdesk.db import at_head

    engine = make_engine(sqlite_url(tmp_path / "fresh.db"))
    assert not at_head(engine)
    upgrade(engine)
    assert at_head(engine)

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


def test_care_tasks_keep_their_rows_when_ids_become_integers(tmp_path: Path) -> None:
    """e4a7c2d95b18 rebuilds care_tasks with integer ids: a desk's open and closed tasks
    (their keys, due days, closed state) come through; the member's FK still cascades."""
    from sqlalchemy import text

    engine = make_engine(sqlite_url(tmp_path / "tasks.db"))
    upgrade(engine, "d81f3b6c2a47")
    member = "0" * 31 + "1"
    with engine.begin() as conn:  # plain SQL: the models have columns this revision lacks
        conn.execute(text(
            "INSERT INTO members (id, member_no, name_zh, language, spend_12m_cents, "
            "updated_at, created_at) VALUES (:m, 'C1', '李娜', 'zh', 0, '2026-11-20', "
            "'2026-11-20')"), {"m": member})
        for n, closed in enumerate((None, "2026-11-24 08:00:00.000000")):
            conn.execute(text(
                "INSERT INTO care_tasks (id, task_key, member_id, kind, generated_on, due_on, "
                "closed_at, created_at) VALUES (:id, :key, :m, 'birthday', '2026-11-20', "
                "'2026-11-21', :closed, '2026-11-20')"),
                {"id": f"{n:032x}", "key": f"birthday:{member}:202{n}", "m": member,
                 "closed": closed})
    upgrade(engine)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, task_key, closed_at FROM care_tasks "
                                 "ORDER BY id")).all()
        assert [(r.task_key[-4:], r.closed_at is not None) for r in rows] == [
            ("2020", False), ("2021", True)]
        assert all(isinstance(r.id, int) for r in rows)
        conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.execute(text("DELETE FROM members WHERE id = :m"), {"m": member})
        assert conn.execute(text("SELECT count(*) FROM care_tasks")).scalar() == 0

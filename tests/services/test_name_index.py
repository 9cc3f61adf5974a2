"""A desk indexed by the older name rules gets the new search keys when it upgrades."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

# The centre's PostgreSQL fixtures (a fresh database per module).
from tests.sync.conftest import PgDatabases, pg_available, pg_databases  # noqa: F401
from vipdesk.db import make_engine, sqlite_url, upgrade
from vipdesk.services.lookup import LookupService

BEFORE = "c2f6a9d18e35"  # the revision before the name index was rebuilt
# What the older rules wrote for 陳大文 and 曾小贤: the name as written, pypinyin's
# everyday reading, nothing for the surname reading or the simplified form.
OLD_TERMS = {
    "1": {"陳大文": 0, "大文": 2, "文": 2, "cdw": 1, "chendawen": 1},
    "2": {"曾小贤": 0, "小贤": 2, "贤": 2, "cxx": 1, "cengxiaoxian": 1},
}
AT = "2026-11-25 02:00:00.000000"
NAMES = {"1": "陳大文", "2": "曾小贤", "3": "李雷"}  # 李雷 was erased: no terms


def _old_desk(path: Path) -> Engine:
    engine = make_engine(sqlite_url(path))
    upgrade(engine, BEFORE)
    with engine.begin() as conn:  # plain SQL: the models may have moved on
        for key, name in NAMES.items():
            conn.execute(text(
                "INSERT INTO members (id, member_no, name_zh, language, spend_12m_cents, "
                "created_at, updated_at, erased_at) VALUES (:id, :no, :name, 'zh', 0, "
                ":at, :at, :erased)"),
                {"id": key.zfill(32), "no": f"M{key}", "name": name, "at": AT,
                 "erased": AT if key == "3" else None})
            for term, weight in OLD_TERMS.get(key, {}).items():
                conn.execute(text("INSERT INTO member_terms (term, member_id, weight) "
                                  "VALUES (:t, :m, :w)"),
                             {"t": term, "m": key.zfill(32), "w": weight})
    return engine


def test_upgrade_rebuilds_the_name_index_with_the_new_keys(tmp_path: Path) -> None:
    engine = _old_desk(tmp_path / "old.db")
    upgrade(engine)
    lookup = LookupService(engine)
    for query, member_no in (("陈大文", "M1"), ("陳大文", "M1"), ("zxx", "M2"),
                             ("zengxiaoxian", "M2"), ("cxx", "M2"), ("xiaoxian", "M2")):
        assert [h.member_no for h in lookup.search(query).hits] == [member_no], query
    with engine.connect() as conn:
        owners = set(conn.execute(text("SELECT DISTINCT member_id FROM member_terms")).scalars())
    assert owners == {"1".zfill(32), "2".zfill(32)}  # the erased member stays unindexed


def test_a_database_without_terms_is_left_without(tmp_path: Path) -> None:
    """The central database keeps no name index: the rebuild does not start one there."""
    engine = make_engine(sqlite_url(tmp_path / "centre.db"))
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO members (id, member_no, name_zh, language, spend_12m_cents, "
            "created_at, updated_at) VALUES (:id, 'M1', '王小明', 'zh', 0, :at, :at)"),
            {"id": "1".zfill(32), "at": AT})
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM member_terms")) == 0


@pytest.mark.pg
def test_rebuild_on_postgresql(pg_databases: PgDatabases) -> None:  # noqa: F811
    """The same rebuild through SQLAlchemy Core where the database is not SQLite."""
    from sqlalchemy.orm import Session

    from vipdesk.services.members import NewMember, add_member
    from vipdesk.services.name_index import rebuild_name_terms
    from vipdesk.services.tiers import seed_default_tiers

    engine = create_engine(pg_databases.create())
    try:
        upgrade(engine)
        with Session(engine) as s, s.begin():
            seed_default_tiers(s)
            for no, name in (("M1", "陳大文"), ("M2", "曾小贤")):
                add_member(s, NewMember(member_no=no, name_zh=name))
        with engine.begin() as conn:  # as the older rules left them
            conn.execute(text("DELETE FROM member_terms WHERE term IN ('陈大文', 'zxx')"))
            assert rebuild_name_terms(conn, batch=1) == 2
        lookup = LookupService(engine)
        assert [h.member_no for h in lookup.search("陳大文").hits] == ["M1"]
        assert [h.member_no for h in lookup.search("zxx").hits] == ["M2"]
    finally:
        engine.dispose()

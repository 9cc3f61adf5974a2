"""Shared fixtures. Qt must be told to render offscreen before any QApplication exists."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("VIPDESK_CONFIG", os.devnull)  # never read a developer's config

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import open_desk_db, session_factory
from vipdesk.services.demo import build_demo
from vipdesk.services.tiers import TierTable, load_tier_table, seed_default_tiers

DEMO_TODAY = date(2026, 11, 25)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated desk database with the default tiers."""
    eng = open_desk_db(tmp_path / "desk.db")
    with Session(eng) as s, s.begin():
        seed_default_tiers(s)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-member demo lounge built once per test run; copy it before writing."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    eng = open_desk_db(path)
    build_demo(eng, members=3000, seed=7, today=DEMO_TODAY)
    eng.dispose()
    return path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private, writable copy of the demo lounge (for tests that record things)."""
    import shutil

    copy = tmp_path / "lounge.db"
    shutil.copy(demo_db, copy)
    eng = open_desk_db(copy, migrate=False)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_engine(demo_db: Path) -> Iterator[Engine]:
    """Read-only use of the shared demo lounge."""
    eng = open_desk_db(demo_db, migrate=False)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_tiers(demo_engine: Engine) -> TierTable:
    with Session(demo_engine) as s:
        return load_tier_table(s)

"""Shared fixtures. Qt must be told to render offscreen before any QApplication exists."""

from __future__ import annotations

import gc
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
# Fixtures that reach the PostgreSQL server (tests/sync/conftest.py) besides the pg_* ones.
PG_FIXTURES = ("any_centre", "central", "fresh_pg_url")


# First: pytest-xdist reads the group marks in its own hook of the same name.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """scripts/check.sh runs two pytest-xdist workers: everything that talks to the
    PostgreSQL server runs on one of them, one test at a time. A pull waits for every
    transaction open on the server (the commit-safe watermark), so a test on the other
    worker would hold its pulls back; and the CUPS tests share the printing system."""
    for item in items:
        if _uses_postgresql(item):
            item.add_marker(pytest.mark.xdist_group("postgresql"))
        elif "tests/printing/" in item.nodeid or "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("printing"))



@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail loudly if pytest-xdist stopped honouring the groups (it rewrites node ids,
    which a pytest release once renamed): PostgreSQL tests would then flake, not fail."""
    if not session.config.getoption("loadgroup", default=False):
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            raise pytest.UsageError(f"xdist groups are ignored: {item.nodeid} has no @group")


def _uses_postgresql(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return (item.get_closest_marker("pg") is not None or "tests/sync/" in item.nodeid
            or any(name.startswith("pg_") or name in PG_FIXTURES for name in names)
            or "postgres" in item.nodeid.lower() or "[pg" in item.nodeid)


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


@pytest.fixture
def gc_on_the_gui_thread() -> Iterator[None]:
    """As the app does (vipdesk/ui/gc_guard.py): no automatic collection while a test's
    workers run — a collection on a worker thread that frees Qt wrappers crashes PySide —
    and a full collection here, on the GUI thread, before and after."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()
    gc.collect()

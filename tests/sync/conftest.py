"""Sync fixtures: a real PostgreSQL centre (a fresh database per test module), desks as
SQLite files, and a SQLite stand-in centre.

PostgreSQL comes from VIPDESK_TEST_PG_URL (a server URL; the database part is replaced),
else postgresql+psycopg://postgres@127.0.0.1:5432. When it cannot be reached the PG
tests skip with the reason — unless VIPDESK_REQUIRE_PG=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db, session_factory
from vipdesk.services.tiers import seed_default_tiers
from vipdesk.sync.central import Centre, CentreSettings, connect

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_server_url() -> str:
    return os.environ.get("VIPDESK_TEST_PG_URL") or DEFAULT_PG


def _admin_dsn(url: str) -> str:
    u = make_url(url).set(drivername="postgresql", database="postgres")
    return u.render_as_string(hide_password=False)


def _pg_unavailable() -> str | None:
    try:
        with psycopg.connect(_admin_dsn(pg_server_url()), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {make_url(pg_server_url()).render_as_string()}: " \
               f"{str(error).strip().splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_available() -> None:
    reason = _pg_unavailable()
    if reason is None:
        return
    if os.environ.get("VIPDESK_REQUIRE_PG") == "1":
        pytest.fail(f"VIPDESK_REQUIRE_PG=1 but {reason}")
    pytest.skip(reason)


class PgDatabases:
    """Creates throw-away databases `vipdesk_test_<random>` and drops them afterwards."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def create(self) -> str:
        name = f"vipdesk_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_admin_dsn(pg_server_url()), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        u = make_url(pg_server_url()).set(drivername="postgresql+psycopg", database=name)
        return u.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with psycopg.connect(_admin_dsn(pg_server_url()), autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_databases(pg_available: None) -> Iterator[PgDatabases]:
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="module")
def pg_url(pg_databases: PgDatabases) -> str:
    """A fresh, migrated central database for this test module."""
    url = pg_databases.create()
    centre = connect(CentreSettings(url))
    centre.init_schema()
    centre.dispose()
    return url


def truncate_all(url: str) -> None:
    """Empty every table of the module's centre (much faster than a new database)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'alembic_version'")]
        with conn.transaction():  # DELETE beats TRUNCATE on tiny tables by far
            conn.execute("SET LOCAL session_replication_role = replica")  # no FK checks
            for name in names:
                conn.execute(f'DELETE FROM "{name}"')


@pytest.fixture
def fresh_pg_url(pg_url: str) -> str:
    """The module's central database, emptied for this test."""
    truncate_all(pg_url)
    return pg_url


@pytest.fixture
def pg_centre(fresh_pg_url: str) -> Iterator[Centre]:
    c = connect(CentreSettings(fresh_pg_url))
    yield c
    c.dispose()


# The ways a desk reaches the centre, by fixture: PostgreSQL straight, the same database
# through the real central service (uvicorn, HTTPS, each store an enrolled desk), and the
# SQLite stand-in a one-machine demo uses.
CENTRES = {"pg": "pg_centre", "service": "service_centre", "sqlite": "sqlite_centre"}


@pytest.fixture(params=["pg", "service"])
def centre(request: pytest.FixtureRequest) -> Centre:
    """The centre the protocol tests sync with, each test run both ways: PostgreSQL
    directly and through the service. A test about the direct mode itself (a database
    session killed under it, a query plan, the oracle of a service test) asks for
    `pg_centre`; a module may override this to add the SQLite stand-in."""
    return centre_by_name(request, request.param)


def centre_by_name(request: pytest.FixtureRequest, name: str) -> Centre:
    """One of CENTRES for a module's own parametrized centre fixture."""
    return request.getfixturevalue(CENTRES[name])  # type: ignore[no-any-return]


@pytest.fixture
def sqlite_centre(tmp_path: Path) -> Iterator[Centre]:
    c = connect(CentreSettings(f"sqlite:///{tmp_path / 'centre.db'}"))
    c.init_schema()
    yield c
    c.dispose()


DeskMaker = Callable[..., Engine]


@pytest.fixture(scope="session")
def desk_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated empty desk file; each desk starts as a copy (migrating is slow)."""
    path = tmp_path_factory.mktemp("desk-template") / "desk.db"
    eng = open_desk_db(path)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture
def make_desk(tmp_path: Path, desk_template: Path) -> Iterator[DeskMaker]:
    """Desk databases by name; the first one seeds the default tiers (a new desk pulls
    them from the centre instead of seeding its own)."""
    engines: list[Engine] = []

    def make(name: str, seed_tiers: bool = False) -> Engine:
        path = tmp_path / f"{name}.db"
        shutil.copyfile(desk_template, path)
        eng = open_desk_db(path, migrate=False)
        if seed_tiers:
            with session_factory(eng)() as s, s.begin():
                seed_default_tiers(s)
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.dispose()


def session(engine: Engine) -> Session:
    return session_factory(engine)()



@pytest.fixture(scope="session")
def service_tls(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.sync.service import make_tls

    return make_tls(tmp_path_factory.mktemp("service-tls"))


@pytest.fixture(scope="module")
def service(pg_url: str, service_tls):  # type: ignore[no-untyped-def]
    """The central service (real uvicorn, HTTPS) over the module's central database."""
    from tests.sync.service import ServiceThread

    db = connect(CentreSettings(pg_url, pool_size=4))
    running = ServiceThread(db, service_tls).start()
    yield running
    running.stop()
    db.dispose()


@pytest.fixture
def service_centre(fresh_pg_url: str, service):  # type: ignore[no-untyped-def]
    """Desks syncing through the service, each store enrolled as a desk of its own."""
    from tests.sync.service import ServiceCentre

    c = ServiceCentre(service)
    yield c
    c.dispose()

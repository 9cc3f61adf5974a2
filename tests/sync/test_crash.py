"""kill -9 a syncing desk process again and again: nothing lost, nothing doubled — and
the same through the central service, whose own process is killed too.

A writer desk records visits and edits a member while it pushes and pulls in small
batches; a reader desk only pulls. Each is SIGKILLed at random moments (and the writer
also kills itself right after the centre committed a batch and before it forgot the
acked ops — the window where a retry could double things). Afterwards one clean sync
each, and the oracle: every visit the writer's file holds is at the centre and on the
reader exactly once; each was logged once; all three databases hash the same.

The desks reach the centre straight (a PostgreSQL URL) or over HTTPS through the
service (uvicorn in processes of its own, tests/sync/service.py), each enrolled for its
store. Through the service the service is killed as well: inside a push's database
transaction, after it committed a push and before the desk got the answer, and at
random moments; its supervisor starts it again and the desk retries.

Children are forked from this (already imported) process so 50 kills take seconds,
not minutes; each child opens its own engines and never touches the parent's.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.sync.helpers import digest, new_member, outbox_size, wait_for_watermark
from tests.sync.service import Dying, ServiceProcess
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.models import Member, SyncChangeLog, Visit, utcnow
from vipdesk.sync.central import Centre, CentreAPI, CentreSettings, CentreUnavailable, connect
from vipdesk.sync.engine import bind_store, sync_once
from vipdesk.sync.pull import pull_all
from vipdesk.sync.push import push_all
from vipdesk.sync.remote import RemoteCentre

FORK = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class Route:
    """How a desk process reaches the centre: a database URL, or the service's URL
    with the desk's enrolment (picklable, opened inside the child)."""

    url: str
    token: str = ""
    ca_file: str = ""

    def open(self) -> CentreAPI:
        if self.token:
            return RemoteCentre(self.url, self.token, self.ca_file)
        return connect(CentreSettings(self.url))


def _write_some(factory: Any, mid: uuid.UUID, rng: random.Random, tag: str) -> None:
    with unit_of_work(factory) as s:
        for _ in range(rng.randint(1, 4)):
            s.add(Visit(member_id=mid, checked_in_at=utcnow(), purpose=tag))
        member = s.get(Member, mid)
        assert member is not None
        member.occupation = f"edit {tag}"


def _writer(desk_path: str, route: Route, member_id: str, seed: int, ready: Any) -> None:
    rng = random.Random(seed)
    desk = open_desk_db(desk_path, migrate=False)
    centre = route.open()
    factory = session_factory(desk)
    mid = uuid.UUID(member_id)

    def maybe_die(_result: object) -> None:
        if rng.random() < 0.15:  # the centre committed; the desk has not forgotten yet
            Path(f"{desk_path}.acked-then-killed-{seed}").touch()
            os.kill(os.getpid(), signal.SIGKILL)

    parent = os.getppid()
    ready.set()
    for n in range(10_000):
        if os.getppid() != parent:
            return  # orphaned: the test run died
        _write_some(factory, mid, rng, f"{seed}-{n}")
        push_all(desk, centre, "SH01", batch_size=rng.randint(1, 8), on_pushed=maybe_die)
        pull_all(desk, centre, batch_size=rng.randint(3, 30))


def _reader(desk_path: str, route: Route, _member_id: str, seed: int, ready: Any) -> None:
    rng = random.Random(seed)
    desk = open_desk_db(desk_path, migrate=False)
    centre = route.open()
    parent = os.getppid()
    ready.set()
    while os.getppid() == parent:  # orphaned (the test run died): stop, don't spin forever
        pull_all(desk, centre, batch_size=rng.randint(1, 20))
        time.sleep(0.005)


def _kill_round(target: Any, args: tuple[Any, ...], rng: random.Random) -> None:
    ready = FORK.Event()
    child = FORK.Process(target=target, args=(*args, ready))
    child.start()
    ready.wait(30)
    time.sleep(rng.uniform(0.02, 0.3))
    if child.is_alive():
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    child.join(30)


@dataclass
class Desks:
    writer: Engine
    reader: Engine
    member_id: uuid.UUID
    paths: dict[str, str]


def _two_desks(make_desk: Any, tmp_path: Path) -> Desks:
    writer, reader = make_desk("writer", seed_tiers=True), make_desk("reader")
    member_id = new_member(writer, "M1")
    bind_store(writer, "SH01")
    bind_store(reader, "BJ01")
    writer.dispose()  # the children open the files themselves
    reader.dispose()
    return Desks(writer, reader, member_id,
                 {"writer": str(tmp_path / "writer.db"), "reader": str(tmp_path / "reader.db")})


def _crash_many(kills: int, desks: Desks, routes: dict[str, Route]) -> None:
    rng = random.Random(2026)
    for i in range(kills):
        role, target = ("writer", _writer) if i % 3 != 2 else ("reader", _reader)
        _kill_round(target, (desks.paths[role], routes[role], str(desks.member_id), i), rng)


def _settle_and_check(desks: Desks, centres: dict[str, CentreAPI], oracle: Centre,
                      least_visits: int) -> None:
    """One clean sync each, then: every visit the writer holds is at the centre and on
    the reader exactly once, logged once, and all three databases hash the same."""
    writer, reader = desks.writer, desks.reader
    sync_once(writer, centres["writer"], "SH01")
    wait_for_watermark(oracle)  # other programs' open transactions hold pulls back
    sync_once(reader, centres["reader"], "BJ01")
    assert outbox_size(writer) == 0
    visits = {}
    for name, engine in (("writer", writer), ("reader", reader), ("centre", oracle.engine)):
        with engine.connect() as conn:
            visits[name] = list(conn.scalars(select(Visit.id)))
    assert len(visits["writer"]) > least_visits  # the desks did real work between kills
    assert sorted(visits["centre"]) == sorted(visits["writer"]) == sorted(visits["reader"])
    with oracle.engine.connect() as conn:
        logged_twice = conn.execute(
            select(SyncChangeLog.record_id).where(SyncChangeLog.kind == "insert")
            .group_by(SyncChangeLog.record_id).having(func.count() > 1)).all()
    assert logged_twice == []
    assert digest(writer) == digest(reader) == digest(oracle.engine)


# -- straight to PostgreSQL ----------------------------------------------------------------


def _direct_kills(kills: int, centre: Centre, make_desk: Any, tmp_path: Path) -> None:
    desks = _two_desks(make_desk, tmp_path)
    route = Route(centre.engine.url.render_as_string(hide_password=False))
    _crash_many(kills, desks, {"writer": route, "reader": route})
    assert list(tmp_path.glob("writer.db.acked-then-killed-*"))  # the risky window was hit
    _settle_and_check(desks, {"writer": centre, "reader": centre}, centre, kills)


def test_fifty_kills_lose_and_double_nothing(pg_centre: Centre, make_desk,
                                             tmp_path: Path) -> None:
    _direct_kills(51, pg_centre, make_desk, tmp_path)


@pytest.mark.slow
def test_crash_soak(pg_centre: Centre, make_desk, tmp_path: Path) -> None:
    _direct_kills(600, pg_centre, make_desk, tmp_path)


# -- through the central service -------------------------------------------------------------


@pytest.fixture
def service_process(fresh_pg_url: str, service_tls) -> Iterator[ServiceProcess]:  # type: ignore[no-untyped-def]
    running = ServiceProcess(fresh_pg_url, service_tls).start()
    yield running
    running.stop()


def _enrolled_routes(service: ServiceProcess) -> dict[str, Route]:
    return {role: Route(service.url, service.enrol(store, role), service.tls.ca_file)
            for role, store in (("writer", "SH01"), ("reader", "BJ01"))}


def _service_kills(kills: int, service: ServiceProcess, pg_centre: Centre, make_desk: Any,
                   tmp_path: Path) -> None:
    desks = _two_desks(make_desk, tmp_path)
    routes = _enrolled_routes(service)
    _crash_many(kills, desks, routes)
    assert list(tmp_path.glob("writer.db.acked-then-killed-*"))  # the risky window was hit
    centres = {role: route.open() for role, route in routes.items()}
    try:
        _settle_and_check(desks, centres, pg_centre, kills)
    finally:
        for centre in centres.values():
            centre.dispose()


def test_fifty_kills_through_the_service_lose_and_double_nothing(
        service_process: ServiceProcess, pg_centre: Centre, make_desk,
        tmp_path: Path) -> None:
    """The desk processes sync over HTTPS with their enrolments; killed as above."""
    _service_kills(51, service_process, pg_centre, make_desk, tmp_path)


@pytest.mark.slow
def test_crash_soak_through_the_service(service_process: ServiceProcess, pg_centre: Centre,
                                        make_desk, tmp_path: Path) -> None:
    _service_kills(600, service_process, pg_centre, make_desk, tmp_path)


SERVICE_DEATHS = 20


def test_the_service_killed_mid_push_loses_and_doubles_nothing(
        fresh_pg_url: str, service_tls, pg_centre: Centre, make_desk,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    """The service process is SIGKILLed inside push transactions, after it committed a
    push and before the desk got the answer, and at random moments from outside; its
    supervisor starts it again. The desks only retry."""
    marks = tmp_path / "service-deaths"
    marks.mkdir()
    service = ServiceProcess(fresh_pg_url, service_tls,
                             Dying(marks, deaths=SERVICE_DEATHS)).start()
    writer, reader = make_desk("writer", seed_tiers=True), make_desk("reader")
    desks = Desks(writer, reader, new_member(writer, "M1"), {})
    centres = {role: route.open() for role, route in _enrolled_routes(service).items()}
    try:
        duplicates = _sync_while_the_service_dies(service, desks, centres)
        _settle_and_check(desks, centres, pg_centre, SERVICE_DEATHS)
    finally:
        for centre in centres.values():
            centre.dispose()
        service.stop()
    assert list(marks.glob("mid-push-*")) and list(marks.glob("committed-*"))
    assert duplicates > 0  # batches the centre had committed came again: answered, not doubled


def _sync_while_the_service_dies(service: ServiceProcess, desks: Desks,
                                 centres: dict[str, CentreAPI]) -> int:
    """The writer records and pushes, the reader pulls, each retrying on failure, until
    the service died SERVICE_DEATHS times; returns the duplicates the centre answered."""
    rng = random.Random(2027)
    factory = session_factory(desks.writer)
    deadline = time.monotonic() + 600  # generous: the machine is shared
    duplicates = 0
    rounds = 0
    while service.deaths.value < SERVICE_DEATHS:
        assert time.monotonic() < deadline, f"{service.deaths.value} deaths in {rounds} rounds"
        rounds += 1
        _write_some(factory, desks.member_id, rng, f"r{rounds}")
        if rng.random() < 0.1:  # and now and then at any moment, from outside
            threading.Timer(rng.uniform(0, 0.05), service.kill_instance).start()
        try:
            report = push_all(desks.writer, centres["writer"], "SH01",
                              batch_size=rng.randint(1, 8))
            duplicates += report.outcomes.get("duplicate", 0)
            pull_all(desks.reader, centres["reader"], batch_size=rng.randint(3, 30))
        except CentreUnavailable:
            continue  # the desk tries again, as its runner would
    return duplicates

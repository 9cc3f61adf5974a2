"""The centre goes away mid-sync and comes back: the desk resumes, nothing lost or
doubled. And the background runner: status, back-off, kick."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, func, select

from tests.sync.helpers import (
    count,
    digest,
    log_visit,
    new_member,
    outbox_size,
    terminate_backend,
    wait_for_watermark,
)
from vipdesk.config import Config
from vipdesk.models import SyncChangeLog, Visit
from vipdesk.sync.central import Centre, CentreSettings, CentreUnavailable, connect
from vipdesk.sync.engine import sync_once
from vipdesk.sync.pull import pull_all
from vipdesk.sync.push import push_all
from vipdesk.sync.remote import RemoteCentre
from vipdesk.sync.runner import SyncRunner


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql+psycopg://desk:secret@127.0.0.1:{port}/central"


def _terminate_on_statement(centre: Centre, nth: int) -> dict[str, int]:
    """Kill this session's backend (pg_terminate_backend) at its nth statement: the
    centre 'goes away' in the middle of a push or pull transaction."""
    seen = {"n": 0, "killed": 0}
    admin = centre.engine.url.set(drivername="postgresql").render_as_string(
        hide_password=False)

    def hook(conn: Any, *_args: Any) -> None:
        seen["n"] += 1
        if seen["n"] % nth == 0:
            terminate_backend(conn, admin)
            seen["killed"] += 1

    event.listen(centre.engine, "before_cursor_execute", hook)
    return seen


@pytest.fixture
def centre(pg_centre: Centre) -> Centre:
    """The database itself: its sessions are killed here (through the service:
    test_service_outage.py)."""
    return pg_centre


def test_backend_terminated_mid_push_and_mid_pull_resumes_without_loss(
        centre: Centre, make_desk) -> None:
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    member_id = new_member(a, "M1")
    for i in range(120):
        log_visit(a, member_id, f"v{i}")
    flaky = connect(CentreSettings(centre.engine.url.render_as_string(hide_password=False)))
    seen = _terminate_on_statement(flaky, nth=7)
    failures = 0
    for _ in range(200):
        try:
            push_all(a, flaky, "SH01", batch_size=10)
            pull_all(b, flaky, batch_size=15)
            if outbox_size(a) == 0 and count(b, Visit) == 120:
                break
        except CentreUnavailable:
            failures += 1
    assert failures >= 3 and seen["killed"] >= 3
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre)  # other programs' open transactions hold pulls back
    sync_once(b, centre, "BJ01")
    assert count(centre.engine, Visit) == count(b, Visit) == 120
    with centre.engine.connect() as conn:
        twice = conn.execute(select(SyncChangeLog.record_id).group_by(SyncChangeLog.record_id)
                             .having(func.count() > 1)).all()
    assert twice == []
    assert digest(a) == digest(b) == digest(centre.engine)
    flaky.dispose()


def test_unreachable_centre_is_reported_in_words(make_desk) -> None:
    desk = make_desk("a")
    dead = connect(CentreSettings(_closed_port_url(), connect_timeout=2))
    with pytest.raises(CentreUnavailable, match="unavailable") as info:
        sync_once(desk, dead, "SH01")
    assert "secret" not in str(info.value)


def _runner(desk: Any, factory: Any, **kwargs: Any) -> SyncRunner:
    config = Config(store="SH01", central_url=_closed_port_url())
    return SyncRunner(desk, config, centre_factory=factory, **kwargs)


async def _until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


Maker = Callable[[], Any]


def _offline_and_live(through: str, tmp_path: Path,
                      request: pytest.FixtureRequest) -> tuple[Maker, Maker, Engine]:
    """Makers of a centre nobody answers at and of one that answers (the runner makes a
    fresh one after each failure), and the database behind it: a SQLite centre
    straight, or the central service over HTTPS (its own enrolment)."""
    if through == "sqlite":
        live = connect(CentreSettings(f"sqlite:///{tmp_path / 'centre.db'}"))
        live.init_schema()
        return lambda: connect(CentreSettings(_closed_port_url(), connect_timeout=1)), \
            lambda: live, live.engine
    service = request.getfixturevalue("service")
    request.getfixturevalue("fresh_pg_url")
    live = service.enrol("SH01")
    token = live.client.headers["authorization"].split(" ")[1]
    closed = _closed_port_url().replace("postgresql+psycopg://desk:secret@", "https://")
    return lambda: RemoteCentre(closed.rsplit("/", 1)[0], token, service.tls.ca_file,
                                timeout=httpx.Timeout(5.0, connect=1.0)), \
        lambda: live, service.centre.engine


@pytest.mark.parametrize("through", ["sqlite", "service"])
def test_runner_backs_off_while_offline_then_catches_up(
        through: str, make_desk, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    desk = make_desk("a", seed_tiers=True)
    offline, live, live_db = _offline_and_live(through, tmp_path, request)
    target = {"centre": offline}
    runner = _runner(desk, lambda: target["centre"](), min_backoff=0.2, max_backoff=5)
    seen: list[Any] = []

    async def scenario() -> None:
        runner.subscribe(seen.append)
        first = await runner.run_once()
        assert first.online is False and "unavailable" in (first.last_error or "")
        assert "secret" not in first.describe()
        second = await runner.run_once()
        assert second.retry_in_s and first.retry_in_s
        assert "unavailable" in (second.last_error or "")
        assert second.retry_in_s > first.retry_in_s  # exponential back-off
        member_id = await asyncio.get_running_loop().run_in_executor(
            None, new_member, desk, "M1")
        runner.start()
        runner.kick()  # offline and inside the back-off: only counts pending
        await _until(lambda: runner.status.pending > 0)
        target["centre"] = live  # the network is back
        await _until(lambda: runner.status.online is True and runner.status.pending == 0)
        assert runner.status.last_success is not None
        await asyncio.get_running_loop().run_in_executor(None, log_visit, desk, member_id)
        rounds = runner.rounds
        runner.kick()  # a local write: pushed now, not at the next interval
        await _until(lambda: runner.rounds > rounds and runner.status.pending == 0, 5)
        await runner.stop()

    asyncio.run(scenario())
    assert count(live_db, Visit) == 1
    assert any(s.syncing for s in seen) and seen[-1].online is True
    live().dispose()

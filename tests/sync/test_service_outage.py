"""Through the central service over HTTPS: the database dies under the service, the
service instance dies under the desk, the desk dies after the centre committed — the
desks resume (on another instance too), nothing lost, nothing doubled, all equal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.sync.helpers import count, digest, log_visit, new_member, outbox_size
from tests.sync.service import ServiceThread
from tests.sync.test_outage import _terminate_on_statement
from vipdesk.models import SyncChangeLog, Visit
from vipdesk.sync.central import Centre, CentreSettings, CentreUnavailable, connect
from vipdesk.sync.engine import sync_once
from vipdesk.sync.pull import pull_all
from vipdesk.sync.push import push_all
from vipdesk.sync.remote import RemoteCentre

VISITS = 120


@pytest.fixture
def centre(pg_centre: Centre) -> Centre:
    """These tests run through services they start and stop themselves; `centre` is
    the database behind them, for the oracle and the final clean sync."""
    return pg_centre


def _oracle(centre: Centre, *desks: Any) -> None:
    assert count(centre.engine, Visit) == VISITS
    assert all(count(d, Visit) == VISITS for d in desks)
    with centre.engine.connect() as conn:
        twice = conn.execute(select(SyncChangeLog.record_id).group_by(SyncChangeLog.record_id)
                             .having(func.count() > 1)).all()
    assert twice == []
    assert len({digest(d) for d in desks} | {digest(centre.engine)}) == 1


def _busy_desk(make_desk: Any) -> Any:
    a = make_desk("a", seed_tiers=True)
    member_id = new_member(a, "M1")
    for i in range(VISITS):
        log_visit(a, member_id, f"v{i}")
    return a


def test_database_sessions_killed_under_the_service(service: ServiceThread, centre: Centre,
                                                    make_desk) -> None:
    a, b = _busy_desk(make_desk), make_desk("b")
    flaky = connect(CentreSettings(centre.engine.url.render_as_string(hide_password=False),
                                   pool_size=2))
    seen = _terminate_on_statement(flaky, nth=7)
    running = ServiceThread(flaky, service.tls).start()
    desk_a = _enrolled(running, "SH01")
    desk_b = _enrolled(running, "BJ01")
    failures = 0
    try:
        for _ in range(300):
            try:
                push_all(a, desk_a, "SH01", batch_size=10)
                pull_all(b, desk_b, batch_size=15)
                if outbox_size(a) == 0 and count(b, Visit) == VISITS:
                    break
            except CentreUnavailable:
                failures += 1
    finally:
        running.stop()
        flaky.dispose()
    assert failures >= 3 and seen["killed"] >= 3
    sync_once(a, centre, "SH01")
    sync_once(b, centre, "BJ01")
    _oracle(centre, a, b)


def test_the_service_dies_mid_sync_and_another_instance_takes_over(
        service: ServiceThread, centre: Centre, make_desk) -> None:
    a, b = _busy_desk(make_desk), make_desk("b")
    first = ServiceThread(service.centre, service.tls).start()
    desk_a = _enrolled(first, "SH01")
    batches = {"n": 0, "duplicate": 0}

    def desk_dies_then_service_dies(result: Any) -> None:
        batches["n"] += 1
        batches["duplicate"] += result.counts.get("duplicate", 0)
        if batches["n"] == 2:  # the centre committed; the desk dies before forgetting
            raise SystemExit("desk killed")
        if batches["n"] == 4:
            first.stop()  # the instance goes away between two batches

    with pytest.raises(SystemExit):
        push_all(a, desk_a, "SH01", batch_size=10, on_pushed=desk_dies_then_service_dies)
    with pytest.raises(CentreUnavailable, match="unavailable"):
        push_all(a, desk_a, "SH01", batch_size=10, on_pushed=desk_dies_then_service_dies)
    assert outbox_size(a) > 0
    second = ServiceThread(service.centre, service.tls).start()  # another port, same DB
    try:
        token = desk_a.client.headers["authorization"].split(" ")[1]
        moved = RemoteCentre(second.url, token, second.tls.ca_file)
        sync_once(a, moved, "SH01")
        assert batches["duplicate"] == 10  # the batch the desk died before dropping
        sync_once(b, _enrolled(second, "BJ01"), "BJ01")
    finally:
        second.stop()
    _oracle(centre, a, b)


def _enrolled(running: ServiceThread, store: str) -> RemoteCentre:
    return running.enrol(store, f"desk {store}")


def test_two_instances_at_once_behind_a_round_robin(service: ServiceThread, centre: Centre,
                                                    make_desk) -> None:
    """Stateless: every request may land on either instance, two stores push and pull
    in parallel, and the desks still end equal to the centre."""
    import threading

    a, b = _busy_desk(make_desk), make_desk("b")
    theirs = new_member(b, "M2", name="李雷", phone="13900139000")
    for i in range(20):
        log_visit(b, theirs, f"b{i}")
    other = ServiceThread(service.centre, service.tls).start()
    desks = {"SH01": (a, _RoundRobin(service, other, "SH01")),
             "BJ01": (b, _RoundRobin(service, other, "BJ01"))}
    errors: list[BaseException] = []

    def run(store: str) -> None:
        desk, client = desks[store]
        try:
            for _ in range(40):
                push_all(desk, client, store, batch_size=7)
                pull_all(desk, client, batch_size=9)
        except BaseException as error:  # reported below
            errors.append(error)

    try:
        threads = [threading.Thread(target=run, args=(s,)) for s in desks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for _ in range(2):
            for store, (desk, client) in desks.items():
                sync_once(desk, client, store)
    finally:
        other.stop()
    assert count(centre.engine, Visit) == count(a, Visit) == count(b, Visit) == VISITS + 20
    assert len({digest(a), digest(b), digest(centre.engine)}) == 1


class _RoundRobin:
    """A desk whose requests a load balancer spreads over two instances."""

    def __init__(self, one: ServiceThread, two: ServiceThread, store: str) -> None:
        first = one.enrol(store)
        token = first.client.headers["authorization"].split(" ")[1]
        self.clients = [first, RemoteCentre(two.url, token, two.tls.ca_file)]
        self.turn = 0
        self.label = "round robin"

    def _next(self) -> RemoteCentre:
        self.turn += 1
        return self.clients[self.turn % 2]

    def push(self, store: str, ops: list[Any]) -> Any:
        return self._next().push(store, ops)

    def changes(self, cursor: tuple[int, int], limit: int) -> Any:
        return self._next().changes(cursor, limit)

    def server_time_ms(self) -> int:
        return self._next().server_time_ms()

    def snapshot(self) -> Any:
        return self._next().snapshot()

    def dispose(self) -> None:
        for client in self.clients:
            client.dispose()

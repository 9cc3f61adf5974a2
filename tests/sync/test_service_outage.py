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

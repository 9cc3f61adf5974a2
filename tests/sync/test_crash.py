"""kill -9 a syncing desk process again and again: nothing lost, nothing doubled.

A writer desk records visits and edits a member while it pushes and pulls in small
batches; a reader desk only pulls. Each is SIGKILLed at random moments (and the writer
also kills itself right after the centre committed a batch and before it forgot the
acked ops — the window where a retry could double things). Afterwards one clean sync
each, and the oracle: every visit the writer's file holds is at the centre and on the
reader exactly once; each was logged once; all three databases hash the same.

Children are forked from this (already imported) process so 50 kills take seconds,
not minutes; each child opens its own engines and never touches the parent's.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.sync.helpers import digest, new_member, outbox_size
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.models import Member, SyncChangeLog, Visit, utcnow
from vipdesk.sync.central import Centre, CentreSettings, connect
from vipdesk.sync.engine import bind_store, sync_once
from vipdesk.sync.pull import pull_all
from vipdesk.sync.push import push_all

FORK = multiprocessing.get_context("fork")


def _writer(desk_path: str, url: str, member_id: str, seed: int, ready: Any) -> None:
    rng = random.Random(seed)
    desk = open_desk_db(desk_path, migrate=False)
    centre = connect(CentreSettings(url))
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
        with unit_of_work(factory) as s:
            for _ in range(rng.randint(1, 4)):
                s.add(Visit(member_id=mid, checked_in_at=utcnow(), purpose=f"{seed}-{n}"))
            member = s.get(Member, mid)
            assert member is not None
            member.occupation = f"edit {seed}-{n}"
        push_all(desk, centre, "SH01", batch_size=rng.randint(1, 8), on_pushed=maybe_die)
        pull_all(desk, centre, batch_size=rng.randint(3, 30))


def _reader(desk_path: str, url: str, _member_id: str, seed: int, ready: Any) -> None:
    rng = random.Random(seed)
    desk = open_desk_db(desk_path, migrate=False)
    centre = connect(CentreSettings(url))
    parent = os.getppid()
    ready.set()
    while os.getppid() == parent:  # orphaned (the test run died): stop, don't spin forever
        pull_all(desk, centre, batch_size=rng.randint(1, 20))
        time.sleep(0.005)


def _kill_round(target: Any, args: tuple[Any, ...], rng: random.Random) -> None:
    ready = FORK.Event()
    child = FORK.Process(target=target, args=(*args, ready))
    child.start()
    ready.wait(10)
    time.sleep(rng.uniform(0.02, 0.3))
    if child.is_alive():
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    child.join(10)


def _crash_many(kills: int, centre: Centre, make_desk, tmp_path: Path) -> None:
    writer, reader = make_desk("writer", seed_tiers=True), make_desk("reader")
    member_id = new_member(writer, "M1")
    bind_store(writer, "SH01")
    bind_store(reader, "BJ01")
    url = centre.engine.url.render_as_string(hide_password=False)
    paths = {"writer": str(tmp_path / "writer.db"), "reader": str(tmp_path / "reader.db")}
    writer.dispose()
    reader.dispose()
    rng = random.Random(2026)
    for i in range(kills):
        role, target = ("writer", _writer) if i % 3 != 2 else ("reader", _reader)
        _kill_round(target, (paths[role], url, str(member_id), i), rng)

    sync_once(writer, centre, "SH01")
    sync_once(reader, centre, "BJ01")
    assert outbox_size(writer) == 0
    visits = {}
    for name, engine in (("writer", writer), ("reader", reader), ("centre", centre.engine)):
        with engine.connect() as conn:
            visits[name] = list(conn.scalars(select(Visit.id)))
    assert len(visits["writer"]) > kills  # the children did real work between kills
    assert list(tmp_path.glob("writer.db.acked-then-killed-*"))  # the risky window was hit
    assert sorted(visits["centre"]) == sorted(visits["writer"]) == sorted(visits["reader"])
    with centre.engine.connect() as conn:
        logged_twice = conn.execute(
            select(SyncChangeLog.record_id).where(SyncChangeLog.kind == "insert")
            .group_by(SyncChangeLog.record_id).having(func.count() > 1)).all()
    assert logged_twice == []
    assert digest(writer) == digest(reader) == digest(centre.engine)


def test_fifty_kills_lose_and_double_nothing(centre: Centre, make_desk, tmp_path: Path) -> None:
    _crash_many(51, centre, make_desk, tmp_path)


@pytest.mark.slow
def test_crash_soak(centre: Centre, make_desk, tmp_path: Path) -> None:
    _crash_many(600, centre, make_desk, tmp_path)


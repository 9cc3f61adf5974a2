"""Convergence: desks that edit at random, go offline at random and run clocks hours
(or a year) apart all end with the same data as the centre once they sync.

Hypothesis picks the desks' clocks and a script of steps; shrinking turns a failure
into a short script. Examples are bounded so the normal run stays quick; the slow
mark runs many more.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.sync.conftest import truncate_all
from tests.sync.helpers import digest, new_member
from tests.sync.service import ServiceCentre, ServiceThread
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.models import Member, Preference, Visit, utcnow
from vipdesk.outbox.capture import set_physical_clock
from vipdesk.outbox.hlc import wall_clock_ms
from vipdesk.sync.central import Centre, CentreSettings, connect
from vipdesk.sync.engine import sync_once

STORES = ("SH01", "BJ01", "GZ01")
HOUR = 3_600_000
SKEWS = st.sampled_from([0, -3 * HOUR, 5 * HOUR, 365 * 24 * HOUR])
FIELDS = ("email", "occupation", "hobbies", "address")
VALUES = st.sampled_from(["a@x.cn", "b@x.cn", "golf", "tea", "上海", "北京", None])

STEP = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 2), st.sampled_from(FIELDS), VALUES),
    st.tuples(st.just("visit"), st.integers(0, 2), st.none(), st.none()),
    st.tuples(st.just("prefer"), st.integers(0, 2), st.none(), VALUES),
    st.tuples(st.just("unprefer"), st.integers(0, 2), st.none(), st.none()),
    st.tuples(st.just("sync"), st.integers(0, 2), st.none(), st.none()),
    st.tuples(st.just("toggle_offline"), st.integers(0, 2), st.none(), st.none()),
)


@dataclass
class World:
    centre: Centre | ServiceCentre
    desks: list[Engine]
    member_id: uuid.UUID
    offline: list[bool]

    def run(self, step: tuple[str, int, str | None, str | None]) -> None:
        action, i, field, value = step
        desk = self.desks[i]
        if action == "sync":
            if not self.offline[i]:
                sync_once(desk, self.centre, STORES[i])
        elif action == "toggle_offline":
            self.offline[i] = not self.offline[i]
        else:
            with unit_of_work(session_factory(desk)) as s:
                self._local_edit(s, action, field, value)

    def _local_edit(self, s, action: str, field: str | None, value: str | None) -> None:
        member = s.get(Member, self.member_id)
        if member is None:
            return
        if action == "edit" and field:
            setattr(member, field, value)
        elif action == "visit":
            s.add(Visit(member_id=self.member_id, checked_in_at=utcnow(), purpose="x"))
        elif action == "prefer":
            s.add(Preference(member_id=self.member_id, tag="drink", value=value or "水"))
        elif action == "unprefer":
            first = s.scalars(select(Preference).order_by(Preference.id).limit(1)).first()
            if first is not None:
                s.delete(first)

    def settle(self) -> set[str]:
        """Everybody syncs until all agree (two rounds normally do: push, then pull what
        came after). A few more are allowed because the pull watermark waits for any
        open transaction on the whole server, e.g. another test run's."""
        for attempt in range(8):
            for desk, store in zip(self.desks, STORES, strict=True):
                sync_once(desk, self.centre, store)
            hashes = {digest(d) for d in self.desks} | {digest(self.centre.engine)}
            if attempt >= 1 and len(hashes) == 1:
                break
            time.sleep(0.05 * attempt)
        return hashes


def _world(url: str, folder: Path, template: Path, skews: list[int],
           service: ServiceThread | None = None) -> World:
    truncate_all(url)
    centre = ServiceCentre(service) if service else connect(CentreSettings(url))
    desks = []
    for store, skew in zip(STORES, skews, strict=True):
        path = folder / f"{store}.db"
        shutil.copyfile(template, path)
        desk = open_desk_db(path, migrate=False)
        set_physical_clock(desk, lambda skew=skew: wall_clock_ms() + skew)
        desks.append(desk)
    member_id = new_member(desks[0], "M1")
    for desk, store in zip(desks, STORES, strict=True):
        sync_once(desk, centre, store)
    return World(centre, desks, member_id, [False, False, False])


def _check(pg_url: str, desk_template: Path, skews: list[int], steps: list,
           service: ServiceThread | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = _world(pg_url, Path(folder), desk_template, skews, service)
        try:
            for step in steps:
                world.run(step)
            hashes = world.settle()
            assert len(hashes) == 1, f"desks diverged after {steps}"
        finally:
            for desk in world.desks:
                desk.dispose()
            world.centre.dispose()


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(skews=st.lists(SKEWS, min_size=3, max_size=3), steps=st.lists(STEP, max_size=25))
def test_random_edits_and_offline_windows_converge(pg_url: str, desk_template: Path,
                                                    skews: list[int], steps: list) -> None:
    _check(pg_url, desk_template, skews, steps)


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(skews=st.lists(SKEWS, min_size=3, max_size=3), steps=st.lists(STEP, max_size=25))
def test_the_same_through_the_central_service(service: ServiceThread, pg_url: str,
                                              desk_template: Path, skews: list[int],
                                              steps: list) -> None:
    """Each desk enrolled for its store, syncing over HTTPS through a real uvicorn."""
    _check(pg_url, desk_template, skews, steps, service)


@pytest.mark.slow
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(skews=st.lists(SKEWS, min_size=3, max_size=3), steps=st.lists(STEP, max_size=60))
def test_convergence_soak(pg_url: str, desk_template: Path, skews: list[int],
                          steps: list) -> None:
    _check(pg_url, desk_template, skews, steps)


@pytest.mark.slow
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(skews=st.lists(SKEWS, min_size=3, max_size=3), steps=st.lists(STEP, max_size=60))
def test_convergence_soak_through_the_service(service: ServiceThread, pg_url: str,
                                              desk_template: Path, skews: list[int],
                                              steps: list) -> None:
    _check(pg_url, desk_template, skews, steps, service)

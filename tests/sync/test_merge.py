"""Merging at the centre: per-field HLC last-writer-wins, conflicts for a manager,
clamped fast clocks, tombstones and erasure that stay put."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, select

from tests.sync.conftest import centre_by_name
from tests.sync.helpers import (
    digest,
    edit_member,
    log_visit,
    member_field,
    new_member,
    wait_for_watermark,
)
from vipdesk.db import session_factory, unit_of_work
from vipdesk.models import Member, MemberPhone, Preference, SyncFieldStamp, Visit
from vipdesk.outbox.capture import set_physical_clock
from vipdesk.outbox.hlc import wall_clock_ms
from vipdesk.services.auth import Actor, PermissionDenied
from vipdesk.services.erasure import KEPT_FIELDS, PERSONAL_FIELDS, erase_member
from vipdesk.sync.central import Centre
from vipdesk.sync.conflicts import SettleError, list_conflicts, settle_conflict
from vipdesk.sync.engine import sync_once

MANAGER = Actor(None, "manager", "Manager Zhou")
STAFF = Actor(None, "staff", "Staff Li")
HOUR_MS = 3_600_000


@pytest.fixture(params=["pg", "sqlite", "service"])
def centre(request: pytest.FixtureRequest) -> Centre:
    """Every merge rule on PostgreSQL, on the SQLite stand-in (the same code) and through
    the central service."""
    return centre_by_name(request, request.param)


def _three_desks(centre: Centre, make_desk) -> tuple[Engine, Engine, Engine, uuid.UUID]:
    a, b, c = make_desk("a", seed_tiers=True), make_desk("b"), make_desk("c")
    member_id = new_member(a, "M1")
    for desk, store in ((a, "SH01"), (b, "BJ01"), (c, "GZ01")):
        sync_once(desk, centre, store)
    return a, b, c, member_id


def _sync_all(centre: Centre, desks: dict[str, Engine], rounds: int = 2) -> None:
    for _ in range(rounds):
        for store, desk in desks.items():
            wait_for_watermark(centre)
            sync_once(desk, centre, store)


def test_edits_of_different_fields_both_survive(centre: Centre, make_desk) -> None:
    a, b, c, member_id = _three_desks(centre, make_desk)
    edit_member(a, member_id, email="wang@example.com")
    edit_member(b, member_id, occupation="architect")
    _sync_all(centre, {"SH01": a, "BJ01": b, "GZ01": c})
    for desk in (a, b, c):
        assert member_field(desk, member_id, "email") == "wang@example.com"
        assert member_field(desk, member_id, "occupation") == "architect"
    with session_factory(c)() as s:
        assert list_conflicts(s) == []
    assert digest(a) == digest(b) == digest(c) == digest(centre.engine)


def test_concurrent_edit_of_one_field_keeps_the_later_and_records_both(
        centre: Centre, make_desk) -> None:
    a, b, c, member_id = _three_desks(centre, make_desk)
    edit_member(a, member_id, address="上海市静安区")
    edit_member(b, member_id, address="北京市朝阳区")  # later stamp: wins on every desk
    # B pushes first: arrival order must not matter.
    _sync_all(centre, {"BJ01": b, "SH01": a, "GZ01": c})
    for desk in (a, b, c):
        assert member_field(desk, member_id, "address") == "北京市朝阳区"
    with session_factory(c)() as s:
        [conflict] = list_conflicts(s)
    assert conflict.field == "address" and conflict.label.startswith("M1")
    assert (conflict.kept_value, conflict.kept_store) == ("北京市朝阳区", "BJ01")
    assert (conflict.lost_value, conflict.lost_store) == ("上海市静安区", "SH01")
    assert conflict.kept_at and conflict.lost_at and conflict.kept_at >= conflict.lost_at
    assert digest(a) == digest(b) == digest(c)


def test_a_manager_settles_for_the_losing_value_everywhere(centre: Centre, make_desk) -> None:
    a, b, c, member_id = _three_desks(centre, make_desk)
    edit_member(a, member_id, email="a@example.com")
    edit_member(b, member_id, email="b@example.com")
    _sync_all(centre, {"SH01": a, "BJ01": b, "GZ01": c})
    factory = session_factory(c)
    with factory() as s:
        [conflict] = list_conflicts(s)
    with pytest.raises(PermissionDenied), unit_of_work(factory) as s:
        settle_conflict(s, conflict.id, "lost", STAFF)
    with pytest.raises(SettleError, match="choice"), unit_of_work(factory) as s:
        settle_conflict(s, conflict.id, "maybe", MANAGER)
    with unit_of_work(factory) as s:
        settle_conflict(s, conflict.id, "lost", MANAGER)
    _sync_all(centre, {"GZ01": c, "SH01": a, "BJ01": b})
    for desk in (a, b, c):
        assert member_field(desk, member_id, "email") == "a@example.com"
        with session_factory(desk)() as s:
            assert list_conflicts(s) == []
            [settled] = list_conflicts(s, open_only=False)
            assert (settled.settled_choice, settled.settled_by) == ("lost", "Manager Zhou")


def test_clocks_hours_apart_still_order_edits_by_causality(centre: Centre, make_desk) -> None:
    """A desk 5 hours fast, one 3 hours slow: an edit made after seeing another wins,
    and the fast desk's stamps are pulled back to the centre's clock."""
    a, b, c, member_id = _three_desks(centre, make_desk)
    set_physical_clock(a, lambda: wall_clock_ms() + 5 * HOUR_MS)
    set_physical_clock(b, lambda: wall_clock_ms() - 3 * HOUR_MS)
    desks = {"SH01": a, "BJ01": b, "GZ01": c}
    edit_member(a, member_id, occupation="from the fast desk")
    report = sync_once(a, centre, "SH01")
    assert any("ahead of" in w for w in report.warnings)
    sync_once(b, centre, "BJ01")
    edit_member(b, member_id, occupation="from the slow desk, after seeing it")
    _sync_all(centre, desks)
    for desk in desks.values():
        assert member_field(desk, member_id, "occupation") == \
            "from the slow desk, after seeing it"
    with centre.engine.connect() as conn:
        stamps = conn.scalars(select(SyncFieldStamp.hlc)).all()
    assert stamps and all(int(h.split(".")[0]) < wall_clock_ms() + 2 * 60_000 for h in stamps)
    with session_factory(c)() as s:
        assert list_conflicts(s) == []  # causal, not concurrent
    assert digest(a) == digest(b) == digest(c)


def test_a_fast_clock_does_not_win_a_later_concurrent_edit(centre: Centre, make_desk) -> None:
    a, b, c, member_id = _three_desks(centre, make_desk)
    set_physical_clock(a, lambda: wall_clock_ms() + 365 * 24 * HOUR_MS)  # a year ahead
    edit_member(a, member_id, hobbies="golf")
    sync_once(a, centre, "SH01")
    set_physical_clock(b, lambda: wall_clock_ms() + 2 * 60_000)  # edits "later" than the clamp
    edit_member(b, member_id, hobbies="sailing")
    _sync_all(centre, {"BJ01": b, "SH01": a, "GZ01": c})
    for desk in (a, b, c):
        assert member_field(desk, member_id, "hobbies") == "sailing"


def test_deleted_records_stay_deleted(centre: Centre, make_desk) -> None:
    a, b, c, member_id = _three_desks(centre, make_desk)
    with unit_of_work(session_factory(a)) as s:
        s.add(Preference(member_id=member_id, tag="drink", value="龙井"))
    _sync_all(centre, {"SH01": a, "BJ01": b})
    with unit_of_work(session_factory(a)) as s:
        s.delete(s.scalars(select(Preference)).one())
    with unit_of_work(session_factory(b)) as s:  # offline: edits what A just deleted
        s.scalars(select(Preference)).one().value = "普洱"
    result = sync_once(a, centre, "SH01")
    late = sync_once(b, centre, "BJ01")
    assert result.outcomes == {"applied": 1} and late.outcomes == {"obsolete": 1}
    _sync_all(centre, {"SH01": a, "BJ01": b, "GZ01": c})
    for desk in (a, b, c):
        with desk.connect() as conn:
            assert conn.scalar(select(Preference.id)) is None
    assert digest(a) == digest(b) == digest(c)


def test_erasure_reaches_every_desk_and_cannot_be_undone_by_an_offline_desk(
        centre: Centre, make_desk) -> None:
    a, b, c, member_id = _three_desks(centre, make_desk)
    log_visit(a, member_id)
    _sync_all(centre, {"SH01": a, "BJ01": b, "GZ01": c})
    with unit_of_work(session_factory(a)) as s:
        erase_member(s, member_id, MANAGER)
    # Desk B, offline, still knows the member: edits the name and adds a phone.
    edit_member(b, member_id, name_zh="王芳芳", email="w@example.com")
    with unit_of_work(session_factory(b)) as s:
        s.add(MemberPhone(member_id=member_id, e164="+8613900139000", suffix4="9000"))
    sync_once(a, centre, "SH01")
    _sync_all(centre, {"BJ01": b, "SH01": a, "GZ01": c})
    for desk in (a, b, c, centre.engine):
        with session_factory(desk)() as s:
            member = s.get(Member, member_id)
            assert member is not None and member.erased_at is not None
            assert {f: getattr(member, f) for f in PERSONAL_FIELDS if getattr(member, f)} == {}
            assert s.scalars(select(MemberPhone)).all() == []
            assert len(s.scalars(select(Visit)).all()) == 1  # anonymous history stays
    assert digest(a) == digest(b) == digest(c) == digest(centre.engine)


def test_every_member_column_is_classified_for_erasure() -> None:
    columns = {c.name for c in Member.__table__.columns}
    assert columns - PERSONAL_FIELDS - KEPT_FIELDS == set(), \
        "new member column: add it to erasure.PERSONAL_FIELDS or KEPT_FIELDS"

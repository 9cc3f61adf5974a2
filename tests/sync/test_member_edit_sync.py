"""A member registered on one desk, a preference changed on another, a merge on the
first: each arrives everywhere through the centre (the desk's edits go through the ORM,
so the outbox carries them)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, select

from tests.sync.conftest import centre_by_name
from tests.sync.helpers import digest, log_visit
from vipdesk.db import session_factory, unit_of_work
from vipdesk.models import Member, Preference, Visit
from vipdesk.services import member_edit as me
from vipdesk.services.auth import Actor
from vipdesk.services.member_merge import merge_members
from vipdesk.services.tiers import load_tier_table
from vipdesk.sync.central import Centre
from vipdesk.sync.engine import sync_once

STAFF = Actor(None, "staff", "Lounge Zhang")
MANAGER = Actor(None, "manager", "Manager Zhou")


@pytest.fixture(params=["pg", "sqlite", "service"])
def any_centre(request: pytest.FixtureRequest) -> Centre:
    return centre_by_name(request, request.param)


def _register(desk: Engine, name: str, phone: str) -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        return me.register(s, STAFF, me.Registration(
            name_zh=name, phones=[phone], preferences=[("drink", "龙井")], consent=True)
        ).member_id


def _apply(desk: Engine, actor: Actor, member_id: uuid.UUID, changes: me.MemberChanges) -> None:
    with unit_of_work(session_factory(desk)) as s:
        me.apply_changes(s, actor, member_id, changes, load_tier_table(s))


def _prefs(desk: Engine, member_id: uuid.UUID) -> list[tuple[str, str]]:
    with session_factory(desk)() as s:
        member = s.get(Member, member_id)
        return [(p.tag, p.value) for p in member.preferences] if member else []


def _sync(centre: Centre, *desks: tuple[Engine, str]) -> None:
    for desk, store in desks:
        report = sync_once(desk, centre, store)
        assert report.outcomes.get("rejected", 0) == 0


def test_a_preference_changed_on_one_desk_arrives_on_the_other(any_centre: Centre,
                                                               make_desk) -> None:  # type: ignore[no-untyped-def]
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    member_id = _register(a, "欧阳娜娜", "13912345678")
    _sync(any_centre, (a, "SH01"), (b, "BJ01"))
    assert _prefs(b, member_id) == [("drink", "龙井")]
    with session_factory(b)() as s:
        old = s.scalars(select(Preference.id).where(Preference.member_id == member_id)).one()
    _apply(b, STAFF, member_id, me.MemberChanges(prefs_remove=[old],
                                                 prefs_add=[("drink", "普洱")]))
    _sync(any_centre, (b, "BJ01"), (a, "SH01"))
    assert _prefs(a, member_id) == [("drink", "普洱")]
    assert digest(a) == digest(b)


def test_a_merge_moves_history_and_removes_the_duplicate_everywhere(any_centre: Centre,
                                                                    make_desk) -> None:  # type: ignore[no-untyped-def]
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    keep = _register(a, "王芳", "13912345678")
    gone = _register(a, "王芳", "13712345678")
    visit = log_visit(a, gone)
    _sync(any_centre, (a, "SH01"), (b, "BJ01"))
    with unit_of_work(session_factory(a)) as s:
        merge_members(s, MANAGER, keep, gone, load_tier_table(s))
    _sync(any_centre, (a, "SH01"), (b, "BJ01"))
    with session_factory(b)() as s:
        assert s.get(Member, gone) is None
        assert s.scalar(select(Visit.member_id).where(Visit.id == visit)) == keep
        assert len(s.get(Member, keep).phones) == 2  # type: ignore[union-attr]
    assert digest(a) == digest(b)

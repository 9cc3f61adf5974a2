"""A member's photo travels like the member's other columns, and erasure takes it away
on every desk."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.sync.conftest import centre_by_name
from tests.sync.helpers import digest, member_field, new_member
from vipdesk.db import session_factory, unit_of_work
from vipdesk.outbox import tables
from vipdesk.services.auth import Actor
from vipdesk.services.erasure import erase_member
from vipdesk.services.photos import PhotoService
from vipdesk.sync.central import Centre
from vipdesk.sync.engine import sync_once

MANAGER = Actor(None, "manager", "Manager Zhou")
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def test_bytes_are_base64_on_the_wire() -> None:
    column = tables.table("members").c.photo
    encoded = tables.encode_value(PHOTO)
    assert isinstance(encoded, str)
    assert tables.decode_value(column, encoded) == PHOTO
    assert tables.canonical({"photo": encoded})  # JSON-ready


@pytest.fixture(params=["pg", "sqlite", "service"])
def any_centre(request: pytest.FixtureRequest) -> Centre:
    return centre_by_name(request, request.param)


def test_the_photo_reaches_the_other_desk_and_erasure_follows(any_centre: Centre,
                                                              make_desk) -> None:  # type: ignore[no-untyped-def]
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    member_id = new_member(a, "M1")
    PhotoService(session_factory(a)).set(MANAGER, member_id, PHOTO)
    for desk, store in ((a, "SH01"), (b, "BJ01")):
        report = sync_once(desk, any_centre, store)
        assert report.outcomes.get("rejected", 0) == 0
    assert member_field(b, member_id, "photo") == PHOTO
    assert digest(a) == digest(b) == digest(any_centre.engine)
    _erase(a, member_id)
    sync_once(a, any_centre, "SH01")
    sync_once(b, any_centre, "BJ01")
    assert member_field(b, member_id, "photo") is None


def _erase(desk: Engine, member_id: object) -> None:
    with unit_of_work(session_factory(desk)) as s:
        erase_member(s, member_id, MANAGER)  # type: ignore[arg-type]

"""A member's photo: checked by its first bytes, capped, permitted, audited, erased."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.services.conftest import Lounge
from vipdesk.db import unit_of_work
from vipdesk.models import AuditEntry, Member
from vipdesk.services.auth import PermissionDenied
from vipdesk.services.erasure import erase_member
from vipdesk.services.photos import (
    MAX_PHOTO_BYTES,
    PhotoError,
    PhotoService,
    check_photo,
    image_kind,
)
from vipdesk.services.profile import load_profile
from vipdesk.services.tiers import load_tier_table

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 200


def test_kinds_by_signature() -> None:
    assert image_kind(PNG) == "png" and image_kind(JPEG) == "jpeg"
    assert image_kind(b"%PDF-1.7 ...") is None and image_kind(b"GIF89a") is None


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"%PDF-1.7\n" + b"\0" * 100, "only JPEG or PNG"),
    (JPEG + b"\0" * MAX_PHOTO_BYTES, "too large"),
])
def test_a_wrong_file_is_refused_in_words(data: bytes, words: str) -> None:
    with pytest.raises(PhotoError, match=words):
        check_photo(data)


def _photo(factory: sessionmaker[Session], lounge: Lounge) -> bytes | None:
    with factory() as s:
        return s.scalar(select(Member.photo).where(Member.id == lounge.wang))


def test_set_shows_on_the_profile_and_is_audited(factory: sessionmaker[Session],
                                                 lounge: Lounge) -> None:
    PhotoService(factory, lounge.clock).set(lounge.advisor, lounge.wang, JPEG)
    with factory() as s:
        profile = load_profile(s, lounge.wang, load_tier_table(s))
        assert profile is not None and profile.photo == JPEG
        details = s.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "member.photo")).all()
    assert details == [f"jpeg, {len(JPEG)} bytes"]
    PhotoService(factory, lounge.clock).set(lounge.manager, lounge.wang, None)
    assert _photo(factory, lounge) is None


def test_only_whoever_may_edit_the_member(factory: sessionmaker[Session],
                                          lounge: Lounge) -> None:
    with pytest.raises(PermissionDenied):
        PhotoService(factory, lounge.clock).set(lounge.other_advisor, lounge.wang, PNG)
    with pytest.raises(PhotoError):  # refused before anything is written
        PhotoService(factory, lounge.clock).set(lounge.manager, lounge.wang, b"not an image")
    assert _photo(factory, lounge) is None


def test_erasure_scrubs_the_photo(factory: sessionmaker[Session], lounge: Lounge) -> None:
    PhotoService(factory, lounge.clock).set(lounge.manager, lounge.wang, PNG)
    with unit_of_work(factory) as s:
        erase_member(s, lounge.wang, lounge.manager, lounge.clock)
    assert _photo(factory, lounge) is None

"""A member's photo for the card: optional, small, and only a JPEG or a PNG.

The photo travels with the member row to the centre and every desk, so it is capped
(`MAX_PHOTO_BYTES`) and checked by its first bytes, without decoding it: what is stored
is what a desk can show, and a wrong file (a PDF, a 5 MB camera original) is refused
with words staff understand. Erasure clears it with the rest of the personal fields.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.services import audit
from vipdesk.services.auth import Actor
from vipdesk.services.clock import Clock
from vipdesk.services.records import member_for

MAX_PHOTO_BYTES = 256 * 1024
SIGNATURES = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}


class PhotoError(ValueError):
    """The file cannot be a member's photo (not JPEG/PNG, empty, too large)."""


def image_kind(data: bytes) -> str | None:
    """"jpeg" or "png" by the file's signature; None for anything else."""
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


def check_photo(data: bytes) -> str:
    """The image kind, or a PhotoError that says what is wrong with the file."""
    if not data:
        raise PhotoError("photo: the file is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"photo: {len(data) // 1024} KiB is too large; at most "
                         f"{MAX_PHOTO_BYTES // 1024} KiB (make it smaller, e.g. 400 × 400)")
    kind = image_kind(data)
    if kind is None:
        raise PhotoError("photo: only JPEG or PNG images can be used")
    return kind


def set_photo(session: Session, actor: Actor, member_id: uuid.UUID, data: bytes | None,
              clock: Clock | None = None) -> None:
    """Store (or with None, remove) the member's photo in the caller's unit of work."""
    kind = check_photo(data) if data is not None else None
    member = member_for(session, actor, "member.edit.own", member_id)
    member.photo = data
    audit.record(session, actor, "member.photo", member_id,
                 f"{kind}, {len(data)} bytes" if data is not None else "removed", clock)


class PhotoService:
    def __init__(self, factory: sessionmaker[Session], clock: Clock | None = None) -> None:
        self.factory = factory
        self.clock = clock or Clock()

    def set(self, actor: Actor, member_id: uuid.UUID, data: bytes | None) -> None:
        if data is not None:
            check_photo(data)  # before any transaction: nothing half-written
        with unit_of_work(self.factory) as session:
            set_photo(session, actor, member_id, data, self.clock)

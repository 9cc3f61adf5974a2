"""Privacy on screen (SPEC §10, seed 000 五(二)3, seed 003 五(三)): show only what the
person at the desk needs, and leave a trace when they ask for more.

- Phones are masked everywhere (`*******8000`, `+852 ****4567`); `reveal_phones` shows them in full
  for a stated reason and writes that reason to the audit log.
- The private part of the file (family, lifestyle) is for the member's advisor and for
  managers and administrators; lounge staff and other advisors see the rest of it.
- `open_member_file` is the one call the UI makes to show a member's card: it loads the
  profile, filters the file for the actor and audits the view, in one unit of work.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.models import Member, MemberPhone
from vipdesk.services import audit, auth, phones, scan
from vipdesk.services.auth import Actor
from vipdesk.services.clock import DEFAULT_TZ, Clock
from vipdesk.services.profile import MemberProfile, load_profile
from vipdesk.services.tiers import TierTable

PRIVATE_FILE_FIELDS = frozenset({"family", "lifestyle"})
MIN_REASON = 4
MAX_REASON = 200


class RevealRefused(ValueError):
    """No (usable) reason was given; the message says what is needed."""


class MemberNotFound(LookupError):
    """No such member, or the member was erased."""


def can_see_private(actor: Actor, member_advisor_id: uuid.UUID | None) -> bool:
    return auth.allowed(actor, "member.private.own", member_advisor_id)


def visible_file(actor: Actor, file: dict[str, str],
                 member_advisor_id: uuid.UUID | None) -> dict[str, str]:
    """The file fields this actor may read (a new dict; the input is not changed)."""
    if can_see_private(actor, member_advisor_id):
        return dict(file)
    return {k: v for k, v in file.items() if k not in PRIVATE_FILE_FIELDS}


def mask_id_number(text: str) -> str:
    """An identity document number under the one masking rule (`phones.hide`): at most the
    last 4 characters visible, at least half hidden."""
    return phones.mask_code(text)


def reveal_phones(session: Session, actor: Actor, member_id: uuid.UUID, reason: str,
                  clock: Clock | None = None) -> list[str]:
    """The member's phones in full (E.164, primary first). Needs a reason; audited."""
    auth.require(actor, "member.reveal")
    why = _reason(reason)
    member = _member(session, member_id)
    numbers = list(session.scalars(
        select(MemberPhone.e164).where(MemberPhone.member_id == member.id)
        .order_by(MemberPhone.is_primary.desc(), MemberPhone.e164)))
    audit.record(session, actor, "member.reveal", member.id,
                 f"phones ({len(numbers)}): {why}", clock)
    return numbers


def open_member_file(session: Session, actor: Actor, member_id: uuid.UUID, tiers: TierTable,
                     clock: Clock | None = None, how: str = "", *,
                     tz: str = DEFAULT_TZ) -> MemberProfile | None:
    """The member card as this actor may see it; the view is audited. None if gone.
    `tz`: the store's zone, in which the birthday's "in 3 days" is counted."""
    clock = clock or Clock()
    profile = read_member_file(session, actor, member_id, tiers, clock, tz=tz)
    if profile is not None:
        audit.member_viewed(session, actor, member_id, clock, how)
    return profile


def read_member_file(session: Session, actor: Actor, member_id: uuid.UUID, tiers: TierTable,
                     clock: Clock | None = None, *, tz: str = DEFAULT_TZ
                     ) -> MemberProfile | None:
    """The card again for the person who opened it (after a change): not a new view,
    so not audited again. None if gone."""
    auth.require(actor, "member.view")
    profile = load_profile(session, member_id, tiers, now=(clock or Clock()).now(), tz=tz)
    if profile is None:
        return None
    advisor_id = session.scalar(select(Member.advisor_id).where(Member.id == member_id))
    return replace(profile, file=visible_file(actor, profile.file, advisor_id))


def _reason(reason: str) -> str:
    why = scan.clean(reason[: MAX_REASON * 2])
    if len(why) < MIN_REASON:
        raise RevealRefused(f"reason: say why you need the full number "
                            f"(at least {MIN_REASON} characters)")
    return why[:MAX_REASON]


def _member(session: Session, member_id: uuid.UUID) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.erased_at is not None:
        raise MemberNotFound(f"no member {member_id}")
    return member

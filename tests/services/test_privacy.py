"""Privacy on screen: masked phones, reveal with a reason (audited), private file fields."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.services.conftest import Lounge
from vipdesk.db import unit_of_work
from vipdesk.models import AuditEntry, Member
from vipdesk.services import privacy
from vipdesk.services.auth import Actor, PermissionDenied
from vipdesk.services.privacy import MemberNotFound, RevealRefused
from vipdesk.services.tiers import load_tier_table

FILE = {"occupation": "律师", "hobbies": "高尔夫", "family": "两个孩子, 太太是医生",
        "lifestyle": "每年冬天去三亚"}


def _with_file(factory: sessionmaker[Session], lounge: Lounge) -> None:
    with unit_of_work(factory) as s:
        member = s.get(Member, lounge.wang)
        assert member is not None
        for name, value in FILE.items():
            setattr(member, name, value)


def _audit(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.at)))


@pytest.mark.parametrize(("who", "sees_private"), [
    ("staff", False), ("other_advisor", False), ("advisor", True), ("manager", True),
    ("admin", True),
])
def test_private_fields_only_for_the_advisor_and_managers(lounge: Lounge, who: str,
                                                          sees_private: bool) -> None:
    actor: Actor = getattr(lounge, who)
    advisor_id = lounge.advisor.staff_id  # Wang's advisor
    shown = privacy.visible_file(actor, FILE, advisor_id)
    assert ("family" in shown and "lifestyle" in shown) is sees_private
    assert shown["occupation"] == "律师" and shown["hobbies"] == "高尔夫"
    assert FILE["family"]  # the input is not changed


def test_open_member_file_filters_and_audits(factory: sessionmaker[Session],
                                             lounge: Lounge) -> None:
    _with_file(factory, lounge)
    with unit_of_work(factory) as s:
        tiers = load_tier_table(s)
        for_staff = privacy.open_member_file(s, lounge.staff, lounge.wang, tiers, lounge.clock,
                                             how="search")
        for_advisor = privacy.open_member_file(s, lounge.advisor, lounge.wang, tiers,
                                               lounge.clock)
    assert for_staff is not None and for_advisor is not None
    assert "family" not in for_staff.file and for_advisor.file["family"] == FILE["family"]
    assert for_staff.phones_masked == ["*******8000"]
    log = _audit(factory)
    assert [(e.action, e.staff_name, e.member_id, e.detail) for e in log] == [
        ("member.view", "张敏", lounge.wang, "search"),
        ("member.view", "李娜", lounge.wang, "")]


def test_open_member_file_of_nobody(factory: sessionmaker[Session], lounge: Lounge) -> None:
    import uuid

    with unit_of_work(factory) as s:
        assert privacy.open_member_file(s, lounge.staff, uuid.uuid4(),
                                        load_tier_table(s)) is None
    assert _audit(factory) == []


def test_reveal_needs_a_reason_and_is_audited(factory: sessionmaker[Session],
                                              lounge: Lounge) -> None:
    for reason in ("", "   ", "\x00\x01", "ok"):
        with pytest.raises(RevealRefused, match="reason"), unit_of_work(factory) as s:
            privacy.reveal_phones(s, lounge.staff, lounge.wang, reason, lounge.clock)
    assert _audit(factory) == []
    with unit_of_work(factory) as s:
        numbers = privacy.reveal_phones(s, lounge.staff, lounge.wang,
                                        " 客人请我们回电确认预约 ", lounge.clock)
    assert numbers == ["+8613800138000"]
    [entry] = _audit(factory)
    assert (entry.action, entry.member_id, entry.staff_name) == ("member.reveal", lounge.wang,
                                                                 "张敏")
    assert "客人请我们回电确认预约" in entry.detail
    assert "13800138000" not in entry.detail  # the log keeps the reason, not the number


def test_reveal_of_an_erased_member(factory: sessionmaker[Session], lounge: Lounge) -> None:
    from vipdesk.models import utcnow

    with unit_of_work(factory) as s:
        member = s.get(Member, lounge.li)
        assert member is not None
        member.erased_at = utcnow()
    with pytest.raises(MemberNotFound), unit_of_work(factory) as s:
        privacy.reveal_phones(s, lounge.manager, lounge.li, "callback request", lounge.clock)


def test_unknown_role_cannot_reveal(factory: sessionmaker[Session], lounge: Lounge) -> None:
    with pytest.raises(PermissionDenied), unit_of_work(factory) as s:
        privacy.reveal_phones(s, Actor(None, "visitor", "x"), lounge.wang, "just curious")


@pytest.mark.parametrize(("raw", "masked"), [
    ("110105199001011234", "**************1234"),
    ("G1234 5678", "*****5678"),
    ("1234567", "****567"),
    ("", ""),
])
def test_identity_numbers_are_masked(raw: str, masked: str) -> None:
    assert privacy.mask_id_number(raw) == masked

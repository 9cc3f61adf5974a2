"""The results list says a member's tier in the words the card's badge uses."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from vipdesk.services.lookup import Match, MemberHit
from vipdesk.ui.results import ResultsModel


def _hit(tier: tuple[str, str] | None) -> MemberHit:
    return MemberHit(uuid.uuid4(), "SH01F0FC8AFB", "歐陽嘉敏", "Au Yeung Ka Man", "F",
                     "black" if tier else None, tier[0] if tier else None,
                     tier[1] if tier else None, False, "+852 ****4567", Match.PHONE)


@pytest.mark.parametrize(("lang", "tier", "said"), [
    ("zh", None, "普通会员"), ("en", None, "Member"),
    ("zh", ("黑卡会员", "Black Card"), "黑卡会员"),
    ("en", ("黑卡会员", "Black Card"), "Black Card")])
def test_the_tier_reads_as_on_the_card(qtbot: Any, lang: str, tier: tuple[str, str] | None,
                                       said: str) -> None:
    model = ResultsModel()
    model.lang = lang
    second_line = model.line(_hit(tier)).splitlines()[1]
    assert second_line.startswith(f"{said}  ·  +852 ****4567  ·  SH01F0FC8AFB")

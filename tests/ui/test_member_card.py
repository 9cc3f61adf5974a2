"""The member card on its own: what it says, and that long files scroll instead of
being cut."""

from __future__ import annotations

import dataclasses
from typing import Any

from vipdesk.services.desk import Desk
from vipdesk.services.profile import MemberProfile
from vipdesk.ui import i18n
from vipdesk.ui.member_card import MemberCard

ENDING = "最后一句在这里。"


def _profile(desk: Desk, **changes: Any) -> MemberProfile:
    member_id = desk.search("M0000001").hits[0].member_id
    profile = desk.profile(member_id)
    assert profile is not None
    return dataclasses.replace(profile, **changes)


def _card(qtbot: Any, profile: MemberProfile, lang: str) -> MemberCard:
    i18n.install(lang)
    card = MemberCard()
    qtbot.addWidget(card)
    card.resize(900, 600)
    card.show()
    card.show_profile(profile, lang)
    return card


def test_without_a_latin_name_the_honorific_shows_once(qtbot: Any, desk: Desk) -> None:
    profile = _profile(desk, name_latin=None, honorific_zh="周女士", honorific_en="周女士")
    for lang in ("zh", "en"):
        card = _card(qtbot, profile, lang)
        assert card.honorific.text() == "周女士"
    i18n.install("en")


def test_with_a_latin_name_both_forms_show(qtbot: Any, desk: Desk) -> None:
    profile = _profile(desk, name_latin="Zhou Min", honorific_zh="周女士",
                       honorific_en="Ms Zhou")
    assert _card(qtbot, profile, "zh").honorific.text() == "周女士  ·  Ms Zhou"
    assert _card(qtbot, profile, "en").honorific.text() == "Ms Zhou  ·  Zhou Min"
    i18n.install("en")


def test_a_long_file_is_shown_whole_and_scrolls(qtbot: Any, desk: Desk) -> None:
    family = "长子在伦敦读书，每年暑假回国时会一起来店里挑选礼物。" * 30 + ENDING
    card = _card(qtbot, _profile(desk, file={"family": family}), "zh")
    assert ENDING in card.file.text()  # not cut mid-sentence
    qtbot.waitUntil(lambda: card.details_scroll.verticalScrollBar().maximum() > 0)
    assert card.print_button.isVisible()  # stays under the scrolling column
    assert card.height() == 600
    i18n.install("en")

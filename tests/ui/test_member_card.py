"""The member card on its own: what it says, and that long files scroll instead of
being cut."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage

from vipdesk.desk import Desk
from vipdesk.services.profile import MemberProfile
from vipdesk.ui import i18n
from vipdesk.ui.member_card import MemberCard

ENDING = "最后一句在这里。"


def _profile(desk: Desk, **changes: Any) -> MemberProfile:
    member_id = desk.members.search("M0000001").hits[0].member_id
    profile = desk.members.profile(member_id)
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


def png(width: int = 300, height: int = 400) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#8c6d46"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


@pytest.mark.qt_log_ignore("Unsupported marker type")  # the broken JPEG fed on purpose
def test_the_photo_shows_beside_the_name_when_there_is_one(qtbot: Any, desk: Desk) -> None:
    card = _card(qtbot, _profile(desk, photo=png()), "zh")
    assert card.photo.isVisible()
    shown = card.photo.pixmap()
    assert shown.height() == card.name.sizeHint().height() + card.honorific.sizeHint().height()
    assert shown.width() < shown.height()  # the portrait keeps its shape
    card.show_profile(_profile(desk, photo=None), "zh")  # the next member has none
    assert card.photo.isHidden()
    card.show_profile(_profile(desk, photo=b"\xff\xd8\xff broken"), "zh")
    assert card.photo.isHidden()
    i18n.install("en")


def test_birthday_chips_read_as_people_say_them(qapp) -> None:  # type: ignore[no-untyped-def]
    from vipdesk.services.profile import Alert
    from vipdesk.ui import i18n
    from vipdesk.ui.member_card import alert_text

    def chip(days: int) -> str:
        return alert_text(Alert("birthday", "info", {"days": days}), i18n.current())

    try:
        i18n.install("en")
        assert [chip(0), chip(1), chip(3)] == [
            "Birthday today!", "Birthday tomorrow", "Birthday in 3 days"]
        i18n.install("zh")
        assert [chip(1), chip(3)] == ["明天生日", "3 天后生日"]
    finally:
        i18n.install("en")

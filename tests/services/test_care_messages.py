"""Care messages: birthday wording by the day the list is read; Chinese punctuation."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.services.test_carelist import D, Desk
from vipdesk.services.care_messages import honorific, render
from vipdesk.services.carelist import load_defaults

# ASCII punctuation with Chinese on both sides (spaces allowed): "您好, 我们" is wrong.
CJK = r"[\u3400-\u9fff（）《》“”]"
ASCII_BETWEEN_CJK = re.compile(CJK + r"\s*[,.!?:;]\s*" + CJK)
CONTEXT = {"birthday": "2026-11-28", "festival": "中秋节", "festival_en": "Mid-Autumn",
           "purchase": "腕表", "purchase_date": "2026-11-22", "days_silent": "90",
           "cadence_days": "30", "spend_12m": "12,000", "spend_prev": "80,000",
           "tier": "黑卡", "tier_after": "金卡", "complaint": "手袋五金件有划痕，希望更换",
           "festival_date": "2026-09-25", "tier_from": "高级会员", "follow_up": "送新款样册"}


def person(name_zh: str = "王小明", gender: str = "M", language: str = "zh") -> SimpleNamespace:
    return SimpleNamespace(name_zh=name_zh, name_latin="Wang Xiaoming", gender=gender,
                           language=language, display_name=name_zh)


@pytest.fixture
def desk(factory: sessionmaker[Session]) -> Desk:
    return Desk(factory)


def test_every_chinese_template_uses_chinese_punctuation() -> None:
    templates = load_defaults()[1]
    zh = [kind for kind, language in templates if language == "zh"]
    assert len(zh) >= 16
    for kind in zh:
        text = render(templates, kind, person(), dict(CONTEXT))
        assert "{" not in text, (kind, text)
        assert not ASCII_BETWEEN_CJK.search(text), (kind, text)
        assert not ASCII_BETWEEN_CJK.search(templates[kind, "zh"]), kind


@pytest.mark.parametrize(("read_on", "expected", "not_expected"), [
    (date(2026, 11, 25), "提前祝您生日快乐", "补祝"),
    (date(2026, 11, 28), "祝您生日快乐", "提前"),
    (date(2026, 11, 30), "补祝您生日快乐", "提前"),
])
def test_birthday_greeting_follows_the_day_it_is_read(read_on: date, expected: str,
                                                      not_expected: str) -> None:
    templates = load_defaults()[1]
    for context in ({"birthday": "2026-11-28"}, {**CONTEXT, "birthday": "2026-11-28"}):
        text = render(templates, "birthday", person(), context, read_on)
        assert expected in text and not_expected not in text, text
        english = render(templates, "birthday", person(language="en"), context, read_on)
        assert ("belated" in english) == (read_on > date(2026, 11, 28)), english


def test_an_overdue_birthday_task_wishes_belatedly_in_the_list(desk: Desk) -> None:
    member = desk.member(date(1980, 11, 28))  # the greeting falls due on D (three days ahead)
    ahead = next(i for i in desk.build(D).items if i.member_id == member)
    assert "提前祝您生日快乐" in ahead.message
    on_day = next(i for i in desk.build(D + timedelta(days=3)).items if i.member_id == member)
    assert on_day.status == "overdue" and "提前" not in on_day.message
    assert "今天是您的生日" in on_day.message
    late = next(i for i in desk.build(D + timedelta(days=5)).items if i.member_id == member)
    assert "补祝您生日快乐" in late.message and "提前" not in late.message


def test_compound_surnames_keep_both_characters() -> None:
    assert honorific(person("欧阳娜", "F"), "zh") == "欧阳女士"
    assert honorific(person("王小明", "M"), "zh") == "王先生"

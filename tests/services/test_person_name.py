"""PersonName: where the surname is, and the form of address the member asked for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vipdesk.models import Member, Preference
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.person_name import PersonName, Script, preferred_address, simplified
from vipdesk.services.profile import honorifics, load_profile
from vipdesk.services.tiers import load_tier_table


@pytest.mark.parametrize(
    ("zh", "latin", "surname", "given", "script"),
    [("欧阳娜娜", None, "欧阳", "娜娜", Script.HAN),
     ("歐陽娜娜", None, "歐陽", "娜娜", Script.HAN),  # traditional writing
     ("司马懿", None, "司马", "懿", Script.HAN),
     ("爱新觉罗溥仪", None, "爱新觉罗", "溥仪", Script.HAN),
     ("欧阳", None, "欧", "阳", Script.HAN),  # two characters: 欧 + 阳, not a bare surname
     ("王 小明", None, "王", "小明", Script.HAN),
     ("李𬭚", None, "李", "𬭚", Script.HAN),
     ("阿卜杜拉·买买提", None, "阿卜杜拉", "买买提", Script.DOTTED),
     ("阿卜杜拉‧买买提", None, "阿卜杜拉", "买买提", Script.DOTTED),
     ("阿卜杜拉•买买提", None, "阿卜杜拉", "买买提", Script.DOTTED),
     ("阿卜杜拉・买买提", None, "阿卜杜拉", "买买提", Script.DOTTED),
     ("阿卜杜拉 · 买买提", None, "阿卜杜拉", "买买提", Script.DOTTED),
     (None, "Maria García", "García", "Maria", Script.LATIN),
     (None, "GARCÍA, María", "GARCÍA", "María", Script.LATIN),
     ("Emma Laurent", None, "Laurent", "Emma", Script.LATIN),  # a Latin name in the zh field
     (None, None, "", "", Script.LATIN)],
)
def test_where_the_surname_is(zh: str | None, latin: str | None, surname: str, given: str,
                              script: Script) -> None:
    name = PersonName.of(zh, latin)
    assert (name.surname, name.given, name.script) == (surname, given, script)


def test_a_chinese_names_romanisation_keeps_the_surname_first() -> None:
    assert PersonName.of("王小明", "Wang Xiaoming").latin_surname == "Wang"
    assert PersonName.of("陳大文", "Chan Tai Man").latin_surname == "Chan"


@pytest.mark.parametrize(
    ("zh", "latin", "surname"),
    [("欧阳玉", "Ou Yangyu", "Ouyang"),  # a naive converter's split, as many files have it
     ("欧阳玉", "Ou Yang Yu", "Ouyang"),
     ("欧阳玉", "Ouyang Yu", "Ouyang"),
     ("歐陽娜娜", "Ou Yangnana", "Ouyang"),  # traditional writing
     ("诸葛东艳", "Zhu Gedongyan", "Zhuge"),
     ("上官磊", "Shang Guanlei", "Shangguan"),
     ("欧阳娜娜", "OU YANGNANA", "OUYANG"),  # capitals stay capitals
     ("歐陽嘉敏", "Au Yeung Ka Man", "Au Yeung"),  # Cantonese, one word a character
     ("歐陽嘉敏", "Au-Yeung Ka Man", "Au-Yeung"),
     ("司徒美琪", "Szeto Mei Kei", "Szeto"),
     ("司徒美琪", "Sze To Mei Kei", "Sze To"),
     ("欧阳玉", "Ou, Yangyu", "Ou"),  # "Surname, Given" says where the surname ends
     ("王小明", "Wang Xiao Ming", "Wang"),  # a single-character surname is untouched
     ("欧阳", "Ou Yang", "Ou")],  # 欧 + 阳: two characters are no bare compound surname
)
def test_a_compound_surnames_romanisation_is_one_surname(zh: str, latin: str,
                                                         surname: str) -> None:
    assert PersonName.of(zh, latin).latin_surname == surname


def test_simplified_folds_character_by_character() -> None:
    assert simplified("陳大文") == "陈大文"
    assert simplified("鍾楚紅") == "钟楚红"
    assert simplified("李𬭚") == "李𬭚"
    assert simplified("Wang") == "Wang"


@pytest.mark.parametrize(
    ("preference", "address"),
    [("请称呼王总", "王总"), ("请称呼 X 总", "欧阳总"), ("称呼：欧阳老师", "欧阳老师"),
     ("叫她娜姐", "娜姐"), ("Please call her Dr Ouyang", "Dr Ouyang"),
     ("call him: Nick", "Nick"), ("「欧阳董」。", "欧阳董"), ("请称呼", None), ("  ", None)],
)
def test_the_preference_as_staff_write_it(preference: str, address: str | None) -> None:
    assert preferred_address(preference, PersonName.of("欧阳娜娜", None)) == address


def _member(zh: str | None, latin: str | None, gender: str | None,
            *wishes: str) -> Member:
    member = Member(member_no="M1", name_zh=zh, name_latin=latin, gender=gender)
    for i, wish in enumerate(wishes):
        member.preferences.append(Preference(tag="address_as", value=wish,
                                             created_at=datetime(2026, 1, 1 + i, tzinfo=UTC)))
    member.preferences.append(Preference(tag="drink", value="龙井"))
    return member


@pytest.mark.parametrize(
    ("member", "expected"),
    [(_member("欧阳娜娜", None, "F", "请称呼 X 总"), ("欧阳总", "欧阳总")),
     (_member("王小明", "Wang Xiaoming", "M", "请称呼王总"), ("王总", "Mr Wang")),
     (_member("王小明", "Wang Xiaoming", "M", "Dr Wang"), ("王先生", "Dr Wang")),
     (_member(None, "Emma Laurent", "F", "Madame Laurent"), ("Madame Laurent", "Madame Laurent")),
     (_member("赵敏", None, None, "请称呼赵老师"), ("赵老师", "赵老师")),
     (_member("王小明", None, "M", "请称呼王总", "请称呼王董"), ("王董", "王董")),  # the latest
     (_member("王小明", None, "M", "请称呼"), ("王先生", "王先生"))],  # says nothing
)
def test_the_members_own_form_of_address_wins(member: Member,
                                              expected: tuple[str, str]) -> None:
    assert honorifics(member) == expected


def test_the_card_addresses_the_guest_as_asked(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        asked = add_member(s, NewMember(member_no="M7", name_zh="司马文静", gender="F",
                                        preferences=[("address_as", "请称呼 X 总")])).id
        plain = add_member(s, NewMember(member_no="M8", name_zh="诸葛晓峰", gender="M")).id
    with Session(engine) as s:
        tiers = load_tier_table(s)
        profile = load_profile(s, asked, tiers)
        assert profile is not None
        assert (profile.honorific_zh, profile.honorific_en) == ("司马总", "司马总")
        other = load_profile(s, plain, tiers)
        assert other is not None and other.honorific_zh == "诸葛先生"


def test_a_listing_row_without_preferences_is_addressed_too() -> None:
    """Care lists and the queue read members as rows, not ORM objects."""

    class Row:
        name_zh, name_latin, gender = "诸葛晓峰", None, "M"
        display_name = "诸葛晓峰"

    assert honorifics(Row()) == ("诸葛先生", "诸葛先生")

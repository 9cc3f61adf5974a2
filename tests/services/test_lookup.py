"""The lookup grammar against the demo lounge (showcase member 王小明, 138 0013 8000)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from vipdesk.services.lookup import LookupService, Match, Note
from vipdesk.services.tiers import TierTable

SHOWCASE = "M0000001"


@pytest.fixture(scope="module")
def lookup(demo_engine: Engine, demo_tiers: TierTable) -> LookupService:
    return LookupService(demo_engine, demo_tiers)


@pytest.mark.parametrize(
    "query",
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000", "(138)0013-8000",
     "  138 0013 8000\n", "１３８ ００１３ ８０００"],
)
def test_full_phone_in_any_writing(lookup: LookupService, query: str) -> None:
    outcome = lookup.search(query)
    assert [h.member_no for h in outcome.hits] == [SHOWCASE]
    assert outcome.hits[0].match is Match.PHONE


def test_last_four_digits_ranks_higher_tiers_first(lookup: LookupService) -> None:
    outcome = lookup.search("8000")
    assert SHOWCASE in [h.member_no for h in outcome.hits]
    assert all(h.phone_masked and h.phone_masked.endswith("8000") for h in outcome.hits)
    ranks = [lookup.tiers.rank(h.tier_code) for h in outcome.hits]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize(
    "query", ["880000000001", "VIPCARD:880000000001", "vipdesk://card/880000000001",
              '{"card_no": "880000000001"}', "https://brand.example/m?card=880000000001"],
)
def test_card_typed_or_scanned(lookup: LookupService, query: str) -> None:
    outcome = lookup.search(query)
    assert outcome.hits[0].member_no == SHOWCASE
    assert outcome.hits[0].match is Match.CARD


def test_member_number_any_case(lookup: LookupService) -> None:
    assert lookup.search("m0000001").hits[0].member_no == SHOWCASE


@pytest.mark.parametrize("query", ["王小明", "小明", "wxm", "WXM", "wangxiaoming", "Wang Xiaoming",
                                   "xiaoming"])
def test_names_chinese_substring_pinyin_and_latin(lookup: LookupService, query: str) -> None:
    names = [h.name for h in lookup.search(query).hits]
    assert "王小明" in names


def test_exact_name_ranks_before_longer_names(lookup: LookupService) -> None:
    hits = lookup.search("王小明").hits
    assert hits[0].name == "王小明"


def test_single_surname_is_capped_and_says_more(lookup: LookupService) -> None:
    outcome = lookup.search("王", limit=10)
    assert len(outcome.hits) == 10
    assert outcome.note is Note.MORE
    assert all("王" in h.name for h in outcome.hits)


@pytest.mark.parametrize(
    ("query", "note"),
    [("", Note.EMPTY), ("   \t", Note.EMPTY), ("x" * 5000, Note.TOO_LONG),
     ("龘龘龘不存在", Note.NO_MATCH), ("'; DROP TABLE members; --", Note.NO_MATCH),
     ("\x00\x1b[31m", Note.NO_MATCH), ("\x00\x07", Note.EMPTY), ("%", Note.NO_MATCH),
     ("_", Note.NO_MATCH)],
)
def test_garbage_gives_a_clear_note(lookup: LookupService, query: str, note: Note) -> None:
    outcome = lookup.search(query)
    assert outcome.hits == []
    assert outcome.note is note


def test_erased_member_is_not_found(engine: Engine) -> None:
    from sqlalchemy.orm import Session

    from vipdesk.models import utcnow
    from vipdesk.services.members import NewMember, add_member

    with Session(engine) as s, s.begin():
        m = add_member(s, NewMember(member_no="M1", name_zh="李雷", phones=["13912345678"]))
        m.erased_at = utcnow()
    assert LookupService(engine).search("13912345678").hits == []


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_never_crashes(lookup: LookupService, text: str) -> None:
    outcome = lookup.search(text)
    assert isinstance(outcome.note, Note)
    assert len(outcome.hits) <= 50


def test_a_number_the_desk_handed_out_is_found_as_typed(engine: Engine) -> None:
    """A desk numbers a new member with its store's code and a hexadecimal tail
    (SH011FBE8371): staff read it off the confirmation and type it back, in any case."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from vipdesk.models import Staff, Store
    from vipdesk.services.auth import SYSTEM, Actor
    from vipdesk.services.member_edit import Registration, register
    from vipdesk.services.staff import add_staff

    with Session(engine) as s, s.begin():
        store = Store(code="SH01", name="上海恒隆广场店")
        s.add(store)
        s.flush()
        add_staff(s, SYSTEM, "M100", "陈经理", "manager", "135791", store_code="SH01")
        staff = s.scalars(select(Staff)).one()
        manager = Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)
        numbers = [register(s, manager, Registration(name_zh=name, phones=[phone], consent=True),
                            store_id=store.id).member_no
                   for name, phone in (("欧阳娜娜", "13912345678"), ("司马文静", "13987654321"))]
    lookup = LookupService(engine)
    for number in numbers:
        assert number.startswith("SH01") and len(number) == 12
        for typed in (number, number.lower(), f"  {number}\n"):
            outcome = lookup.search(typed)
            assert [h.member_no for h in outcome.hits] == [number], typed
            assert outcome.hits[0].match is Match.MEMBER_NO


@pytest.mark.parametrize("query", ["abc1", "Zhang3", "SH01FFFF0000"])
def test_a_number_like_query_nobody_holds_says_no_match(lookup: LookupService,
                                                        query: str) -> None:
    assert lookup.search(query).note is Note.NO_MATCH


@pytest.mark.parametrize("typed", ["(852) 6123-9876", "852-6123 9876", "+852 6123 9876",
                                   "6123 9876", "9876"])
def test_a_hong_kong_guest_is_found_by_the_number_as_written_at_home(
        engine: Engine, typed: str) -> None:
    from sqlalchemy.orm import Session

    from vipdesk.services.members import NewMember, add_member

    with Session(engine) as s, s.begin():
        add_member(s, NewMember(member_no="HK0002", name_zh="歐陽嘉敏",
                                phones=["(852) 6123-9876"]))
    assert [h.member_no for h in LookupService(engine).search(typed).hits] == ["HK0002"]


def test_bare_digits_find_the_guests_of_hong_kong_macau_and_taiwan(engine: Engine) -> None:
    """A guest gives their number as at home, without a country code: eight digits are a
    Hong Kong or a Macau number (both listed when both exist), nine from 9 a Taiwanese
    mobile. Stored numbers stay unambiguous; only the search reads both ways."""
    from sqlalchemy.orm import Session

    from vipdesk.services.members import NewMember, add_member

    with Session(engine) as s, s.begin():
        for no, name, phone in (("HK1", "陳大文", "+852 6612 3456"),
                                ("MO1", "何超瓊", "+853 6612 3456"),
                                ("TW1", "林志玲", "+886 912 345 678")):
            add_member(s, NewMember(member_no=no, name_zh=name, phones=[phone]))
    lookup = LookupService(engine)
    assert sorted(h.member_no for h in lookup.search("6612 3456").hits) == ["HK1", "MO1"]
    assert [h.member_no for h in lookup.search("912-345-678").hits] == ["TW1"]
    assert lookup.search("1234 5678").hits == []  # no number anywhere: nobody

"""The SQLite fast path of LookupService: per-thread connections that never go stale."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vipdesk.services import phones
from vipdesk.services.lookup import LookupService, Match, Note
from vipdesk.services.members import NewMember, add_member


def test_a_member_added_after_a_search_is_found_by_the_next(engine: Engine) -> None:
    lookup = LookupService(engine)
    assert lookup.search("13912345678").note is Note.NO_MATCH  # connection now held
    with Session(engine) as s, s.begin():
        add_member(s, NewMember(member_no="M9", name_zh="新来的", phones=["13912345678"],
                                cards=["C9001"]))
    assert [h.member_no for h in lookup.search("139 1234 5678").hits] == ["M9"]
    assert lookup.search("新来").hits[0].match is Match.NAME
    assert lookup.search("c9001").hits[0].match is Match.CARD


def test_searches_from_several_threads(demo_engine: Engine) -> None:
    lookup = LookupService(demo_engine)
    queries = ["13800138000", "王小明", "8000", "880000000001", "M0000001", "wxm"] * 20
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lookup.search, queries))
    assert all(o.hits and o.hits[0].member_no for o in outcomes)
    assert {o.hits[0].member_no for o in outcomes[:2]} == {"M0000001"}


@settings(max_examples=200)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True) | st.from_regex(r"(10|2[0-9])[0-9]{8}",
                                                                         fullmatch=True))
def test_mainland_shortcut_agrees_with_phonenumbers(national: str) -> None:
    e164 = "+86" + national
    parsed = phonenumbers.parse(e164, None)
    assert phones.national_digits(e164) == str(parsed.national_number)

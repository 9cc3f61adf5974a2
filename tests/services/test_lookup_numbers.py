"""Numbers as people pass them to the desk, end to end through LookupService: each
region's example numbers in every writing (printed, dashes of any kind, 00, tel: from a
share sheet or a QR code, full width), cards printed in groups."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.services.phone_writings import example_numbers, writings
from vipdesk.services.lookup import LookupService, Match
from vipdesk.services.members import NewMember, add_member

NUMBERS = example_numbers()


@pytest.fixture
def lookup(engine: Engine) -> LookupService:
    with Session(engine) as s, s.begin():
        for index, (_, e164) in enumerate(NUMBERS):
            add_member(s, NewMember(member_no=f"P{index:03d}", name_zh="号码测试",
                                    phones=[e164], cards=[f"88{index:010d}"]))
    return LookupService(engine)


def test_every_writing_of_each_regions_example_numbers_finds_its_member(
        lookup: LookupService) -> None:
    for index, (region, e164) in enumerate(NUMBERS):
        for typed in writings(e164):
            hits = lookup.search(typed).hits
            assert [(h.member_no, h.match) for h in hits] == [(f"P{index:03d}", Match.PHONE)], (
                region, typed)


@pytest.mark.parametrize(
    "typed", ["8800 0000 0003", "8800—0000—0003", "8800-0000-0003", "８８００　００００　０００３",
              "VIPCARD:880000000003"])
def test_a_card_number_printed_in_groups(lookup: LookupService, typed: str) -> None:
    hits = lookup.search(typed).hits
    assert [(h.member_no, h.match) for h in hits] == [("P003", Match.CARD)]

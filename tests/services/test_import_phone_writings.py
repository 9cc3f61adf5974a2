"""The import reads every phone writing the lookup reads, for every region phonenumbers
knows: a number imported from a file is found by typing it the way it was written."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import phonenumbers
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.services.phone_writings import writings
from vipdesk.models import Member, MemberPhone
from vipdesk.services import auth
from vipdesk.services.importer import import_members
from vipdesk.services.lookup import LookupService


def region_mobiles() -> list[str]:
    """Each region's example mobile number (E.164), once each."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if number is not None:
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return list(dict.fromkeys(out))


MOBILES = region_mobiles()
WRITINGS = len(writings(MOBILES[0]))  # the same forms for every number outside the home


@pytest.mark.parametrize("form", range(WRITINGS))
def test_every_regions_mobile_imports_as_lookup_reads_it(
        tmp_path: Path, engine: Engine, factory: sessionmaker[Session], form: int) -> None:
    rows = [(f"R{i:04d}", f"会员{i}", writings(e164)[form]) for i, e164 in enumerate(MOBILES)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([("member_no", "name", "phone"), *rows])
    path = tmp_path / "members.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    report = import_members(factory, path, auth.SYSTEM, today=date(2026, 11, 25))
    assert report.rejected == [], report.rejected[:5]
    with factory() as s:
        stored = dict(s.execute(select(Member.member_no, MemberPhone.e164)
                                .join(MemberPhone)).all())
    assert stored == {no: e164 for (no, _, _), e164 in zip(rows, MOBILES, strict=True)}
    lookup = LookupService(engine)
    for member_no, _, written in rows:
        assert [h.member_no for h in lookup.search(written).hits] == [member_no], written


def test_home_writings_and_nbsp(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    """National writings of a home mobile, brackets round an area code, NBSP, IME dashes."""
    cells = ["138 0013 8000", "１３８００１３８００１", "(021) 6666 8888", "（021）6666 8889",
             "139\u00a01234\u00a05678", "139—2345—6789", "tel:+86-139-1234-5670",
             "+86 (10) 8888 6666"]
    text = "member_no,name,phone\n" + "".join(
        f'H{i},名{i},"{c}"\n' for i, c in enumerate(cells))
    path = tmp_path / "home.csv"
    path.write_text(text, encoding="utf-8")
    report = import_members(factory, path, auth.SYSTEM, today=date(2026, 11, 25))
    assert report.rejected == []
    with factory() as s:
        stored = sorted(s.scalars(select(MemberPhone.e164)))
    assert stored == sorted(["+8613800138000", "+8613800138001", "+862166668888",
                             "+862166668889", "+8613912345678", "+8613923456789",
                             "+8613912345670", "+861088886666"])

"""The CSV import reads phones and cards with the same normaliser as the lookup: numbers
copied from a phone (tel:), typed with an IME's dashes or printed in groups."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.models import Member
from vipdesk.services import auth
from vipdesk.services.importer import import_members
from vipdesk.services.lookup import LookupService

CSV = """member_no,name,phone,card_no
T1,曾小贤,tel:+86-139-1234-5678,8800 0000 0101
T2,陳大文,139—2345—6789,8800—0000—0102
T3,单丽华,１３９　３４５６　７８９０,８８００　００００　０１０３
"""


def test_phones_and_cards_in_any_writing_are_imported_and_found(
        tmp_path: Path, engine: Engine, factory: sessionmaker[Session]) -> None:
    path = tmp_path / "in.csv"
    path.write_text(CSV, encoding="utf-8")
    report = import_members(factory, path, auth.SYSTEM, today=date(2026, 11, 25))
    assert report.imported == ["T1", "T2", "T3"], report.rejected
    with factory() as s:
        stored = {m.member_no: ([p.e164 for p in m.phones], [c.card_no for c in m.cards])
                  for m in s.scalars(select(Member))}
    assert stored == {"T1": (["+8613912345678"], ["880000000101"]),
                      "T2": (["+8613923456789"], ["880000000102"]),
                      "T3": (["+8613934567890"], ["880000000103"])}
    lookup = LookupService(engine)
    for query, member_no in (("139 1234 5678", "T1"), ("8800 0000 0102", "T2"),
                             ("陈大文", "T2"), ("slh", "T3"), ("zxx", "T1")):
        assert [h.member_no for h in lookup.search(query).hits] == [member_no], query

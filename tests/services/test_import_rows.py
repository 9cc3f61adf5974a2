"""The import's row builder: payloads by template equal the capture's canonical JSON."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from vipdesk.outbox import tables
from vipdesk.outbox.hlc import HybridClock, Stamp
from vipdesk.services.import_rows import Prepared, RowBuilder, db_time, json_text
from vipdesk.services.members import NewMember


@pytest.mark.parametrize("text", [
    "王小明", "Zoë O'Brien", 'say "hi"', "back\\slash", "tab\there", "\u2028line", "😀",
    "\u00a0nbsp", "", "a\x7fb", None])
def test_json_text_is_canonical(text: str | None) -> None:
    assert json_text(text) == tables.canonical(text)


def test_payloads_are_the_canonical_rows() -> None:
    store = uuid.uuid4()
    data = NewMember(member_no="B1", name_zh='王"小"明', name_latin="Wang\\Xiaoming",
                     gender="M", birthday=date(1980, 2, 29), email="a@b.cn",
                     phones=["+8613800138000", "+85251234567"], cards=["c1", "C1", "880001"],
                     home_store_id=store, spend_12m_cents=123_456_00, tier_code="gold")
    rows = RowBuilder(True, terms=lambda _zh, _latin: ()).build(
        [Prepared(data, tuple(data.phones))])
    for table, ops in rows.ops.items():
        for _record, payload in ops:
            row = tables.decode_row(table, json.loads(payload)["row"])
            assert tables.canonical({"row": tables.encode_row(table, row)}) == payload
    member = json.loads(rows.ops["members"][0][1])["row"]
    assert member["home_store_id"] == str(store) and member["birthday_md"] == 229
    assert [c[2] for c in rows.cards] == ["C1", "880001"]
    assert [p[4] for p in rows.phones] == [1, 0]


def test_stamps_in_bulk_equal_ticks_of_a_standing_clock() -> None:
    one = HybridClock("D1", Stamp(5, 7, "D1"), physical=lambda: 5)
    two = HybridClock("D1", Stamp(5, 7, "D1"), physical=lambda: 5)
    assert one.ticks(3) == [str(two.tick()) for _ in range(3)] and one.last == two.last
    late = HybridClock("D1", Stamp(5, 999_998, "D1"), physical=lambda: 5)
    assert late.ticks(3) == ["000000000000005.999999.D1", "000000000000006.000000.D1",
                             "000000000000006.000001.D1"]


def test_times_are_stored_as_sqlalchemy_stores_them() -> None:
    from sqlalchemy.dialects.sqlite.base import DATETIME, dialect

    store = DATETIME().bind_processor(dialect())
    assert store is not None
    for moment in (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                   datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=timezone(timedelta(hours=8)))):
        assert db_time(moment) == store(moment.astimezone(UTC).replace(tzinfo=None))

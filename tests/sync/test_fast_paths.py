"""The speed-ups of the sync hot paths give the same results as the plain code they
replace: orjson with its stdlib fallback, and the per-table compiled row converters."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vipdesk.models import Base, SyncChangeLog
from vipdesk.outbox import tables
from vipdesk.outbox.ops import Change, loads
from vipdesk.sync import bulk

TRICKY = [
    '{"hlc":"000001764036000000.000001.SH01","row":{"id":"x","name_zh":"李娜"}}',
    '{"a": NaN, "b": -Infinity}',  # the stdlib writes these; orjson refuses them
    '{"big": 123456789012345678901234567890, "neg": -9223372036854775809}',
    '{"f": 1.5e300, "t": true, "n": null, "l": [1, "二", {"k": []}]}',
    '{"row": {"deep": [[1.25, 18446744073709551616]]}}',  # a float beside a big integer
    '{"s": "12345678901234567890123"}',  # a long run of digits inside a string
]


@pytest.mark.parametrize("text", TRICKY)
def test_loads_matches_the_stdlib(text: str) -> None:
    fast, plain = loads(text), json.loads(text)
    assert json.dumps(fast, sort_keys=True) == json.dumps(plain, sort_keys=True)


@given(st.text())
def test_stamps_are_quoted_as_json_dumps_quotes_them(text: str) -> None:
    from vipdesk.sync.merge import _json_string

    assert _json_string(text) == json.dumps(text)
    assert _json_string("000001764036000000.000001.SH01") == '"000001764036000000.000001.SH01"'


def test_loads_still_refuses_malformed_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        loads('{"row": ')


def test_change_from_a_row_as_read() -> None:
    record = uuid.uuid4()
    change = Change.from_tuple((7, 3, "insert", "visits", str(record), '{"row": {}}', "SH01"))
    assert change == Change(7, 3, "insert", "visits", record, {"row": {}}, "SH01")
    with pytest.raises(AttributeError):
        change.seq = 4  # type: ignore[misc]


def _generic_wire_tuple(table_name: str, row: dict[str, Any]) -> tuple[Any, ...]:
    """The conversion as it was written before it was compiled (the reference)."""
    columns = bulk._sqlite_columns(table_name)
    synced = {name for name, _ in columns}
    extra = [c for c in tables.table(table_name).columns
             if c.default is not None and c.name not in synced]
    return (tuple(convert(row.get(name)) for name, convert in columns)
            + tuple(bulk._sqlite_value(c) for c in extra))


@pytest.mark.parametrize("table_name", sorted(tables.synced_tables()))
def test_compiled_pull_rows_match_the_generic_conversion(table_name: str) -> None:
    full = tables.encode_row(table_name, {c.name: _sample(c) for c in
                                          tables.synced_columns(table_name)})
    partial = {"id": full["id"]}  # an older centre's row lacking newer columns
    _, compiled = bulk._wire_insert(table_name, [full, partial])
    expected = [_generic_wire_tuple(table_name, full), _generic_wire_tuple(table_name, partial)]
    assert _without_clock(compiled) == _without_clock(expected)


def test_compiled_copy_rows_fill_python_defaults_only_when_missing() -> None:
    table = Base.metadata.tables[SyncChangeLog.__tablename__]
    given = {"kind": "insert", "table_name": "visits", "record_id": uuid.uuid4(),
             "payload": "{}", "store": "SH01"}
    rows = [given, {**given, "store": None}]
    columns = bulk._columns(table, rows)
    out = bulk._tuples(columns, rows)
    names = [c.name for c in columns]
    assert [dict(zip(names, r, strict=True))["store"] for r in out] == ["SH01", None]
    assert all(dict(zip(names, r, strict=True))["record_id"] == given["record_id"] for r in out)


def _sample(column: Any) -> Any:
    kind = tables.python_type(column)
    samples: dict[Any, Any] = {uuid.UUID: uuid.uuid4(), int: 42, bool: True, str: "值",
                               datetime: datetime(2026, 11, 25, 9, 30, 1, 5, tzinfo=UTC)}
    return samples.get(kind)


def _without_clock(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Local timestamp defaults are evaluated per plan; compare everything else."""
    return [tuple("<time>" if isinstance(v, str) and v[:2] == "20" and len(v) == 26 else v
                  for v in row) for row in rows]

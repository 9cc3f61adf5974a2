"""Every lookup statement is an index search in SQLite's plan: no table scan at 1M members."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from vipdesk.services import lookup as lk

STATEMENTS = {"card": lk.BY_CARD, "member_no": lk.BY_MEMBER_NO, "phone": lk.BY_PHONE,
              "suffix": lk.BY_SUFFIX, "terms": lk.TERMS,
              "by_ids": select(*lk._HIT_COLUMNS).where(lk._live)}
EXPECTED_INDEX = {"card": "(card_no=?)", "member_no": "(member_no=?)", "phone": "(e164=?)",
                  "suffix": "(suffix4=?)", "terms": "PRIMARY KEY (term>? AND term<?)",
                  "by_ids": "(id=?"}  # the primary key or an index that leads with id


def plan(engine: Engine, name: str) -> list[str]:
    compiled = lk.CompiledSql.of(STATEMENTS[name], engine.dialect)
    sql = compiled.text + (" AND members.id IN (?, ?)" if name == "by_ids" else "")
    params = compiled.params({k: "x" for k in compiled.order if k not in compiled.fixed})
    raw = engine.raw_connection()
    try:
        rows = raw.cursor().execute("EXPLAIN QUERY PLAN " + sql,
                                    params + (("a", "b") if name == "by_ids" else ()))
        return [str(row[3]) for row in rows]
    finally:
        raw.close()


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_lookup_statements_search_indexes(demo_engine: Engine, name: str) -> None:
    steps = plan(demo_engine, name)
    assert not [s for s in steps if s.startswith("SCAN")], steps
    assert EXPECTED_INDEX[name] in steps[0], steps

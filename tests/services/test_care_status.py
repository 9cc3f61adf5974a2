"""One task status rule (services/care_status.py): the Python status every reader uses
and the SQL rank the list sorts and counts by are the same rule, over generated tasks
stored as the desk stores them (dates and UTC times as SQLite keeps them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from vipdesk.models import CareTask
from vipdesk.services.care_dates import utc_range
from vipdesk.services.care_status import STATUSES, status_rank, task_status
from vipdesk.services.clock import DEFAULT_TZ

TASKS = cast(Table, CareTask.__table__)
TZ = ZoneInfo(DEFAULT_TZ)
DAY = date(2026, 11, 25)
_ROWS = Table("status_rows", MetaData(), Column("n", Integer, primary_key=True),
              *[Column(name, TASKS.c[name].type) for name in ("due_on", "due_at", "closed_at")])
_ENGINE = create_engine("sqlite://")
_ROWS.create(_ENGINE)

# Times around the day's edges, to the microsecond: a deadline a moment before or after
# now, a task closed just before or after midnight.
_START, _END = utc_range(DAY, DAY, TZ)
_EDGES = [_START, _END, _START + timedelta(hours=10)]
moments = st.one_of(
    st.sampled_from(_EDGES).flatmap(lambda edge: st.integers(-3, 3).map(
        lambda us: edge + timedelta(microseconds=us))),
    st.datetimes(min_value=datetime(2026, 11, 20), max_value=datetime(2026, 11, 30),
                 timezones=st.just(UTC)))
tasks = st.tuples(st.dates(date(2026, 11, 20), date(2026, 11, 30)),
                  st.none() | moments, st.none() | moments)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(tasks, min_size=1, max_size=20), now=moments,
       day=st.sampled_from([DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)]))
def test_the_sql_rank_is_the_python_status(rows: list[tuple[date, datetime | None,
                                                                datetime | None]],
                                            now: datetime, day: date) -> None:
    _, day_end = utc_range(day, day, TZ)
    with _ENGINE.begin() as conn:
        conn.execute(_ROWS.delete())
        conn.execute(insert(_ROWS), [{"n": n, "due_on": due_on, "due_at": due_at,
                                      "closed_at": closed_at}
                                     for n, (due_on, due_at, closed_at) in enumerate(rows)])
        c = _ROWS.c
        ranks = dict(conn.execute(select(c.n, status_rank(day, day_end, now, c.closed_at,
                                                           c.due_on, c.due_at))).all())
    for n, (due_on, due_at, closed_at) in enumerate(rows):
        expected = task_status(day, now, due_on, due_at, closed_at, day_end)
        assert STATUSES[ranks[n]] == expected, (due_on, due_at, closed_at, now, day)


def test_the_rule() -> None:
    _, day_end = utc_range(DAY, DAY, TZ)
    now = day_end - timedelta(hours=12)
    assert task_status(DAY, now, DAY - timedelta(days=1), None) == "overdue"
    assert task_status(DAY, now, DAY, now - timedelta(seconds=1)) == "overdue"
    assert task_status(DAY, now, DAY, now) == "due"
    assert task_status(DAY, now, DAY + timedelta(days=1), None) == "upcoming"
    assert task_status(DAY, now, DAY - timedelta(days=3), None, day_end, day_end) == "overdue"
    assert task_status(DAY, now, DAY - timedelta(days=3), None,
                       day_end - timedelta(microseconds=1), day_end) == "done"
    with pytest.raises(ValueError):
        task_status(DAY, now, DAY, None, now)

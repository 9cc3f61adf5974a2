"""A care task's status on a day (overdue / due / upcoming / done), written once.

The rule is a list of clauses, first match wins, built from three operations (`before`:
set and earlier than; `either`; `same`). Evaluated with Python operations it is
`task_status`, for rows already read (the list's items, the card's open tasks); with
SQL operations it is `status_rank`, a CASE over the stored columns that the list sorts
and counts by. Both come from `_clauses`, so they cannot drift apart
(tests/services/test_care_status.py compares them over generated tasks).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import and_, case, or_

# The list's sort order: a status's index here is its rank.
STATUSES = ("overdue", "due", "upcoming", "done")
OPEN_STATUSES = STATUSES[:3]
_FALLBACK = "upcoming"

C = TypeVar("C")


class _Ops(Protocol, Generic[C]):
    def before(self, value: Any, limit: Any) -> C: ...
    def either(self, first: C, second: C) -> C: ...
    def same(self, value: Any, other: Any) -> C: ...


def _clauses(ops: _Ops[C], day: date, day_end: Any, now: datetime, closed_at: Any,
             due_on: Any, due_at: Any) -> tuple[tuple[str, C], ...]:
    """Done once closed before the day ended; overdue once its day has passed or its
    deadline (a complaint's 30 minutes) has; due on its day; else upcoming."""
    return (("done", ops.before(closed_at, day_end)),
            ("overdue", ops.either(ops.before(due_on, day), ops.before(due_at, now))),
            ("due", ops.same(due_on, day)))


class _Python:
    def before(self, value: Any, limit: Any) -> bool:
        return value is not None and bool(value < limit)

    def either(self, first: bool, second: bool) -> bool:
        return first or second

    def same(self, value: Any, other: Any) -> bool:
        return bool(value == other)


class _Sql:
    def before(self, value: Any, limit: Any) -> Any:
        return and_(value.is_not(None), value < limit)

    def either(self, first: Any, second: Any) -> Any:
        return or_(first, second)

    def same(self, value: Any, other: Any) -> Any:
        return value == other


_PYTHON = _Python()


def task_status(day: date, now: datetime, due_on: date, due_at: datetime | None,
                closed_at: datetime | None = None, day_end: datetime | None = None) -> str:
    """The status of a task read on `day` at `now`; a closed task needs `day_end` (when
    the day ends, UTC): closed later than that, it still counts as open that day."""
    if closed_at is not None and day_end is None:
        raise ValueError("a closed task's status needs the end of the day")
    for status, holds in _clauses(_PYTHON, day, day_end, now, closed_at, due_on, due_at):
        if holds:
            return status
    return _FALLBACK


def status_rank(day: date, day_end: datetime, now: datetime, closed_at: Any, due_on: Any,
                due_at: Any) -> Any:
    """`task_status` in SQL over the given columns, as its index in `STATUSES`."""
    whens = [(holds, STATUSES.index(status)) for status, holds
             in _clauses(_Sql(), day, day_end, now, closed_at, due_on, due_at)]
    return case(*whens, else_=STATUSES.index(_FALLBACK))

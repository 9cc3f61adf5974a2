"""Which tables a piece of desk work wrote: the window's one source of "something changed".

Every statement the desk sends passes through SQLAlchemy's `before_cursor_execute`
(ORM flushes, Core statements, raw SQL and sync's bulk apply alike), so the tables a
job wrote are read off the statements themselves; no caller declares them by hand.
`collect()` scopes the recording to the work of one thread (the worker running one job);
outside a `collect()` nothing is recorded and the hook costs one context-variable read.
Code that writes through the raw DB-API cursor says so with `note_write`.

Rolled-back writes are reported too: a listener refreshes once for nothing, which is
cheaper and safer than a listener that misses a change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event

# INSERT [OR …] INTO t, REPLACE INTO t, UPDATE [OR …] t, DELETE FROM t; quoted or not.
_WRITE = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+(?:main\.)?[\"`\[]?(\w+)", re.IGNORECASE)
_collector: ContextVar[set[str] | None] = ContextVar("vipdesk_changed_tables", default=None)
_installed = False


@dataclass(frozen=True)
class Changes:
    """The tables one job (or one sync pull) wrote; `source` says whose work it was."""

    tables: frozenset[str] = frozenset()
    source: str = "desk"  # "desk": this desk's staff; "sync": pulled from other desks

    def touches(self, *names: str) -> bool:
        return not self.tables.isdisjoint(names)

    def __bool__(self) -> bool:
        return bool(self.tables)

    @classmethod
    def of(cls, tables: Iterable[str], source: str = "desk") -> Changes:
        return cls(frozenset(tables), source)


def written_table(statement: str) -> str | None:
    """The table a DML statement writes, or None for a read (or DDL, or PRAGMA)."""
    found = _WRITE.match(statement)
    return found.group(1).lower() if found else None


def install() -> None:
    """Idempotent: listen on every engine of the process."""
    global _installed
    if not _installed:
        event.listen(Engine, "before_cursor_execute", _record)
        _installed = True


@contextmanager
def collect() -> Iterator[set[str]]:
    """Record the tables written in this thread until the block ends."""
    install()
    seen: set[str] = set()
    token = _collector.set(seen)
    try:
        yield seen
    finally:
        _collector.reset(token)


def note_write(table: str) -> None:
    """For writes that go around SQLAlchemy (sync's raw sqlite3 bulk inserts)."""
    seen = _collector.get()
    if seen is not None:
        seen.add(table)


def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    seen = _collector.get()
    if seen is not None:
        table = written_table(statement)
        if table is not None:
            seen.add(table)
